"""What every Socket.IO handler shares: acks that carry refusals, and payload parsing.

The payload rules of docs/realtime.md live here: an event's payload is a JSON object of at most
MAX_EVENT_BYTES (`too_large` otherwise); every integer has a documented range and every flag is
a boolean. A payload of the wrong shape (a field missing, of the wrong type or out of its range)
is `validation_failed`, refused before any database work.
"""

from __future__ import annotations

import functools
import json
import logging
import math

from flask import current_app, has_app_context
from flask.globals import app_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from socketio.packet import Packet
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..extensions import db
from .errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

# An event's payload, as JSON, may be this long (docs/realtime.md): the largest real payload (an
# announcement of 2,000 Thai characters) is about 6 KB. Larger payloads are refused with
# `too_large`; beyond the transport's own limit (MAX_MESSAGE_BYTES, engine.io's
# max_http_buffer_size) the connection is closed instead, as no ack can be read.
MAX_EVENT_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
# The ranges of the protocol's integers.
MAX_SEQ = 2**53 - 1  # a JavaScript number counts exactly up to here (Number.MAX_SAFE_INTEGER)
MAX_ID = 2**31 - 1  # database ids (32-bit on PostgreSQL)


class TextPacket(Packet):
    """Socket.IO's packet for a server that sends no binary data (ours: JSON only).

    The library checks every outgoing payload for bytes, walking every list and dict in it in
    Python; the proctor's start sends thousands of states with their first question, where
    that walk was a sixth of the start's CPU. Incoming packets are read as before (their type
    says whether they carry attachments)."""

    @classmethod
    def data_is_binary(cls, data) -> bool:
        return False


def name_the_socketio_path(app, path: str = "socket.io") -> None:
    """Give the Socket.IO path a URL rule of its own.

    Flask-SocketIO runs every event in a request context made from the connection's environ,
    whose path (`/socket.io/`) no rule matched: werkzeug raised NotFound for every event and
    the context kept it (WebsocketMismatch for a websocket), with its traceback, whose
    frames hold the context in turn. Each event
    thus left ~60 objects in reference cycles (frames of the whole handling stack), which only
    the garbage collector frees: at thousands of events a second its collections held the
    event loop 0.15 s at a time (issue 20, docs/performance.md). With a rule the match
    succeeds and nothing is raised. Its view is never reached over HTTP (Flask-SocketIO's
    middleware serves the path before Flask sees it); if it were, it answers 404."""

    def socketio_path():
        return {"ok": False, "error": "not_found", "message": "Socket.IO endpoint"}, 404

    rule = f"/{path.strip('/')}/"
    app.add_url_rule(rule, "socketio_path", socketio_path, strict_slashes=False)
    # (a connection upgraded to a websocket matches only a websocket rule: WebsocketMismatch)
    app.add_url_rule(rule, "socketio_path", socketio_path, strict_slashes=False, websocket=True)


# The URL adapter of each connection's environ, for url_for in a light event (below).
_ADAPTER = "bma.url_adapter"


def light_event(socketio, event: str, namespace: str, locale_of=None):
    """Register a hot event's handler to run in an application context only.

    Flask-SocketIO runs every event in a request context made from the connection's environ
    (a Request, a URL match, the session put in place): about 70 µs of CPU per event, a
    twentieth of a question + answer pair's, for handlers that use none of it. The handler is
    called as Flask-SocketIO calls it; the connection's id is `g.sid`, `g.locale` its language
    (`locale_of(sid)`, for gettext), and url_for builds paths as in the connection's request.
    What it may not use: `request`, `session`, `current_user`, Flask-SocketIO's `emit`
    and `join_room` without `to=`/`sid=` (no request context to find the sender in)."""

    def decorator(handler):
        def _handler(sid, *args):
            environ = socketio.server.get_environ(sid, namespace=namespace)
            if not environ:  # (as Flask-SocketIO: a client this process no longer knows)
                return "", 400
            app = environ["flask.app"]
            adapter = environ.get(_ADAPTER)
            if adapter is None:
                adapter = environ[_ADAPTER] = app.url_map.bind_to_environ(environ)
            if has_app_context() and current_app._get_current_object() is app:
                # (the tests' own context, which a request context would reuse too: lent to
                # the event and given back as it was)
                ctx = app_ctx._get_current_object()
                saved = ctx.url_adapter, dict(ctx.g.__dict__)
                try:
                    return _run(ctx, adapter, handler, sid, args)
                finally:
                    ctx.url_adapter = saved[0]
                    ctx.g.__dict__.clear()
                    ctx.g.__dict__.update(saved[1])
            with app.app_context() as ctx:
                return _run(ctx, adapter, handler, sid, args)

        def _run(ctx, adapter, handler, sid, args):
            ctx.url_adapter = adapter
            ctx.g.sid = sid
            if locale_of is not None:
                ctx.g.locale = locale_of(sid)
                ctx.g.pop("_flask_babel", None)  # (Flask-Babel's choice, made once per context)
            return handler(*args)

        if socketio.server is not None:
            socketio.server.on(event, _handler, namespace=namespace)
        else:  # (registered on the server by init_app, as Flask-SocketIO's own handlers)
            socketio.handlers.append((event, _handler, namespace))
        return handler

    return decorator


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


