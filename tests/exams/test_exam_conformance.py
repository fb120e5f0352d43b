"""Conformance of the /exam and /proctor protocol (docs/realtime.md), driven from outside: a
python-socketio client against one gunicorn process with a gevent worker, served the way
`make run` serves it (deploy/gunicorn.conf.py, JOBS_IN_WEB=1: the deadline sweeper runs in the
process the candidates are connected to). One test per promise of the document; the server is
shared by the module, and the last test stops it for 30 s (a real outage) and restarts it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import socketio as sio_client
from sqlalchemy import update

from app.audit.models import AuditEntry
from app.common.clock import now
from app.exams import sitting_control, starting
from app.exams.models import Attempt, AttemptAnswer, ServerHeartbeat
from app.extensions import db
from bench import cluster
from tests.factories import exams as eh
from tests.support.live_client import LiveClient, logged_in_cookie, wait_for

EXAM_EVENTS = (
    "superseded",
    "time_up",
    "time",
    "warning",
    "announcement",
    "started",
    "paused",
    "resumed",
    "force_submitted",
)
PROCTOR_EVENTS = ("candidate", "candidates", "progress", "sitting")
OUTAGE_SECONDS = 30


def proctor_rows(proctor) -> list[dict]:
    """The rows a dashboard was told, in order: one per `candidate`, a batch per `candidates`."""
    rows = []
    for name, data in proctor.received:
        if name == "candidate":
            rows.append(data)
        elif name == "candidates":
            rows.extend(data["rows"])
    return rows


# The server's heartbeat and outage threshold, lowered so that the outage test is quick to
# detect (the outage itself is real and as long as the issue asks).
SERVER_ENV = {
    "JOBS_IN_WEB": "1",
    "HEARTBEAT_SECONDS": "1",
    "OUTAGE_THRESHOLD_SECONDS": "5",
    "PROCTOR_PROGRESS_SECONDS": "0",
    # The server outlives each test's emptied database, whose ids come back: what it remembers
    # of a waiting room must not outlast a test (each takes longer than this to set up).
    "EXAM_WAITING_CACHE_SECONDS": "0.2",
}


class Server:
    """One gunicorn + gevent process on the test database, started as `make run` does."""

    def __init__(self, app, log_dir):
        self.port = cluster.free_port()
        self.env = cluster.app_env(app.config["SQLALCHEMY_DATABASE_URI"], extra=SERVER_ENV)
        self.log_dir = log_dir
        self.proc = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = cluster.start_web("web", self.port, self.env, self.log_dir)
        cluster.wait_healthy(self.proc, timeout=60)
        return self

    def kill(self):
        self.proc.kill()

    def log(self) -> str:
        return self.proc.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    srv = Server(app, tmp_path_factory.mktemp("conformance")).start()
    yield srv
    srv.kill()


class Hall:
    """Candidates, a proctor and their clients for one test; every client closed at its end."""

    def __init__(self, server, make):
        self.server, self.make, self.clients = server, make, []

    def client(self, cookie: str, namespace: str = "/exam") -> LiveClient:
        events = EXAM_EVENTS if namespace == "/exam" else PROCTOR_EVENTS
        c = LiveClient(self.server.base, cookie, namespace, events).connect()
        self.clients.append(c)
        return c

    def cookie(self, user) -> str:
        return logged_in_cookie(self.server.base, user.email, self.make.PASSWORD)

    def close(self):
        for c in self.clients:
            c.close()


@pytest.fixture
def hall(server, make, db):
    h = Hall(server, make)
    yield h
    h.close()


def running_sitting(make, candidates: int = 1, mode: str = "synchronized", start: bool = True):
    """A sitting with checked-in candidates; synchronized and started unless told otherwise."""
    eh.bank()
    exam = eh.exam(duration=30)
    starts_in = timedelta(minutes=-1) if mode == "window" else timedelta(minutes=1)
    sitting, hr = eh.sitting(make, exam, mode=mode, starts_in=starts_in)
    seats = []
    for _ in range(candidates):
        cand, seat = eh.seated(make, sitting)
        attempt = eh.check_in(cand, seat)
        seats.append((cand, seat, attempt))
    if start and mode == "synchronized":
        sitting_control.start_sitting(sitting, hr)
        for _c, _s, attempt in seats:
            starting.begin_if_due(attempt)
    proctor = make.proctor(sitting)
    return sitting, proctor, seats


def joined(hall, sitting, cand) -> tuple[LiveClient, dict]:
    c = hall.client(hall.cookie(cand))
    ack = c.call("join", {"sitting_id": sitting.id})
    assert ack["ok"], ack
    return c, ack["state"]


def stored(attempt_id: int) -> dict:
    db.session.remove()
    return {
        a.index: (a.choice, a.seq)
        for a in db.session.query(AttemptAnswer).filter_by(attempt_id=attempt_id)
        if a.seq
    }


def choice_of(attempt, index: int, pos: int = 0) -> str:
    return attempt.form[index]["choice_order"][pos]


def refused(ack: dict, code: str) -> bool:
    return ack["ok"] is False and ack["error"] == code and ack["message"]


# ---- connecting ------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["/exam", "/proctor", "/panel"])
def test_a_connection_without_a_login_is_refused_unauthorized_on_every_namespace(server, namespace):
    refusals = []
    client = sio_client.Client(reconnection=False)
    client.on("connect_error", lambda data: refusals.append(data), namespace=namespace)
    with pytest.raises(sio_client.exceptions.ConnectionError):
        client.connect(server.base, namespaces=[namespace], transports=["websocket"], wait_timeout=10)
    assert wait_for(lambda: refusals) and refusals[0] == {"message": "unauthorized"}
    client.disconnect()


def test_a_candidate_on_the_proctor_namespace_is_forbidden(server, hall, make, db):
    _sitting, _proctor, [(cand, _seat, _a)] = running_sitting(make)
    refusals = []
    client = sio_client.Client(reconnection=False)
    client.on("connect_error", lambda data: refusals.append(data), namespace="/proctor")
    with pytest.raises(sio_client.exceptions.ConnectionError):
        client.connect(
            server.base,
            namespaces=["/proctor"],
            transports=["websocket"],
            headers={"Cookie": hall.cookie(cand)},
            wait_timeout=10,
        )
    assert wait_for(lambda: refusals) and refusals[0] == {"message": "forbidden"}
    client.disconnect()


# ---- every event is acknowledged ----------------------------------------------------------------


def test_unknown_events_and_non_objects_are_acknowledged_with_a_code(hall, make):
    sitting, proctor, [(cand, _seat, _a)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    assert refused(c.call("answers", {"index": 0}), "unknown_event")
    assert refused(c.call("no_such_event", None), "unknown_event")
    assert refused(c.call("answer", [1, 2, 3]), "validation_failed")
    assert refused(c.call("answer", "a"), "validation_failed")
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert refused(p.call("kick", {"sitting_id": sitting.id}), "unknown_event")


def test_an_oversized_payload_is_refused_too_large_and_the_connection_stays(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    big = "x" * (1024 * 1024)  # 1 MB: over the 16 KB limit, under the transport's 2 MB
    assert refused(c.call("answer", {"index": 0, "choice": big, "seq": 1}), "too_large")
    assert refused(c.call("whatever", {"blob": big}), "too_large")
    assert c.call("answer", {"index": 0, "choice": choice_of(attempt, 0), "seq": 1})["ok"]


# ---- integers, booleans, choices ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("seq", 0),
        ("seq", -1),
        ("seq", 2**53),
        ("seq", 2**63),
        ("seq", 2**64),
        ("seq", 1.5),
        ("seq", True),
        ("seq", "7"),
        ("seq", None),
        ("index", -1),
        ("index", 10000),
        ("index", 2**63),
        ("index", True),
        ("index", 0.0),
    ],
)
def test_out_of_range_or_mistyped_integers_are_validation_failed_and_nothing_is_stored(
    hall, make, field, value
):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    payload = {"index": 0, "choice": choice_of(attempt, 0), "seq": 1, field: value}
    ack = c.call("answer", payload)
    assert refused(ack, "validation_failed") and ack["field"] == field
    assert stored(attempt.id) == {}


@pytest.mark.parametrize("sitting_id", [0, -5, 2**31, 2**63, 2**64, "1", True, None])
def test_join_with_an_out_of_range_sitting_id_is_validation_failed(hall, make, sitting_id):
    _sitting, _proctor, [(cand, _seat, _a)] = running_sitting(make)
    c = hall.client(hall.cookie(cand))
    assert refused(c.call("join", {"sitting_id": sitting_id}), "validation_failed")


def test_a_seq_from_date_now_is_stored_as_is(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    seq = int(time.time() * 1000)  # beyond 2**31: a 64-bit column
    ack = c.call("answer", {"index": 0, "choice": choice_of(attempt, 0), "seq": seq})
    chosen = choice_of(attempt, 0)
    assert ack == {
        "ok": True,
        "index": 0,
        "type": "single",
        "choice": chosen,
        "answer": chosen,
        "seq": seq,
        "stale": False,
    }
    top = 2**53 - 1
    assert c.call("answer", {"index": 1, "choice": choice_of(attempt, 1), "seq": top})["ok"]
    assert stored(attempt.id) == {0: (choice_of(attempt, 0), seq), 1: (choice_of(attempt, 1), top)}


def test_what_does_not_fit_the_form_is_bad_answer(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, state = joined(hall, sitting, cand)
    beyond = state["item_count"]  # a valid index, but this form has no such question
    assert refused(c.call("answer", {"index": beyond, "choice": "a", "seq": 1}), "bad_answer")
    assert refused(c.call("answer", {"index": 0, "choice": "z", "seq": 1}), "bad_answer")
    assert refused(c.call("answer", {"index": 0, "choice": 2, "seq": 1}), "validation_failed")
    assert refused(c.call("question", {"index": beyond}), "bad_answer")
    assert stored(attempt.id) == {}


def test_choice_is_required_and_an_explicit_null_clears(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    assert c.call("answer", {"index": 0, "choice": choice_of(attempt, 0), "seq": 1})["ok"]
    ack = c.call("answer", {"index": 0, "seq": 2})
    assert refused(ack, "validation_failed") and ack["field"] == "choice"
    assert stored(attempt.id) == {0: (choice_of(attempt, 0), 1)}
    assert c.call("answer", {"index": 0, "choice": None, "seq": 3}) == {
        "ok": True,
        "index": 0,
        "type": "single",
        "choice": None,
        "answer": None,
        "seq": 3,
        "stale": False,
    }
    assert stored(attempt.id) == {0: (None, 3)}


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_flagged_must_be_a_boolean(hall, make, value):
    sitting, _proctor, [(cand, _seat, _attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    assert refused(c.call("flag", {"index": 0, "flagged": value}), "validation_failed")
    assert c.call("flag", {"index": 0, "flagged": True}) == {"ok": True, "index": 0, "flagged": True}


def test_resending_is_safe_and_a_reused_seq_with_another_choice_is_refused(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    a, b = choice_of(attempt, 0, 0), choice_of(attempt, 0, 1)
    first = c.call("answer", {"index": 0, "choice": a, "seq": 5})
    # The ack was lost: the same answer again is acknowledged the same way, stored once.
    assert c.call("answer", {"index": 0, "choice": a, "seq": 5}) == first
    ack = c.call("answer", {"index": 0, "choice": b, "seq": 5})
    assert refused(ack, "bad_answer") and ack["field"] == "seq"
    older = c.call("answer", {"index": 0, "choice": b, "seq": 4})
    assert older["stale"] is True and older["choice"] == a and older["seq"] == 5
    assert stored(attempt.id) == {0: (a, 5)}


def test_a_new_device_continues_from_the_highest_seq_in_the_join_state(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    first, _state = joined(hall, sitting, cand)
    for seq, index in ((3, 0), (9, 1)):
        assert first.call("answer", {"index": index, "choice": choice_of(attempt, index), "seq": seq})["ok"]
    second, state = joined(hall, sitting, cand)
    assert wait_for(lambda: first.events("superseded"))
    assert state["seqs"] == {"0": 3, "1": 9}
    assert state["answers"] == {"0": choice_of(attempt, 0), "1": choice_of(attempt, 1)}
    nxt = max(state["seqs"].values()) + 1
    assert (
        second.call("answer", {"index": 0, "choice": choice_of(attempt, 0, 2), "seq": nxt})["stale"] is False
    )


def test_a_connection_that_has_not_joined_is_not_the_live_one(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c = hall.client(hall.cookie(cand))
    assert refused(c.call("answer", {"index": 0, "choice": choice_of(attempt, 0), "seq": 1}), "not_found")
    assert refused(c.call("question", {"index": 0}), "not_found")


def test_sync_gives_the_server_clock_and_the_remaining_time(hall, make):
    sitting, _proctor, [(cand, _seat, _attempt)] = running_sitting(make)
    c, state = joined(hall, sitting, cand)
    sent = int(time.time() * 1000)
    ack = c.call("sync", {"client_time": sent})
    assert ack["ok"] and ack["client_time"] == sent and ack["status"] == "in_progress"
    assert abs(ack["server_ms"] - sent) < 5000 and ack["deadline"] == state["deadline"]
    assert 0 <= state["remaining_seconds"] - ack["remaining_seconds"] <= 5
    assert refused(c.call("sync", {"client_time": "now"}), "validation_failed")


def test_a_question_never_carries_its_key_and_submit_returns_the_result(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    question = c.call("question", {"index": 0})["question"]
    assert (
        "key" not in question and [ch["id"] for ch in question["choices"]] == attempt.form[0]["choice_order"]
    )
    assert c.call("answer", {"index": 0, "choice": "b", "seq": 1})["ok"]  # (the key is b)
    ack = c.call("submit", {})
    assert ack["ok"] and ack["state"]["status"] == "submitted"
    assert ack["state"]["result"]["score"] == "1.00"
    assert refused(c.call("answer", {"index": 1, "choice": "b", "seq": 2}), "submitted")


def test_extensions_announcements_and_warnings_reach_the_candidate(hall, make):
    sitting, proctor, [(cand, seat, attempt)] = running_sitting(make)
    c, state = joined(hall, sitting, cand)
    p = hall.client(hall.cookie(proctor), "/proctor")
    ack = p.call(
        "extend",
        {"sitting_id": sitting.id, "seat_ids": [seat.id], "seconds": 120, "reason": "reader's accommodation"},
    )
    assert ack == {"ok": True, "changed": [seat.id]}
    assert wait_for(lambda: c.events("time"))
    assert c.events("time")[0]["reason"] == "extension" and c.events("time")[0]["seconds"] == 120
    assert refused(
        p.call("extend", {"sitting_id": sitting.id, "seat_ids": "some", "seconds": 60, "reason": "x"}),
        "validation_failed",
    )
    assert refused(
        p.call("extend", {"sitting_id": sitting.id, "seat_ids": "all", "seconds": 10**6, "reason": "x"}),
        "validation_failed",
    )
    assert p.call("announce", {"sitting_id": sitting.id, "message": "ห้ามใช้เครื่องคิดเลข"})["ok"]
    assert wait_for(lambda: c.events("announcement"))
    assert c.events("announcement")[0]["message"] == "ห้ามใช้เครื่องคิดเลข"
    # Under a minute left: the sweeper of this process sends the one-minute warning.
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id).values(deadline=now() + timedelta(seconds=50))
    )
    db.session.commit()
    assert wait_for(lambda: c.events("warning"), timeout=10)
    assert c.events("warning")[0] == {"minutes_left": 1}


# ---- the start, the pause, the end -------------------------------------------------------------


def test_a_window_candidate_waits_until_they_press_start(hall, make):
    sitting, _proctor, [(cand, _seat, attempt)] = running_sitting(make, mode="window")
    c, state = joined(hall, sitting, cand)
    assert state["status"] == "not_started" and state["can_start"] is True
    assert state["remaining_seconds"] == 0 and state["deadline"] is None
    assert refused(c.call("question", {"index": 0}), "not_started")
    sync = c.call("sync", {"client_time": int(time.time() * 1000)})
    assert sync["status"] == "not_started" and sync["can_start"] is True
    started = c.call("start", {})
    assert started["ok"] and started["state"]["status"] == "in_progress"
    assert 30 * 60 - 5 <= started["state"]["remaining_seconds"] <= 30 * 60
    assert c.call("question", {"index": 0})["ok"]


def test_a_synchronized_waiting_room_starts_when_the_proctor_starts(hall, make):
    sitting, proctor, [(cand, _seat, _attempt)] = running_sitting(make, start=False)
    c, state = joined(hall, sitting, cand)
    assert state["status"] == "not_started" and state["can_start"] is False
    assert refused(c.call("start", {}), "not_started")
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call("watch", {"sitting_id": sitting.id})["ok"]
    assert p.call("start", {"sitting_id": sitting.id}) == {"ok": True}
    assert wait_for(lambda: c.events("started"))
    assert c.events("started")[0]["status"] == "in_progress"


def test_a_waiting_room_sync_sees_the_proctors_start_at_once(hall, make):
    # Waiting pages' syncs are answered from the process's memory of the sitting
    # (EXAM_WAITING_CACHE_SECONDS): the start must still show in the very next sync.
    sitting, proctor, cands = running_sitting(make, candidates=2, start=False)
    (c1, _s1), (c2, _s2) = (joined(hall, sitting, cand) for cand, _seat, _attempt in cands)
    for c in (c1, c2, c1):
        sync = c.call("sync", {"client_time": 1})
        assert sync["ok"] and sync["status"] == "not_started" and sync["sitting_status"] == "scheduled"
        assert sync["can_start"] is False and sync["deadline"] is None and sync["remaining_seconds"] == 0
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call("start", {"sitting_id": sitting.id}) == {"ok": True}
    for c in (c1, c2):
        sync = c.call("sync", {"client_time": 1})
        assert sync["status"] == "in_progress" and sync["sitting_status"] == "started"
        assert sync["remaining_seconds"] > 0 and sync["deadline"]


def test_sync_and_join_agree_while_the_sitting_is_paused(hall, make):
    sitting, proctor, [(cand, _seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call("pause", {"sitting_id": sitting.id, "reason": "fire alarm"})["ok"]
    assert wait_for(lambda: c.events("paused"))
    first = c.call("sync", {"client_time": 0})["remaining_seconds"]
    time.sleep(1.5)  # the clock must stand still: let at least one second pass
    again = c.call("sync", {"client_time": 0})["remaining_seconds"]
    rejoin = c.call("join", {"sitting_id": sitting.id})["state"]
    assert first == again == rejoin["remaining_seconds"] and rejoin["sitting_status"] == "paused"
    assert refused(c.call("answer", {"index": 0, "choice": choice_of(attempt, 0), "seq": 1}), "paused")


def test_a_forced_submission_is_its_own_event_with_its_reason(hall, make):
    sitting, proctor, [(cand, seat, _attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call(
        "force_submit",
        {"sitting_id": sitting.id, "seat_id": seat.id, "reason": "left the room", "confirmed": True},
    ) == {"ok": True}
    assert wait_for(lambda: c.events("force_submitted"))
    event = c.events("force_submitted")[0]
    assert event["reason"] == "left the room" and event["state"]["status"] == "submitted"
    assert not c.events("time_up")


def test_time_up_reaches_every_connected_candidate_and_the_proctor(hall, make):
    sitting, proctor, seats = running_sitting(make, candidates=12)
    clients = [joined(hall, sitting, cand)[0] for cand, _seat, _a in seats]
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call("watch", {"sitting_id": sitting.id})["ok"]
    # The deadline comes in two seconds: the sweeper of this very process submits them.
    db.session.execute(
        update(Attempt)
        .where(Attempt.id.in_([a.id for _c, _s, a in seats]))
        .values(deadline=now() + timedelta(seconds=2))
    )
    db.session.commit()
    assert wait_for(lambda: all(c.events("time_up") for c in clients), timeout=15)
    assert all(c.events("time_up")[0]["status"] == "submitted" for c in clients)

    def submitted():
        return {r["seat_id"] for r in proctor_rows(p) if r["state"] == "submitted"}

    assert wait_for(lambda: len(submitted()) == 12, timeout=10)


def test_the_proctor_sees_a_disconnected_candidate_and_gives_the_time_back(hall, make):
    sitting, proctor, [(cand, seat, attempt)] = running_sitting(make)
    c, _state = joined(hall, sitting, cand)
    p = hall.client(hall.cookie(proctor), "/proctor")
    assert p.call("watch", {"sitting_id": sitting.id})["ok"]
    c.drop()

    def away():
        return [r for r in proctor_rows(p) if r["state"] == "disconnected"]

    assert wait_for(away, timeout=10) and away()[-1]["disconnected_since"]
    time.sleep(1.1)  # (a second lost, at least)
    back, _state = joined(hall, sitting, cand)
    assert refused(
        p.call("give_back", {"sitting_id": sitting.id, "seat_id": seat.id, "reason": ""}), "validation_failed"
    )
    ack = p.call(
        "give_back", {"sitting_id": sitting.id, "seat_id": seat.id, "reason": "Wi-Fi of room 101 failed"}
    )
    assert ack["ok"] and ack["seconds"] >= 1
    assert wait_for(lambda: back.events("time"))
    told = back.events("time")[0]
    assert told["reason"] == "given_back" and told["seconds"] == ack["seconds"]
    db.session.remove()
    assert db.session.query(AuditEntry).filter_by(action="attempt.give_back").count() == 1


def test_a_websocket_close_is_not_an_error_in_the_log(server, hall, make):
    sitting, _proctor, [(cand, _seat, _a)] = running_sitting(make)
    before = len(server.log())
    c, _state = joined(hall, sitting, cand)
    c.client.disconnect()  # a clean close
    other, _state = joined(hall, sitting, cand)
    other.drop()  # and an abrupt one
    time.sleep(1.0)
    added = server.log()[before:]
    assert "Traceback" not in added and "Error handling request" not in added, added


def test_after_every_server_process_stops_for_30_s_the_time_is_given_back(server, hall, make):
    """The last test of the module: the outage is real (the process killed, 30 s, restarted)."""
    sitting, proctor, [(cand, seat, attempt)] = running_sitting(make)
    sitting_id, seat_id, attempt_id = sitting.id, seat.id, attempt.id
    c, state = joined(hall, sitting, cand)
    before = state["deadline"]
    cand_cookie, proctor_cookie = hall.cookie(cand), hall.cookie(proctor)
    assert wait_for(lambda: db.session.query(ServerHeartbeat).count() > 0, timeout=5)
    db.session.remove()
    started_at = db.session.get(Attempt, attempt_id).started_at
    db.session.remove()
    c.drop()
    server.kill()  # every server process: no heartbeat, no sweeper
    time.sleep(OUTAGE_SECONDS)
    server.start()  # (booting is part of the outage: on a loaded machine it takes a while)
    serving_again = now()
    back = hall.client(cand_cookie)
    state = back.call("join", {"sitting_id": sitting_id})["state"]
    added = state["outage_seconds"]
    # At least the stop; at most the time from the test's start (or the newest beat before the
    # kill, which is later) until the process served again, plus the first beat's second.
    assert OUTAGE_SECONDS <= added <= (serving_again - started_at).total_seconds() + 1, (added, started_at)
    # (in the session's language: Thai, the default)
    assert "เนื่องจากระบบใช้งานไม่ได้" in state["outage_notice"]
    moved = (state["deadline"], before)
    db.session.remove()
    fresh = db.session.get(Attempt, attempt_id)
    assert fresh.outage_seconds == added and fresh.status == "in_progress"
    assert db.session.query(AuditEntry).filter_by(action="attempt.outage_time_back").count() == 1
    assert moved[0] > moved[1]
    p = hall.client(proctor_cookie, "/proctor")
    rows = p.call("watch", {"sitting_id": sitting_id})["candidates"]
    assert [r["outage_seconds"] for r in rows if r["seat_id"] == seat_id] == [added]
