"""How many choices a multiple-response item lets a candidate choose (QTI maxChoices and
minChoices, the item file's max_choices and min_choices): kept with each item version, shown
on the test page and enforced by the `answer` event (docs/exam_bank.md).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 02:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("item_versions") as batch:
        batch.add_column(sa.Column("min_choices", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_choices", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_item_versions_choice_limits_sane"),
            "(min_choices IS NULL OR min_choices >= 1) AND (max_choices IS NULL OR max_choices >= 1)"
            " AND (min_choices IS NULL OR max_choices IS NULL OR min_choices <= max_choices)",
        )


def downgrade():
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_constraint(op.f("ck_item_versions_choice_limits_sane"), type_="check")
        batch.drop_column("max_choices")
        batch.drop_column("min_choices")
