"""The /exam and /proctor Socket.IO flows through Flask-SocketIO's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, update

from app.audit.services import entries_for
from app.common.clock import frozen_at, now
from app.common.errors import NotFound
from app.exams import answering, jobs, joining, proctoring, sitting_control, starting
from app.exams.models import Attempt, AttemptAnswer
from app.exams.proctoring import ProgressBatcher
from app.extensions import socketio
from tests.factories import exams as eh


@pytest.fixture
def setup(db, make):
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    proctor = make.proctor(sitting)
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    return dict(exam=exam, sitting=sitting, hr=hr, proctor=proctor, cand=cand, seat=seat, attempt=attempt)


def connect(app, make, user, namespace="/exam"):
    return socketio.test_client(app, namespace=namespace, flask_test_client=make.client_for(app, user))


def events(sock, name, namespace="/exam"):
    return [e["args"][0] for e in sock.get_received(namespace) if e["name"] == name]


def test_anonymous_connections_are_refused(app):
    sock = socketio.test_client(app, namespace="/exam")
    assert not sock.is_connected("/exam")


def test_waiting_room_then_start_then_answers_acknowledged_after_commit(app, make, setup, db):
    s = setup
    seat_id, sitting_id = s["seat"].id, s["sitting"].id
    cand = connect(app, make, s["cand"])
    state = cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)
    assert state["ok"] and state["state"]["status"] == "not_started"
    refused = cand.emit("question", {"index": 0}, namespace="/exam", callback=True)
    assert refused == {"ok": False, "error": "not_started", "message": refused["message"]}

    proctor = connect(app, make, s["proctor"], "/proctor")
    watch = proctor.emit("watch", {"sitting_id": s["sitting"].id}, namespace="/proctor", callback=True)
    assert watch["ok"] and watch["candidates"][0]["state"] == "checked_in"
    assert proctor.emit("start", {"sitting_id": s["sitting"].id}, namespace="/proctor", callback=True) == {
        "ok": True
    }
    started = events(cand, "started")
    assert started and started[0]["status"] == "in_progress"
    assert 29 * 60 < started[0]["remaining_seconds"] <= 30 * 60

    q = cand.emit("question", {"index": 0}, namespace="/exam", callback=True)
    assert q["ok"] and "key" not in str(q) and len(q["question"]["choices"]) == 4
    choice = q["question"]["choices"][2]["id"]
    ack = cand.emit("answer", {"index": 0, "choice": choice, "seq": 1}, namespace="/exam", callback=True)
    assert ack == {
        "ok": True,
        "index": 0,
        "type": "single",
        "choice": choice,
        "answer": choice,
        "seq": 1,
        "stale": False,
    }
    db.session.remove()
    assert db.session.query(AttemptAnswer).one().choice == choice  # stored before the ack
    again = cand.emit("answer", {"index": 0, "choice": choice, "seq": 1}, namespace="/exam", callback=True)
    assert again["ok"] and db.session.query(AttemptAnswer).count() == 1

    bad = cand.emit("answer", {"index": 0, "choice": "zz", "seq": 2}, namespace="/exam", callback=True)
    assert bad["ok"] is False and bad["error"] == "bad_answer"
    received = proctor.get_received("/proctor")
    # Each stored answer updates the proctor's count (at once here: PROCTOR_PROGRESS_SECONDS=0).
    progress = [e["args"][0]["rows"] for e in received if e["name"] == "progress"]
    assert progress[-1] == [{"seat_id": seat_id, "answered": 1}]

    # Rejoining (a reload) returns the same state, answers included.
    rejoin = cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)
    assert rejoin["state"]["answers"] == {"0": choice}


def test_a_second_device_supersedes_the_first(app, make, setup):
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    first = connect(app, make, s["cand"])
    first.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)
    second = connect(app, make, s["cand"])
    assert second.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)["ok"]
    # (the `superseded` event itself is checked with a real client in test_exam_live.py: this
    # test client cannot read what was sent to a connection once it is closed)
    assert not first.is_connected("/exam")
    assert second.emit("answer", {"index": 1, "choice": "b", "seq": 1}, namespace="/exam", callback=True)[
        "ok"
    ]


def test_answers_after_the_deadline_are_refused(app, make, setup):
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    cand = connect(app, make, s["cand"])
    cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)
    with frozen_at(now() + timedelta(minutes=31)):
        ack = cand.emit("answer", {"index": 0, "choice": "b", "seq": 1}, namespace="/exam", callback=True)
    assert ack["ok"] is False and ack["error"] == "time_up"


def test_proctor_announces_extends_pauses_and_force_submits(app, make, setup, db):
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    cand = connect(app, make, s["cand"])
    joined = cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)
    before = joined["state"]["remaining_seconds"]
    proctor = connect(app, make, s["proctor"], "/proctor")
    sid = s["sitting"].id
    proctor.emit("watch", {"sitting_id": sid}, namespace="/proctor", callback=True)

    assert proctor.emit(
        "announce", {"sitting_id": sid, "message": "เหลือเวลาอีกครึ่งชั่วโมง"}, namespace="/proctor", callback=True
    ) == {"ok": True}
    assert events(cand, "announcement")[0]["message"] == "เหลือเวลาอีกครึ่งชั่วโมง"

    no_reason = proctor.emit(
        "extend",
        {"sitting_id": sid, "seat_ids": "all", "seconds": 300, "reason": ""},
        namespace="/proctor",
        callback=True,
    )
    assert no_reason["ok"] is False and no_reason["error"] == "validation_failed"
    ok = proctor.emit(
        "extend",
        {
            "sitting_id": sid,
            "seat_ids": [s["seat"].id],
            "seconds": 300,
            "reason": "network outage in room 101",
        },
        namespace="/proctor",
        callback=True,
    )
    assert ok == {"ok": True, "changed": [s["seat"].id]}
    assert events(cand, "time")[0]["remaining_seconds"] >= before + 290

    assert proctor.emit(
        "pause", {"sitting_id": sid, "reason": "fire alarm"}, namespace="/proctor", callback=True
    )["ok"]
    assert events(cand, "paused") == [{"reason": "fire alarm"}]
    assert (
        cand.emit("answer", {"index": 0, "choice": "b", "seq": 1}, namespace="/exam", callback=True)["error"]
        == "paused"
    )
    assert proctor.emit(
        "resume", {"sitting_id": sid, "reason": "all clear"}, namespace="/proctor", callback=True
    )["ok"]
    assert events(cand, "resumed")

    no_reason = proctor.emit(
        "force_submit",
        {"sitting_id": sid, "seat_id": s["seat"].id, "reason": " ", "confirmed": True},
        namespace="/proctor",
        callback=True,
    )
    assert no_reason["error"] == "validation_failed"
    # Force-submitting is irreversible: the page sends it only once the proctor confirmed.
    unconfirmed = proctor.emit(
        "force_submit",
        {"sitting_id": sid, "seat_id": s["seat"].id, "reason": "candidate left the room"},
        namespace="/proctor",
        callback=True,
    )
    assert unconfirmed["ok"] is False and unconfirmed["error"] == "not_confirmed"
    assert events(cand, "force_submitted") == []
    assert proctor.emit(
        "force_submit",
        {"sitting_id": sid, "seat_id": s["seat"].id, "reason": "candidate left the room", "confirmed": True},
        namespace="/proctor",
        callback=True,
    ) == {"ok": True}
    forced = events(cand, "force_submitted")[0]
    assert forced["reason"] == "candidate left the room"
    assert forced["state"]["status"] == "submitted" and not events(cand, "time_up")
    actions = [e.action for e in entries_for("attempts", s["attempt"].id)]
    assert {"attempt.extend", "attempt.submit"} <= set(actions)


def test_proctors_of_another_agency_and_candidates_are_kept_out(app, make, setup):
    s = setup
    outsider = make.user("proctor", agency=make.agency())
    sock = connect(app, make, outsider, "/proctor")
    refused = sock.emit("watch", {"sitting_id": s["sitting"].id}, namespace="/proctor", callback=True)
    assert refused["ok"] is False and refused["error"] == "forbidden"
    cand = connect(app, make, s["cand"], "/proctor")
    assert not cand.is_connected("/proctor")


def test_the_sweeper_submits_at_the_deadline_with_nobody_connected(app, make, setup):
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(s["attempt"])
    cand_id, sitting_id = s["cand"].id, s["sitting"].id
    cand = connect(app, make, s["cand"])
    cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)
    with frozen_at(s["attempt"].deadline - timedelta(minutes=4, seconds=30)):
        jobs.tick()
    assert events(cand, "warning") == [{"minutes_left": 5}]
    cand.disconnect(namespace="/exam")
    with frozen_at(s["attempt"].deadline + timedelta(seconds=1)):
        assert jobs.tick()["submitted"] == [s["attempt"].id]
    attempt = joining.attempt_for_join(cand_id, sitting_id)
    assert attempt.status == "submitted" and attempt.submitted_by == "deadline"


def test_proctors_get_answer_counts_in_batches(app, make, setup):
    """In production the counts go out at most once per interval, one message per sitting."""
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    batcher = ProgressBatcher(
        app, lambda sitting_id, rows: sent.append((sitting_id, rows)), interval=3600
    )  # (the background sender sleeps: flushed by hand)
    sent: list = []
    starting.begin_if_due(s["attempt"])
    assert batcher.flush() == 0 and sent == []
    live = answering.Live.of(s["attempt"])
    for index in range(3):
        answering.record_answer(live, index, live.form[index]["choice_order"][0], 1)
        batcher.answered(live.sitting_id, live.seat_id)
    answering.record_answer(live, 3, None, 1)  # a cleared answer is not counted
    batcher.answered(live.sitting_id, live.seat_id)
    assert sent == []  # nothing yet: one message per interval
    assert batcher.flush() == 1
    assert sent == [(s["sitting"].id, [{"seat_id": s["seat"].id, "answered": 3}])]
    assert batcher.flush() == 0 and len(sent) == 1  # nothing new, nothing sent


def test_the_batchs_rows_equal_the_full_rows_without_reading_the_forms(app, make, setup, db):
    """rows_for counts each form's questions in the database (the proctors' rows of a hall that
    reconnects, without parsing 10,000 forms); its rows are the dashboard's own rows."""
    s = setup
    cand2, seat2 = eh.seated(make, s["sitting"])
    waiting = eh.check_in(cand2, seat2)  # (not started: a row of its own kind)
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(s["attempt"])
    live = answering.Live.of(s["attempt"])
    answering.record_answer(live, 0, live.form[0]["choice_order"][0], 1)
    forms = {s["seat"].id: len(s["attempt"].form), seat2.id: len(waiting.form)}
    at = now()
    db.session.expire_all()
    with frozen_at(at):
        full = {r["seat_id"]: r for r in proctoring.candidate_rows(s["sitting"])}
        db.session.expunge_all()  # (nothing already loaded: the batch's own query fills the rows)
        batch = proctoring.rows_for([s["seat"].id, seat2.id])[s["sitting"].id]
        loaded = db.session.get(Attempt, s["attempt"].id)  # (the one rows_for loaded)
        assert "form" in inspect(loaded).unloaded and loaded.item_count == len(live.form)
    assert {r["seat_id"]: r for r in batch} == full
    assert full[s["seat"].id]["item_count"] == forms[s["seat"].id] > 0
    assert full[s["seat"].id]["answered"] == 1
    assert full[seat2.id]["item_count"] == forms[seat2.id]


