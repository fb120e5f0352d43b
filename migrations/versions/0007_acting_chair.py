"""An acting chair per interview: when the panel's chair declares a conflict of interest for a
candidate, HR names one of the scoring members to preside over that interview (finalize,
correct, name substitutes) in the chair's place.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acting_chair_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_interviews_acting_chair_id_users", "users", ["acting_chair_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_constraint("fk_interviews_acting_chair_id_users", type_="foreignkey")
        batch_op.drop_column("acting_chair_id")
