"""The baseline for bench/exam_load.py: a bare Flask-SocketIO app that answers the same events as
the `/exam` namespace (join, question, answer) with acknowledgements of the same shape, and does
nothing else: no database, no session, no proctor notice. Served exactly like the real app
(`gunicorn -c deploy/gunicorn.conf.py bench.echo_app:app`, same async mode and message queue),
so (our answers/s) ÷ (echo answers/s) is the cost of our own code over the framework's.

The websockets compress as ours do (`WEBSOCKET_COMPRESSION`, app/common/websocket.py; `off`
by default): until 2026-12-07 the echo left the library's default (on), so its every message
was compressed both ways and its figures were a lower floor than the framework's own."""

import os
import time

from flask import Flask, jsonify
from flask_socketio import SocketIO, join_room

from app.common import websocket

websocket.configure(os.environ.get("WEBSOCKET_COMPRESSION", "off"))

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "echo")
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
    message_queue=os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
    channel=os.environ.get("SOCKETIO_CHANNEL", "flask-socketio"),
)
NS = "/exam"


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@socketio.on("connect", namespace=NS)
def connect(auth=None):
    return True


@socketio.on("join", namespace=NS)
def join(data):
    join_room("waiting")
    return {
        "ok": True,
        "state": {
            "status": "in_progress",
            "remaining_seconds": 3600,
            "answers": {},
            "seqs": {},
            "sitting_id": data.get("sitting_id"),
        },
    }


@socketio.on("sync", namespace=NS)
def sync(data):
    return {"ok": True, "client_time": data.get("client_time"), "server_ms": int(time.time() * 1000)}


@socketio.on("question", namespace=NS)
def question(data):
    return {
        "ok": True,
        "question": {
            "index": data.get("index"),
            "stem": "echo",
            "choices": [{"id": c, "label": c, "text": c} for c in "abcd"],
        },
    }


@socketio.on("answer", namespace=NS)
def answer(data):
    return {
        "ok": True,
        "index": data.get("index"),
        "choice": data.get("choice"),
        "seq": data.get("seq"),
        "stale": False,
    }


@socketio.on("start", namespace="/proctor")
def start(data):
    """The proctor's start (bench/exam_start.py): the framework's floor for it, ONE message
    fanned out to every waiting page (ours sends each page its own state and question)."""
    socketio.emit(
        "started",
        {"status": "in_progress", "remaining_seconds": 3600, "answers": {}, "seqs": {}},
        to="waiting",
        namespace=NS,
    )
    return {"ok": True}
