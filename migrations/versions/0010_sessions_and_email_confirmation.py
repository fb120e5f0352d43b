"""Accounts for issue 14: a session token per user (changing it ends every session of the
account), the time the email address was confirmed, and no more account lock-out (failed
log-ins are throttled by Flask-Limiter instead, so a stranger cannot lock the owner out).

Existing accounts count as confirmed from their creation and get a random token each.

Revision ID: 0010
Revises: 0009
"""

import secrets

import sqlalchemy as sa
from alembic import op

import app.common.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("email_verified_at", app.common.types.UTCDateTime(timezone=True), nullable=True)
        )
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("session_token", sa.String),
        sa.column("email_verified_at", app.common.types.UTCDateTime(timezone=True)),
        sa.column("created_at", app.common.types.UTCDateTime(timezone=True)),
    )
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24))
        )
    conn.execute(users.update().values(email_verified_at=users.c.created_at))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locked_until", app.common.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("session_token")
