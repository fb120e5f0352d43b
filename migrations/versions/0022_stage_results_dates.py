"""The date a stage's results are announced by (ประกาศผลภายในวันที่), set by HR and shown in
the candidate's next steps until the results are out.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("round_stages") as batch_op:
        batch_op.add_column(sa.Column("results_announced_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("round_stages") as batch_op:
        batch_op.drop_column("results_announced_on")
