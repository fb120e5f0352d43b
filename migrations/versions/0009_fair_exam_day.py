"""A fair exam day: 64-bit answer sequence numbers (clients count with Date.now()), the
serving processes' heartbeats and the outages found in them (time given back), and per
attempt the seconds lost on the candidate's side and given back for outages.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import app.common.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.alter_column(
            "seq", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_seconds", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("outage_seconds", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "server_heartbeats",
        sa.Column("process", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("started_at", app.common.types.UTCDateTime(), nullable=False),
        sa.Column("beat_at", app.common.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("process", name=op.f("pk_server_heartbeats")),
    )
    with op.batch_alter_table("server_heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_server_heartbeats_beat_at"), ["beat_at"], unique=False)
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", app.common.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", app.common.types.UTCDateTime(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("attempts_changed", sa.Integer(), nullable=False),
        sa.Column("detected_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("seconds > 0", name=op.f("ck_outages_seconds_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
        sa.UniqueConstraint("started_at", name=op.f("uq_outages_started_at")),
    )


def downgrade():
    op.drop_table("outages")
    with op.batch_alter_table("server_heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_heartbeats_beat_at"))
    op.drop_table("server_heartbeats")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("outage_seconds")
        batch_op.drop_column("lost_seconds")
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.alter_column(
            "seq", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