def _size(data) -> int:
    try:
        return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):  # (binary attachments: not part of the protocol)
        return MAX_EVENT_BYTES + 1


def check_payload(data) -> dict:
    """The event's payload as a dict: missing is `{}`; anything but an object is refused."""
    if data is None:
        return {}
    if _size(data) > MAX_EVENT_BYTES:
        raise TooLarge(_("This message is too large (at most %(limit)s bytes).", limit=MAX_EVENT_BYTES))
    if not isinstance(data, dict):
        raise ValidationFailed(_("The message must be a JSON object."))
    return data


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
        try:
            data = check_payload(args[0] if args else None)
            if login and not current_user.is_authenticated:
                return {"ok": False, "error": "unauthorized", "message": _("Log in first.")}
            return handler(data)
        except DomainError as err:
            db.session.rollback()
            return err.to_dict()
        except (DBAPIError, PoolTimeout) as err:  # (PoolTimeout: every connection busy for too long)
            db.session.rollback()
            if isinstance(err, PoolTimeout):
                # (overload, not a fault: one line, no traceback to format for each of thousands)
                log.warning("database pool busy in %s: asked to retry", handler.__name__)
            else:
                log.exception("database error in %s", handler.__name__)
            return {
                "ok": False,
                "error": "retry",
                "message": _("The server could not save this just now; it will be sent again."),
            }

    return wrapper


def unknown_event(event: str, data=None) -> dict:
    """The ack of an event the namespace does not have (a too large one says so first)."""
    if data is not None and _size(data) > MAX_EVENT_BYTES:
        return TooLarge(
            _("This message is too large (at most %(limit)s bytes).", limit=MAX_EVENT_BYTES)
        ).to_dict()
    return {
        "ok": False,
        "error": "unknown_event",
        "message": _("Unknown event: %(event)s.", event=str(event)[:60]),
    }


def int_field(data: dict, name: str, low: int = -(2**63), high: int = 2**63 - 1) -> int:
    """A required whole number in [low, high] (by default what a 64-bit column holds): a JSON
    boolean or 1.0 is not one. Pass the field's documented range."""
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed(_("%(name)s must be a whole number.", name=name), name)
    if not low <= value <= high:
        raise ValidationFailed(
            _("%(name)s must be between %(low)s and %(high)s.", name=name, low=low, high=high), name
        )
    return value


def bool_field(data: dict, name: str) -> bool:
    """A required JSON boolean: "yes", 1 or null are refused."""
    value = data.get(name)
    if not isinstance(value, bool):
        raise ValidationFailed(_("%(name)s must be true or false.", name=name), name)
    return value


def number_field(data: dict, name: str, low: float = 0, high: float = MAX_SEQ) -> float:
    """A required finite JSON number in [low, high] (integers and decimals)."""
    value = data.get(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise ValidationFailed(_("%(name)s must be a number.", name=name), name)
    if not low <= value <= high:
        raise ValidationFailed(
            _("%(name)s must be between %(low)s and %(high)s.", name=name, low=low, high=high), name
        )
    return value


def text_field(data: dict, name: str, required: bool = True) -> str:
    """A string field; missing is "" (services decide whether it may be empty)."""
    value = data.get(name, "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(_("%(name)s must be text.", name=name), name)
    return value


class NotConfirmed(ValidationFailed):
    code = "not_confirmed"


def need_confirmation(data: dict, what: str) -> None:
    """An irreversible step sent over a socket (force-submitting, finalizing a score) carries
    `confirmed: true`, which the page sends only once the person confirmed in its dialog; the
    server refuses it otherwise (`not_confirmed`), as it refuses an unconfirmed form (common/confirm.py)."""
    if not (isinstance(data, dict) and data.get("confirmed") is True):
        raise NotConfirmed(_("Confirm first: %(what)s", what=what))


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
