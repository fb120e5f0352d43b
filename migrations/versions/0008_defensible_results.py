"""Results that stand up to an appeal (issue 12): score corrections with their reason and the
score's source on each list entry; withdrawal of a published list by two people; the audit
chain's anchors; proctors assigned to sittings; offers withdrawn with their list.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from app.common.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FORMAT_1 = "bma-recruit/merit-list/1"


def upgrade():
    op.create_table(
        "score_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_score_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("stage_kind", sa.String(length=20), nullable=False),
        sa.Column("score_before", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("score_after", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("passed_before", sa.Boolean(), nullable=False),
        sa.Column("passed_after", sa.Boolean(), nullable=False),
        sa.Column("source_before", sa.String(length=20), nullable=False),
        sa.Column("source_ref_before", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=False),
        sa.Column("corrected_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_score_corrections_reason_given")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_score_corrections_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["corrected_by_id"], ["users.id"], name=op.f("fk_score_corrections_corrected_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["stage_score_id"],
            ["stage_scores.id"],
            name=op.f("fk_score_corrections_stage_score_id_stage_scores"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_corrections")),
    )
    with op.batch_alter_table("score_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_score_corrections_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_score_corrections_stage_score_id"), ["stage_score_id"], unique=False
        )

    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    with op.batch_alter_table("audit_anchors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_anchors_seq"), ["seq"], unique=False)

    op.create_table(
        "sitting_proctors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_sitting_proctors_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            ondelete="CASCADE",
            name=op.f("fk_sitting_proctors_sitting_id_sittings"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sitting_proctors_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitting_proctors")),
        sa.UniqueConstraint("sitting_id", "user_id", name="uq_sitting_proctors_sitting_user"),
    )
    with op.batch_alter_table("sitting_proctors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sitting_proctors_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("stage_scores", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stage_scores_source_known"), type_="check")
        batch_op.create_check_constraint(
            "source_known", "source IN ('exam','certificate','interview','hr_entry','import','correction')"
        )

    with op.batch_alter_table("merit_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawal_requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_requested_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("content_format", sa.String(length=40), nullable=False, server_default=FORMAT_1)
        )
        batch_op.create_foreign_key(
            "fk_merit_lists_withdrawal_requested_by_id_users", "users", ["withdrawal_requested_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_merit_lists_cancelled_by_id_users", "users", ["cancelled_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "withdrawal_two_person_rule",
            "cancelled_by_id IS NULL OR withdrawal_requested_by_id IS NULL "
            "OR cancelled_by_id <> withdrawal_requested_by_id",
        )
    with op.batch_alter_table("merit_lists", schema=None) as batch_op:
        batch_op.alter_column("withdrawal_reason", server_default=None)

    with op.batch_alter_table("merit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_offers_status_known"), type_="check")
        batch_op.create_check_constraint(
            "status_known", "status IN ('pending','accepted','waived','lapsed','withdrawn')"
        )


def downgrade():
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_offers_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", "status IN ('pending','accepted','waived','lapsed')")
    with op.batch_alter_table("merit_entries", schema=None) as batch_op:
        batch_op.drop_column("sources")
    with op.batch_alter_table("merit_lists", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_merit_lists_withdrawal_two_person_rule"), type_="check")
        batch_op.drop_constraint("fk_merit_lists_cancelled_by_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_merit_lists_withdrawal_requested_by_id_users", type_="foreignkey")
        batch_op.drop_column("content_format")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawal_requested_at")
        batch_op.drop_column("withdrawal_requested_by_id")
    with op.batch_alter_table("stage_scores", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stage_scores_source_known"), type_="check")
        batch_op.create_check_constraint(
            "source_known", "source IN ('exam','certificate','interview','hr_entry','import')"
        )
    op.drop_table("sitting_proctors")
    op.drop_table("audit_anchors")
    op.drop_table("score_corrections")
