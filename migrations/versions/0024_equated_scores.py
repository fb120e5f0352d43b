"""Scores on one scale: each submitted attempt's score equated to the reference form of its
exam with a calibration (IRT true-score equating), and the round's choice of which Part A
score ranks, raw or equated (docs/psychometrics.md).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 02:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.common.types

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "equated_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("form_set_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("max_score", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("equated", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("theta", sa.Float(), nullable=True),
        sa.Column("created_at", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "equated >= 0 AND equated <= max_score", name=op.f("ck_equated_scores_equated_range")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_equated_scores_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["form_set_id"], ["form_sets.id"], name=op.f("fk_equated_scores_form_set_id_form_sets")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["calibration_runs.id"], name=op.f("fk_equated_scores_run_id_calibration_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equated_scores")),
        sa.UniqueConstraint("attempt_id", "run_id", "form_set_id", name="uq_equated_scores_attempt_run_set"),
    )
    with op.batch_alter_table("equated_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equated_scores_attempt_id"), ["attempt_id"], unique=False)
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("part_a_ranks", sa.String(length=10), server_default="raw", nullable=False)
        )
        batch_op.create_check_constraint("part_a_ranks_known", "part_a_ranks IN ('raw','equated')")


def downgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_rounds_part_a_ranks_known"), type_="check")
        batch_op.drop_column("part_a_ranks")
    with op.batch_alter_table("equated_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equated_scores_attempt_id"))
    op.drop_table("equated_scores")
