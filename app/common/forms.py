"""What every form shares: a filter for typed text, and turning a service's refusal into what the
person filling the form sees."""

from __future__ import annotations

from flask import flash

from ..extensions import db
from .errors import DomainError


def strip(value):
    """A WTForms filter: typed text without the spaces around it (other values as they are)."""
    return value.strip() if isinstance(value, str) else value


def show_error(form, err: DomainError, aliases: dict | None = None) -> int:
    """Undo the failed change, put the message next to the field it names (or flash it).

    `aliases` maps a service's field name to the form's where they differ. Returns the HTTP
    status the page should be answered with.
    """
    db.session.rollback()
    name = (aliases or {}).get(err.field, err.field)
    if form is not None and name and name in form:
        form[name].errors = [*form[name].errors, err.message]
    else:
        flash(err.message, "error")
    return err.status_code
