"""Access rules shared by the blueprints: role checks and agency scoping."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Logged in and holding at least one of `roles`; 403 otherwise."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_same_agency(user, agency_id: int) -> None:
    """HR acts only for its own agency; administrators are not HR and get no exception."""
    if user.agency_id is None or user.agency_id != agency_id:
        abort(403)
