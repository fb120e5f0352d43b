"""Read-only queries behind the administration pages: dashboard counts and the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..accounts.models import User
from ..agencies.models import Agency
from ..audit.models import AuditEntry
from ..common.lookup import count_by
from ..extensions import db
from ..recruitment.models import Round, RoundStatus

AUDIT_PER_PAGE = 50


def count_agencies() -> int:
    return db.session.scalar(select(func.count()).select_from(Agency))


def count_rounds_by_status() -> dict[str, int]:
    return count_by(Round.status, RoundStatus.ALL)


def count_audit_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@dataclass
class AuditPage:
    """One page of audit entries and the users who acted in them."""

    pagination: object  # flask_sqlalchemy Pagination of AuditEntry
    actors: dict[int, User]

    @property
    def entries(self) -> list[AuditEntry]:
        return self.pagination.items


def _actors_of(entries: list[AuditEntry]) -> dict[int, User]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def audit_page(
    action_prefix: str = "", object_type: str = "", page: int = 1, per_page: int = AUDIT_PER_PAGE
) -> AuditPage:
    """Newest first; `action_prefix` "role." matches role.grant and role.revoke."""
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    prefix = (action_prefix or "").strip()
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(AuditEntry.action.like(escaped + "%", escape="\\"))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    pagination = db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)
    return AuditPage(pagination, _actors_of(pagination.items))


def audit_object_types() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    )


def recent_entries_about(
    object_type: str, object_id, limit: int = 20
) -> tuple[list[AuditEntry], dict[int, User]]:
    """The latest entries about one object (e.g. a user's account), newest first."""
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq.desc())
            .limit(limit)
        )
    )
    return entries, _actors_of(entries)
