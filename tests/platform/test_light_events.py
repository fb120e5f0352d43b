"""The online test's hot events (sync, question, answer) run without a request context
(common.sockets.light_event) and still answer in the connection's language, with paths as the
page's; and no Socket.IO event leaves anything in reference cycles but what werkzeug's matcher itself
leaves (common.sockets.name_the_socketio_path): Flask-SocketIO runs each event in a request
context made from the connection's environ, and a path no rule matched left NotFound (or, on a
websocket, WebsocketMismatch) with its traceback and every frame of the handling stack in a
cycle, for the garbage collector to find; at thousands of events a second its collections held
the event loop 0.15 s at a time (issue 20, docs/performance.md)."""

from __future__ import annotations

import gc

import pytest
from werkzeug.test import EnvironBuilder

WEBSOCKET_HEADERS = {"Upgrade": "websocket", "Connection": "Upgrade"}


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/socket.io/", {}),  # long-polling
        ("/socket.io/", WEBSOCKET_HEADERS),  # a websocket (werkzeug matches websocket rules only)
        ("/socket.io", {}),
    ],
)
def test_the_socketio_path_matches_a_rule(app, path, headers):
    environ = EnvironBuilder(
        path=path, query_string="EIO=4&transport=websocket", headers=headers
    ).get_environ()
    with app.request_context(environ) as ctx:
        assert ctx.request.routing_exception is None
        assert ctx.request.endpoint == "socketio_path"


def _frames_and_contexts_left(run) -> dict[str, int]:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        names = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return {
        name: names.count(name)
        for name in ("frame", "traceback", "RequestContext", "NotFound", "WebsocketMismatch")
        if names.count(name)
    }


def test_events_leave_no_frames_or_contexts_in_cycles(app, make):
    """A joined candidate's sync, question, answer and an unknown event, 20 times each."""
    from datetime import timedelta

    from app.extensions import socketio
    from tests.factories import exams as eh

    eh.typed_bank()
    sitting, _hr = eh.sitting(make, eh.typed_exam(), mode="window", starts_in=timedelta(minutes=-1))
    cand, seat = eh.seated(make, sitting)
    eh.check_in(cand, seat)
    sio = socketio.test_client(app, namespace="/exam", flask_test_client=make.client_for(app, cand))

    def call(event, data):
        return sio.emit(event, data, namespace="/exam", callback=True)

    assert call("join", {"sitting_id": sitting.id})["ok"]
    assert call("start", {})["ok"]
    seq = iter(range(1, 1000))
    # (the form's order is drawn for each candidate: find its single-choice question)
    single = next(i for i in range(5) if call("question", {"index": i})["question"]["type"] == "single")

    def events():
        for _ in range(20):
            assert call("sync", {"client_time": 1})["ok"]
            assert call("question", {"index": single})["ok"]
            ack = call("answer", {"index": single, "seq": next(seq), **eh.TYPED_ITEMS["single"]["right"]})
            assert ack["ok"], ack
            assert call("no_such_event", {})["error"] == "unknown_event"

    events()  # (warm: whatever is made once per process)
    assert _frames_and_contexts_left(events) == {}
    sio.disconnect("/exam")


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_light_event_answers_in_the_connections_language(app, make, lang):
    from datetime import timedelta

    from app.extensions import socketio
    from tests.factories import exams as eh

    eh.typed_bank()
    sitting, _hr = eh.sitting(make, eh.typed_exam(), mode="window", starts_in=timedelta(minutes=-1))
    cand, seat = eh.seated(make, sitting)
    eh.check_in(cand, seat)
    http = make.client_for(app, cand, lang=lang)
    sio = socketio.test_client(app, namespace="/exam", flask_test_client=http)

    def call(event, data):
        return sio.emit(event, data, namespace="/exam", callback=True)

    before = call("question", {"index": 0})  # (not joined yet)
    assert before["error"] == "not_found"
    assert ("กรุณาเข้าสู่หน้าสอบก่อน" in before["message"]) == (lang == "th"), before
    assert call("join", {"sitting_id": sitting.id})["ok"] and call("start", {})["ok"]
    bad = call("answer", {"index": 0, "seq": "one", "choice": "a"})
    assert bad["error"] == "validation_failed"
    assert bad["message"] == ("seq ต้องเป็นจำนวนเต็ม" if lang == "th" else "seq must be a whole number."), bad
    question = call("question", {"index": 0})["question"]
    assert question["lang"] == lang
    sio.disconnect("/exam")
