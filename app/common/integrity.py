"""What a service does when the database's constraints refuse a write: roll back and tell the
user why, in their language (a unique key is how two concurrent requests learn one of them lost)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .errors import DomainError


def flush_or_refuse(refusal: DomainError) -> None:
    """Flush the session; if a constraint refuses it, roll back (nothing half-stored) and raise
    `refusal`."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise refusal from None