def test_a_join_with_every_connection_busy_is_asked_to_retry(app, make, setup, monkeypatch, caplog):
    """A hall connecting again at once may find every pooled connection taken. The connect
    reads nothing (the join checks the session), so it goes through; the join is refused with
    `retry` (the page joins again after 2 s, outbox.js), not left hanging with an error, and
    the next join goes through."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from app.exams import hot

    real_first = hot.first

    def busy(*_args):
        raise PoolTimeout("QueuePool limit reached")

    monkeypatch.setattr(hot, "first", busy)
    cand = connect(app, make, setup["cand"])
    assert cand.is_connected("/exam")
    with caplog.at_level("WARNING"):
        refused = cand.emit("join", {"sitting_id": setup["sitting"].id}, namespace="/exam", callback=True)
    assert refused["ok"] is False and refused["error"] == "retry"
    assert "database pool busy in exam_join: asked to retry" in caplog.text
    monkeypatch.setattr(hot, "first", real_first)
    assert cand.emit("join", {"sitting_id": setup["sitting"].id}, namespace="/exam", callback=True)["ok"]


def test_a_connection_whose_session_has_ended_is_refused_at_its_join(app, make, setup, db):
    """The connect takes the signed session's word for who it is; the join checks the
    account's current session token in its own read. A session ended after the page
    connected (a logout elsewhere, a password change) joins nothing and makes nothing live,
    whether or not the account has a seat in the sitting asked for."""
    from app.accounts import sessions

    s = setup
    cand = connect(app, make, s["cand"])
    assert cand.is_connected("/exam")
    sessions.sign_out_everywhere(db.session.get(type(s["cand"]), s["cand"].id))
    for sitting_id in (s["sitting"].id, s["sitting"].id + 1000):
        ack = cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)
        assert ack["ok"] is False and ack["error"] == "unauthorized"
        assert ack["message"] == "Your session has ended. Please log in again."
    db.session.expire_all()
    assert db.session.get(Attempt, s["attempt"].id).live_sid is None
    refused = cand.emit("question", {"index": 0}, namespace="/exam", callback=True)
    assert refused["ok"] is False and refused["error"] == "not_found"
    # Logged in again: the new session joins.
    again = connect(app, make, db.session.get(type(s["cand"]), s["cand"].id))
    assert again.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)["ok"]


def test_a_page_that_drops_while_its_join_is_under_way_is_not_left_live(app, make, setup, db, monkeypatch):
    """The disconnect can run while the join waits on the database: it finds nothing joined
    yet. The join then must not leave the attempt live for a connection that is gone (the
    proctor would see the candidate connected and their lost time would not count)."""
    from app.exams import events as exam_events

    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(s["attempt"])
    real_join = joining.join

    def join_while_dropping(user_id, sitting_id, sid, *args, **kwargs):
        exam_events._connected.pop(sid)  # (what the disconnect does meanwhile)
        return real_join(user_id, sitting_id, sid, *args, **kwargs)

    monkeypatch.setattr(joining, "join", join_while_dropping)
    cand = connect(app, make, s["cand"])
    ack = cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)
    assert ack["ok"] is False and ack["error"] == "not_found"
    db.session.expire_all()
    attempt = db.session.get(Attempt, s["attempt"].id)
    assert attempt.live_sid is None and attempt.last_seen_at is not None


def test_a_sync_during_the_start_leaves_the_attempt_to_the_starts_batch(app, make, setup, db):
    """While this process begins its connected candidates in batches, their pages' syncs do
    not begin them one by one (a transaction and an audit entry each); once the batch is over,
    a sync begins an attempt still waiting, as before."""
    from app.exams import events as exam_events

    s = setup
    cand = connect(app, make, s["cand"])
    assert cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)["ok"]
    sitting_control.start_sitting(s["sitting"], s["hr"])
    answering.forget_waiting(s["sitting"].id)
    exam_events._starting[s["sitting"].id] = {s["attempt"].id: "th"}
    try:
        ack = cand.emit("sync", {"client_time": 1}, namespace="/exam", callback=True)
        assert ack["status"] == "not_started" and ack["sitting_status"] == "started"
        db.session.expire_all()
        assert db.session.get(Attempt, s["attempt"].id).status == "not_started"
    finally:
        exam_events._starting.clear()
    ack = cand.emit("sync", {"client_time": 2}, namespace="/exam", callback=True)
    assert ack["status"] == "in_progress"


def test_leaves_are_stored_in_batches_and_never_undo_a_later_join(app, make, setup, db):
    """A hall that drops at once is one statement per interval, not one per page (the
    reconnect storm, issue 20). Until its batch is stored the attempt is still marked live; a
    leave stored after the candidate joined again elsewhere keeps the new connection; the
    time lost counts from the moment the page dropped, not from the batch; and a batch whose
    store fails is kept for the next."""
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    starting.begin_if_due(s["attempt"])
    attempt_id = s["attempt"].id
    sent, failing = [], []

    def store(leaves):
        if failing:
            raise RuntimeError("the database is away")
        joining.mark_left(leaves)

    batcher = ProgressBatcher(
        app, lambda *_: None, 3600, lambda sitting_id, rows: sent.append((sitting_id, rows)), store
    )  # (the background sender sleeps: flushed by hand)
    dropped_at = now().replace(microsecond=0) + timedelta(seconds=60)
    with frozen_at(dropped_at - timedelta(seconds=5)):
        joining.join(s["cand"].id, s["sitting"].id, "page-1")
    batcher.left(s["sitting"].id, s["seat"].id, joining.Leave(attempt_id, "page-1", dropped_at))
    assert db.session.get(Attempt, attempt_id).live_sid == "page-1" and sent == []
    failing.append(True)
    with pytest.raises(RuntimeError):
        batcher.flush()
    assert sent == [] and len(batcher.leaves) == 1  # kept
    failing.clear()
    assert batcher.flush() == 1
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.live_sid is None and attempt.last_seen_at == dropped_at
    assert [row["state"] for _, rows in sent for row in rows] == ["disconnected"]

    # Joined again (another page) before the first page's leave was stored.
    with frozen_at(dropped_at + timedelta(seconds=30)):
        joining.join(s["cand"].id, s["sitting"].id, "page-2")
    assert db.session.get(Attempt, attempt_id).lost_seconds == 30
    batcher.left(s["sitting"].id, s["seat"].id, joining.Leave(attempt_id, "page-3", dropped_at))
    batcher.left(s["sitting"].id, s["seat"].id, joining.Leave(attempt_id, "page-1", dropped_at))
    assert batcher.flush() == 1
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).live_sid == "page-2"
    assert sent[-1][1][0]["state"] == "in_progress"


def test_a_connection_that_is_no_longer_live_cannot_answer(app, make, setup, db):
    s = setup
    sitting_control.start_sitting(s["sitting"], s["hr"])
    first = connect(app, make, s["cand"])
    assert first.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)["ok"]
    live = answering.Live.of(s["attempt"])
    # Another device joined through another process: only the database knows.
    with pytest.raises(NotFound):
        answering.record_answer(live, 0, live.form[0]["choice_order"][0], 1, sid="elsewhere")
    db.session.get(Attempt, s["attempt"].id).live_sid = "another-process-sid"
    db.session.commit()
    ack = first.emit(
        "answer",
        {"index": 0, "choice": live.form[0]["choice_order"][0], "seq": 1},
        namespace="/exam",
        callback=True,
    )
    assert ack["ok"] is False and ack["error"] == "not_found"
    assert db.session.query(AttemptAnswer).count() == 0


def test_the_proctors_start_sends_each_connected_candidate_the_first_question(app, make, setup, db):
    """The start storm (issue 20): one start begins every waiting attempt and hands each
    connected page its state and its first question in its language, the one `question` would give; a
    candidate not connected is started too (the time runs from the sitting's start) but gets
    no question, and each start is in the audit chain."""
    from app.audit.services import verify_chain

    s = setup
    exam = s["exam"]
    exam.sections = [dict(sec, time_limit_minutes=10) for sec in exam.sections]  # timed sections
    db.session.commit()
    away, away_seat = eh.seated(make, s["sitting"])
    away_id, mine_id = eh.check_in(away, away_seat).id, s["attempt"].id
    sitting_id = s["sitting"].id
    cand = connect(app, make, s["cand"])
    assert cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)["ok"]
    proctor = connect(app, make, s["proctor"], "/proctor")
    assert proctor.emit("start", {"sitting_id": sitting_id}, namespace="/proctor", callback=True)["ok"]

    started = events(cand, "started")
    assert len(started) == 1 and started[0]["status"] == "in_progress"
    pushed = started[0]["first_question"]
    assert "key" not in str(pushed)
    asked = cand.emit("question", {"index": 0}, namespace="/exam", callback=True)["question"]
    # The same question, in the connection's language only (its session's, as its page's).
    assert list(pushed) == [asked["lang"]] and asked == pushed[asked["lang"]] and asked["index"] == 0
    pushed = pushed[asked["lang"]]
    db.session.remove()
    mine, theirs = db.session.get(Attempt, mine_id), db.session.get(Attempt, away_id)
    assert mine.status == theirs.status == "in_progress" and mine.deadline == theirs.deadline
    # The pushed question opened its timed section, as asking for it would have; not theirs.
    assert list(mine.section_started) == [pushed["section"]] and not theirs.section_started
    for attempt in (mine, theirs):
        assert [e.action for e in entries_for("attempts", attempt.id)].count("attempt.start") == 1
    assert verify_chain().ok
    # Starting again is refused and starts nothing twice.
    again = proctor.emit("start", {"sitting_id": sitting_id}, namespace="/proctor", callback=True)
    assert again["ok"] is False and len(events(cand, "started")) == 0


def test_a_page_whose_own_sync_began_its_test_still_hears_of_the_start(app, make, setup, db, monkeypatch):
    """The proctor's start and a page's `sync` meet: the sync saw the started sitting and began
    the attempt between the start's read of it and its UPDATE (24 pages of 5,000 in one run got
    no `started`). The start still tells that page its state — without the first question,
    which the page then asks for (opening its section as usual) — and starts nothing twice."""
    s = setup
    cand = connect(app, make, s["cand"])
    sitting_id = s["sitting"].id
    assert cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)["ok"]
    sitting_control.start_sitting(s["sitting"], s["hr"])
    real_begin_all = joining.begin_all

    def sync_first(sitting, attempts, at, opens=None):
        for attempt in attempts:  # (what the page's sync does, on its own connection)
            db.session.execute(
                update(Attempt).where(Attempt.id == attempt.id).values(status="in_progress", started_at=at)
            )
        return real_begin_all(sitting, attempts, at, opens)

    monkeypatch.setattr(joining, "begin_all", sync_first)
    batches = list(joining.start_connected(sitting_id, {s["attempt"].id: "th"}))
    [(attempt_id, message)] = [m for batch in batches for m in batch]
    assert attempt_id == s["attempt"].id and message["status"] == "in_progress"
    assert "first_question" not in message
    db.session.remove()
    # The start began nothing itself (the sync's start, here without its audit entry, was it).
    assert [e.action for e in entries_for("attempts", attempt_id)].count("attempt.start") == 0


def test_a_database_hiccup_in_the_start_does_not_leave_pages_waiting(app, make, setup, db, monkeypatch):
    """Under overload every pooled connection may be busy for longer than DB_POOL_TIMEOUT
    (seen at 5,000: one process told none of its 2,500 pages). The process tries again for the
    pages it has not told yet."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    s = setup
    cand = connect(app, make, s["cand"])
    sitting_id = s["sitting"].id
    assert cand.emit("join", {"sitting_id": sitting_id}, namespace="/exam", callback=True)["ok"]
    real, calls = joining.start_connected, []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise PoolTimeout("QueuePool limit reached")
        yield from real(*args, **kwargs)

    monkeypatch.setattr(joining, "start_connected", busy_once)
    proctor = connect(app, make, s["proctor"], "/proctor")
    assert proctor.emit("start", {"sitting_id": sitting_id}, namespace="/proctor", callback=True)["ok"]
    started = events(cand, "started")
    assert len(calls) == 2 and len(started) == 1 and started[0]["status"] == "in_progress"


