"""Leaner merit entries: storing a 100,000-entry list spent most of its time in PostgreSQL
checking foreign keys and filling indexes row by row (docs/performance.md, "Merit list
ranking"). Drop what no query needs: the candidate_id foreign key (the column is the
application's candidate, copied at generation; the application's keys already guarantee it),
the index on list_id (uq_merit_entries_list_rank starts with list_id) and the index on status
(entries are always read by list or by id).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("merit_entries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_merit_entries_candidate_id_users", type_="foreignkey")
        batch_op.drop_index("ix_merit_entries_list_id")
        batch_op.drop_index("ix_merit_entries_status")


def downgrade():
    with op.batch_alter_table("merit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_merit_entries_status", ["status"], unique=False)
        batch_op.create_index("ix_merit_entries_list_id", ["list_id"], unique=False)
        batch_op.create_foreign_key("fk_merit_entries_candidate_id_users", "users", ["candidate_id"], ["id"])
