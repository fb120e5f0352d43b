"""Online interview rooms on the Janus media server: one room per interview (with the
candidate's lobby state and whether it records), one credential per person and room (with the
candidate's consent to a recording), the recordings kept until their deletion date, and the
agency's choice to record its online interviews (docs/video.md).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 23:14:55.758671

"""

import sqlalchemy as sa
from alembic import op

import app.common.types

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "interview_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delete_after", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('video','audio')", name=op.f("ck_interview_recordings_kind_known")),
        sa.ForeignKeyConstraint(
            ["interview_id"], ["interviews.id"], name=op.f("fk_interview_recordings_interview_id_interviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_recordings")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_interview_recordings_stored_name")),
    )
    with op.batch_alter_table("interview_recordings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interview_recordings_delete_after"), ["delete_after"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interview_recordings_interview_id"), ["interview_id"], unique=False
        )

    op.create_table(
        "video_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("candidate_state", sa.String(length=10), nullable=False),
        sa.Column("lobby_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("admitted_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("admitted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("processed_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "candidate_state IN ('absent','lobby','admitted','ended')",
            name=op.f("ck_video_rooms_candidate_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["admitted_by_id"], ["users.id"], name=op.f("fk_video_rooms_admitted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"], ["interviews.id"], name=op.f("fk_video_rooms_interview_id_interviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_rooms")),
        sa.UniqueConstraint("interview_id", name=op.f("uq_video_rooms_interview_id")),
        sa.UniqueConstraint("room", name=op.f("uq_video_rooms_room")),
    )
    op.create_table(
        "video_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("issued_at", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consented_at", app.common.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('candidate','chair','member')", name=op.f("ck_video_passes_role_known")),
        sa.ForeignKeyConstraint(
            ["room_id"], ["video_rooms.id"], name=op.f("fk_video_passes_room_id_video_rooms")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_video_passes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_passes")),
        sa.UniqueConstraint("room_id", "user_id", name="uq_video_passes_room_user"),
        sa.UniqueConstraint("token", name=op.f("uq_video_passes_token")),
    )
    with op.batch_alter_table("video_passes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_video_passes_room_id"), ["room_id"], unique=False)

    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("records_interviews", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("records_interviews")

    with op.batch_alter_table("video_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_video_passes_room_id"))

    op.drop_table("video_passes")
    op.drop_table("video_rooms")
    with op.batch_alter_table("interview_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_recordings_interview_id"))
        batch_op.drop_index(batch_op.f("ix_interview_recordings_delete_after"))

    op.drop_table("interview_recordings")
