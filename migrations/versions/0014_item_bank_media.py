"""The item bank's media and page: images and audio kept with item versions (item_assets),
retiring an item with its reason, and the `bank_manager` role that keeps the bank.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import app.common.types

ROLES_BEFORE = "role IN ('candidate','hr_officer','hr_approver','panel','proctor','admin','partner')"
ROLES_AFTER = (
    "role IN ('candidate','hr_officer','hr_approver','panel','proctor','admin','partner','bank_manager')"
)

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=60), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", app.common.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_item_assets_size_positive")),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_versions.id"],
            name=op.f("fk_item_assets_item_version_id_item_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_assets")),
        sa.UniqueConstraint("item_version_id", "name", name="uq_item_assets_version_name"),
    )
    with op.batch_alter_table("item_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_assets_bank"), ["bank"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_assets_item_version_id"), ["item_version_id"], unique=False)

    with op.batch_alter_table("exam_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retired_at", app.common.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("retired_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retired_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_exam_items_retired_by_id_users"), "users", ["retired_by_id"], ["id"]
        )

    # user_roles is no table's parent, so SQLite's batch copy of it is safe with foreign keys on.
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_roles_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_roles_role_known"), ROLES_AFTER)


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'bank_manager'")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_roles_role_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_roles_role_known"), ROLES_BEFORE)
    with op.batch_alter_table("exam_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_exam_items_retired_by_id_users"), type_="foreignkey")
        batch_op.drop_column("retired_reason")
        batch_op.drop_column("retired_by_id")
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("item_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_assets_item_version_id"))
        batch_op.drop_index(batch_op.f("ix_item_assets_bank"))
    op.drop_table("item_assets")
