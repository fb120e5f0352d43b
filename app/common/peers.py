"""Work that every web process does for its own connections, asked for by any one of them.

Socket.IO's message queue carries messages to pages; it cannot ask another process to do
something. Some work is best done by each process for the pages connected to it: the
proctor's start of a synchronized sitting of thousands (each process starts its own waiting
candidates' attempts and sends each of them the first question, in parallel, without a
message per page through Redis). `ask_everyone(name, payload)` runs the handler registered
as `name` in every web process: through a Redis channel of its own (the message queue's
channel + ":peers") when there is a message queue, else at once in this process (one
process: tests, `make run`). Handlers run in an app context, with no request.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable

from flask import Flask, current_app

from ..extensions import socketio

log = logging.getLogger(__name__)

_HANDLERS: dict[str, Callable[[dict], None]] = {}
# app -> the process whose listener serves it (a forked worker starts its own).
_LISTENING: dict[int, int] = {}


def handler(name: str):
    """Register `fn(payload)` as what every process does when asked `name`."""

    def register(fn):
        _HANDLERS[name] = fn
        return fn

    return register


def _channel(app: Flask) -> str:
    return f"{app.config['SOCKETIO_CHANNEL']}:peers"


def listen(app: Flask) -> None:
    """Make sure this process listens (once per process; nothing to do without a message
    queue). Called where a process first gets a connection that may need such work."""
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not queue or _LISTENING.get(id(app)) == os.getpid():
        return
    _LISTENING[id(app)] = os.getpid()
    socketio.start_background_task(_listen, app, queue)


def ask_everyone(name: str, payload: dict) -> None:
    """Have every web process run the handler `name` with `payload` (this one included)."""
    if name not in _HANDLERS:
        raise KeyError(name)
    app = current_app._get_current_object()
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not queue:
        _HANDLERS[name](payload)
        return
    import redis

    client = redis.Redis.from_url(queue)
    try:
        client.publish(_channel(app), json.dumps({"name": name, "payload": payload}))
    finally:
        client.close()


def _listen(app: Flask, queue: str) -> None:
    import redis

    while True:
        try:
            client = redis.Redis.from_url(queue)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_channel(app))
            for message in pubsub.listen():
                _run(app, message.get("data"))
        except Exception:  # Redis restarting: listen again shortly
            log.exception("peer channel lost; listening again")
        socketio.sleep(1)


def _run(app: Flask, data) -> None:
    try:
        message = json.loads(data)
        fn = _HANDLERS[message["name"]]
    except (TypeError, ValueError, KeyError):
        log.warning("unknown peer message %r", data)
        return
    # Its own task: the listener goes on reading while a long handler works.
    socketio.start_background_task(_handle, app, fn, message.get("payload") or {})


def _handle(app: Flask, fn, payload: dict) -> None:
    from ..extensions import db

    with app.app_context():
        try:
            fn(payload)
        except Exception:
            log.exception("peer work %s failed", getattr(fn, "__name__", fn))
            db.session.rollback()