def test_a_question_asked_ahead_is_refused_for_a_timed_section_not_yet_started(app, make, setup, db):
    """The page asks for the neighbours of the question on screen with `prefetch: true`; the
    first question of a timed section that has not started is then refused
    (`section_not_open`) and its clock stays, until the page asks for it without the flag."""
    s = setup
    exam = s["exam"]
    exam.sections = [dict(sec, time_limit_minutes=10) for sec in exam.sections]  # timed sections
    db.session.commit()
    attempt_id = s["attempt"].id
    cand = connect(app, make, s["cand"])
    assert cand.emit("join", {"sitting_id": s["sitting"].id}, namespace="/exam", callback=True)["ok"]
    proctor = connect(app, make, s["proctor"], "/proctor")
    assert proctor.emit("start", {"sitting_id": s["sitting"].id}, namespace="/proctor", callback=True)["ok"]
    form = db.session.get(Attempt, attempt_id).form
    second = next(i for i, q in enumerate(form) if q["section"] != form[0]["section"])

    def ask(payload):
        return cand.emit("question", payload, namespace="/exam", callback=True)

    ahead = ask({"index": second, "prefetch": True})
    assert ahead["ok"] is False and ahead["error"] == "section_not_open"
    assert ask({"index": second, "prefetch": "yes"})["error"] == "validation_failed"
    assert ask({"index": 1, "prefetch": True})["ok"]  # (the first section started with the test)
    db.session.remove()
    assert list(db.session.get(Attempt, attempt_id).section_started) == [form[0]["section"]]
    assert ask({"index": second})["question"]["section"] == form[second]["section"]
    db.session.remove()
    assert set(db.session.get(Attempt, attempt_id).section_started) == {
        form[0]["section"],
        form[second]["section"],
    }
    assert ask({"index": second + 1, "prefetch": True})["ok"]
