"""Item types: an item version has a type (single, multiple, true_false, numeric, text) and a
key that can hold each (JSON; existing keys "b" become the JSON string "b"); an item records
the origin its source names (identity across imports); an exam says how multiple-response items
score; an answer holds any type's canonical form (up to 400 characters).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TYPES = "item_type IN ('single','multiple','true_false','numeric','text')"
SCORING = "multiple_scoring IN ('all_or_nothing','partial')"


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("exam_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=300), nullable=False, server_default=""))
    if not postgres:
        # SQLite keeps JSON as text: the choice id becomes a JSON string.
        op.execute('UPDATE item_versions SET "key" = json_quote("key")')
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("item_type", sa.String(length=20), nullable=False, server_default="single")
        )
        batch_op.alter_column(
            "key",
            existing_type=sa.String(length=4),
            type_=sa.JSON(),
            existing_nullable=False,
            postgresql_using='to_json("key")',
        )
        batch_op.create_check_constraint(op.f("ck_item_versions_item_type_known"), TYPES)
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "multiple_scoring", sa.String(length=20), nullable=False, server_default="all_or_nothing"
            )
        )
        batch_op.create_check_constraint(op.f("ck_exams_multiple_scoring_known"), SCORING)
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.alter_column(
            "choice", existing_type=sa.String(length=4), type_=sa.String(length=400), existing_nullable=True
        )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        # SQLite rebuilds exam_items and exams to drop a column; rows of sittings and
        # item_versions point at them meanwhile.
        op.execute("PRAGMA foreign_keys=OFF")
    # Only choice answers and choice keys fit the old columns: the other types cannot go back.
    op.execute("DELETE FROM attempt_answers WHERE length(choice) > 4")
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.alter_column(
            "choice", existing_type=sa.String(length=400), type_=sa.String(length=4), existing_nullable=True
        )
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_exams_multiple_scoring_known"), type_="check")
        batch_op.drop_column("multiple_scoring")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_item_versions_item_type_known"), type_="check")
        batch_op.drop_column("item_type")
        batch_op.alter_column(
            "key",
            existing_type=sa.JSON(),
            type_=sa.String(length=4),
            existing_nullable=False,
            postgresql_using="""CASE WHEN json_typeof("key") = 'string' THEN "key" #>> '{}' ELSE '' END""",
        )
    if not postgres:
        op.execute(
            """UPDATE item_versions SET "key" = CASE WHEN json_type("key") = 'text'
               THEN json_extract("key", '$') ELSE '' END"""
        )
    with op.batch_alter_table("exam_items", schema=None) as batch_op:
        batch_op.drop_column("origin")
    if not postgres:
        op.execute("PRAGMA foreign_keys=ON")
