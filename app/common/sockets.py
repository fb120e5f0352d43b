"""What every Socket.IO handler shares: acks that carry refusals, and payload parsing."""
from __future__ import annotations

import functools
import logging

from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..extensions import db
from .errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)


def acked(handler=None, *, login: bool = True):
    """Turn refusals into `{ok: false}` acks; database trouble into a retryable error.

    `login=False` is for handlers that find their own caller without Flask-Login (the online
    test's question and answer events act on the connection's joined attempt, and joining
    needed a login): loading the user costs a query per event.
    """
    if handler is None:
        return functools.partial(acked, login=login)

    @functools.wraps(handler)
    def wrapper(*args):
        data = args[0] if args else None
        try:
            if login and not current_user.is_authenticated:
                return {"ok": False, "error": "unauthorized", "message": _("Log in first.")}
            return handler(data if isinstance(data, dict) else {})
        except DomainError as err:
            db.session.rollback()
            return err.to_dict()
        except (DBAPIError, PoolTimeout):  # (PoolTimeout: every connection busy for too long)
            db.session.rollback()
            log.exception("database error in %s", handler.__name__)
            return {"ok": False, "error": "retry",
                    "message": _("The server could not save this just now; it will be sent again.")}

    return wrapper


def int_field(data: dict, name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed(_("%(name)s must be a whole number.", name=name), name)
    return value


class SocketSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions, minus a wasted signature check per Socket.IO event.

    Flask-SocketIO copies the session at a connection's first event and puts that copy in
    place for every later event (`saved_session` in the connection's environ); Flask would
    still decode and verify the cookie for each event, only for the result to be replaced.
    """

    def open_session(self, app, request):
        if "saved_session" in request.environ:
            return self.session_class()
        return super().open_session(app, request)
