"""A fair exam day, at the service level: the test starts when the candidate presses start
(window) or the proctor starts the sitting (synchronized), never at check-in; time lost on the
candidate's side is shown and given back by the proctor with a reason; time lost to the server
(a gap in the web processes' heartbeats) is given back by itself, once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from app.audit.services import entries_for, verify_chain
from app.common.clock import frozen_at, now
from app.common.errors import NotAllowed, ValidationFailed
from app.exams import answering, jobs, joining, outages, sitting_control, starting
from app.exams.errors import NotStarted, TimeUp
from app.exams.models import Attempt, Outage, ServerHeartbeat
from app.exams.proctoring import candidate_row
from app.extensions import db
from tests.factories import exams as eh


@pytest.fixture
def exam(db):
    eh.bank()
    return eh.exam(duration=30)


def test_checking_in_to_a_window_sitting_does_not_start_the_clock(exam, make):
    sitting, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    joined = joining.join(cand.id, sitting.id, "sid-1")
    assert joined.state["status"] == "not_started" and joined.state["can_start"] is True
    assert joined.state["remaining_seconds"] == 0 and attempt.deadline is None
    started = joining.start_attempt(joined.live, "sid-1")
    assert started.status == "in_progress"
    assert started.deadline == started.started_at + timedelta(minutes=30)
    assert "attempt.start" in [e.action for e in entries_for("attempts", attempt.id)]
    # Pressing start again (a second tap, another device) changes nothing.
    assert joining.start_attempt(joined.live, "sid-1").deadline == started.deadline


def test_start_is_refused_before_the_window_opens_and_in_a_synchronized_waiting_room(exam, make):
    window, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=20))
    cand, seat = eh.seated(make, window)
    eh.check_in(cand, seat)
    joined = joining.join(cand.id, window.id, "sid-w")
    assert joined.state["can_start"] is False
    with pytest.raises(NotStarted):
        joining.start_attempt(joined.live, "sid-w")

    sync, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand2, seat2 = eh.seated(make, sync)
    eh.check_in(cand2, seat2)
    joined2 = joining.join(cand2.id, sync.id, "sid-s")
    with pytest.raises(NotStarted) as err:
        joining.start_attempt(joined2.live, "sid-s")
    assert "proctor" in err.value.message
    sitting_control.start_sitting(sync, hr)
    # The proctor's start begins the waiting attempts (events.proctor_start); a late joiner
    # begins on joining, timed from the sitting's start.
    assert joining.join(cand2.id, sync.id, "sid-s2").state["status"] == "in_progress"


def _running(make, exam):
    s, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, s)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(s, hr)
    starting.begin_if_due(attempt)
    return s, hr, cand, attempt


def test_the_proctor_sees_time_lost_disconnected_and_gives_it_back_with_a_reason(exam, make):
    sitting, hr, cand, attempt = _running(make, exam)
    t0 = now()
    joining.join(cand.id, sitting.id, "sid-1", at=t0)
    # The candidate's network goes away for 95 s (the disconnect handler clears live_sid).
    attempt.live_sid, attempt.last_seen_at = None, t0 + timedelta(seconds=5)
    db.session.commit()
    row = candidate_row(attempt.seat, at=t0 + timedelta(seconds=65))
    assert row["state"] == "disconnected" and row["lost_seconds"] == 60
    assert row["disconnected_since"] == (t0 + timedelta(seconds=5)).isoformat()
    joining.join(cand.id, sitting.id, "sid-2", at=t0 + timedelta(seconds=100))
    assert candidate_row(attempt.seat, at=t0 + timedelta(seconds=101))["lost_seconds"] == 95

    deadline = attempt.deadline
    with pytest.raises(ValidationFailed):
        sitting_control.give_back_lost_time(hr, attempt, " ")
    assert sitting_control.give_back_lost_time(hr, attempt, "network of room 101 failed") == 95
    assert attempt.deadline == deadline + timedelta(seconds=95) and attempt.lost_seconds == 0
    entry = next(e for e in entries_for("attempts", attempt.id) if e.action == "attempt.give_back")
    assert entry.after["reason"] == "network of room 101 failed" and entry.after["seconds"] == 95
    with pytest.raises(NotAllowed):  # nothing left to give back
        sitting_control.give_back_lost_time(hr, attempt, "again")


def test_a_gap_in_the_heartbeats_gives_the_tests_under_way_its_length_once(exam, make, app):
    sitting, _hr, cand, attempt = _running(make, exam)
    waiting_seat = eh.seated(make, sitting)[1]
    deadline = attempt.deadline
    t0 = now()
    outages.beat(at=t0)
    # Every process stops for 5 min 12 s (nobody beats), then two come back at once.
    back = t0 + timedelta(minutes=5, seconds=12)
    first = outages.beat(at=back)
    second = outages.beat(at=back + timedelta(seconds=1))
    assert first.changed == [attempt.id] and first.outage.seconds == 312
    assert second.outage is None  # seen once: the newest beat is fresh again
    # Another process that read the same stale beat finds the outage already recorded.
    assert outages.give_back_outage(t0, back).outage is None
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.deadline == deadline + timedelta(seconds=312) and attempt.outage_seconds == 312
    assert db.session.query(Outage).count() == 1
    entry = next(e for e in entries_for("attempts", attempt.id) if e.action == "attempt.outage_time_back")
    assert "unavailable" in entry.after["reason"] and entry.after["seconds"] == 312
    assert datetime.fromisoformat(entry.before["deadline"]) == deadline
    assert not entry.before["outage_seconds"]
    assert verify_chain().ok  # (the entries of all the attempts appended together keep the chain)
    state = joining.join(cand.id, sitting.id, "sid-back", at=back).state
    assert state["outage_seconds"] == 312
    assert state["outage_notice"] == ("5 minutes 12 seconds were added because the system was unavailable.")
    assert outages.outage_notice(312) == "5 minutes 12 seconds were added because the system was unavailable."
    assert candidate_row(waiting_seat, at=back)["outage_seconds"] == 0


def test_a_test_started_after_the_last_beat_is_given_back_the_time_since_its_start(exam, make):
    """The last beat is late (a busy process) or the process dies within one beat of serving a
    start: the attempt began after the newest beat, while the platform served, so the outage
    cost it the time from its start until the platform was back (found in the full suite on a
    loaded machine: such an attempt used to get nothing back)."""
    sitting, _hr, cand, attempt = _running(make, exam)
    started, deadline, sitting_started = attempt.started_at, attempt.deadline, sitting.started_at
    last_beat = started - timedelta(seconds=2)
    outages.beat(at=last_beat)
    back = started + timedelta(seconds=40)
    beat = outages.beat(at=back)
    assert beat.outage.seconds == 42  # the outage as recorded: from the last beat
    assert beat.changed == [attempt.id] and beat.owed == {attempt.id: 40}  # this test: from its start
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.outage_seconds == 40 and attempt.deadline == deadline + timedelta(seconds=40)
    # The synchronized sitting's clock (late entrants) moves by the same, not by the whole gap.
    assert db.session.get(type(sitting), sitting.id).started_at == sitting_started + timedelta(seconds=40)
    entry = next(e for e in entries_for("attempts", attempt.id) if e.action == "attempt.outage_time_back")
    assert entry.after["seconds"] == 40
    assert joining.join(cand.id, sitting.id, "sid-back", at=back).state["outage_seconds"] == 40


def test_an_answer_sent_as_the_platform_returns_is_not_refused_for_time_it_owes(exam, make):
    _s, _hr, _cand, attempt = _running(make, exam)
    t0 = now()
    outages.beat(at=t0)
    deadline = attempt.deadline
    choice = attempt.form[0]["choice_order"][0]
    # Every process is down through the deadline; the first thing to reach the database when it
    # is back is this candidate's answer, before any process has beaten again.
    back = deadline + timedelta(seconds=30)
    with frozen_at(back):
        stored = answering.record_answer(attempt, 0, choice, 1)
    assert stored["ok"] and stored["choice"] == choice
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    owed = int((back - t0).total_seconds())  # (outages are counted in whole seconds)
    assert attempt.outage_seconds == owed and attempt.deadline == deadline + timedelta(seconds=owed)
    # With the outage given back, time that is really up is still refused (the platform has
    # served all along since: its newest beat is fresh).
    late = attempt.deadline + timedelta(seconds=1)
    db.session.execute(update(ServerHeartbeat).values(beat_at=late - timedelta(seconds=2)))
    db.session.commit()
    with frozen_at(late), pytest.raises(TimeUp):
        answering.record_answer(attempt, 0, choice, 2)


def test_a_short_gap_is_not_an_outage_and_the_sweeper_holds_while_nobody_serves(exam, make):
    _s, _hr, _cand, attempt = _running(make, exam)
    t0 = now()
    outages.beat(at=t0)
    assert outages.beat(at=t0 + timedelta(seconds=10)).outage is None  # under the 15 s default
    # Past the deadline with no web process beating: the sweeper must not submit (the time
    # may be owed); once a process beats (and gives the outage back) it sweeps again.
    late = attempt.deadline + timedelta(seconds=30)
    with frozen_at(late):
        assert jobs.tick()["held"] is True
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status == "in_progress"
    with frozen_at(late):
        outages.beat()
        assert jobs.tick()["submitted"] == []  # the deadline moved by the outage
    assert db.session.query(ServerHeartbeat).count() == 1


def test_time_away_during_a_pause_is_given_back_once_by_the_resume_not_again_by_the_proctor(exam, make):
    sitting, hr, cand, attempt = _running(make, exam)
    t0 = now()
    joining.join(cand.id, sitting.id, "sid-1", at=t0)
    deadline = attempt.deadline
    # Away 40 s before the fire alarm, through its 5 min pause, and 20 s after the resume.
    attempt.live_sid, attempt.last_seen_at = None, t0 + timedelta(seconds=10)
    db.session.commit()
    with frozen_at(t0 + timedelta(seconds=50)):
        sitting_control.pause_sitting(sitting, hr, "fire alarm")
    paused_row = candidate_row(attempt.seat, at=t0 + timedelta(seconds=200))
    assert paused_row["state"] == "disconnected" and paused_row["lost_seconds"] == 40
    with frozen_at(t0 + timedelta(seconds=350)):
        assert sitting_control.resume_sitting(sitting, hr, "all clear") == 300
    assert attempt.deadline == deadline + timedelta(seconds=300)
    assert candidate_row(attempt.seat, at=t0 + timedelta(seconds=360))["lost_seconds"] == 50
    joining.join(cand.id, sitting.id, "sid-2", at=t0 + timedelta(seconds=370))
    assert candidate_row(attempt.seat, at=t0 + timedelta(seconds=380))["lost_seconds"] == 60
    with frozen_at(t0 + timedelta(seconds=380)):
        assert sitting_control.give_back_lost_time(hr, attempt, "network of room 101 failed") == 60
    assert attempt.deadline == deadline + timedelta(seconds=360)


def test_rejoining_during_the_pause_counts_only_the_time_away_before_it(exam, make):
    sitting, hr, cand, attempt = _running(make, exam)
    t0 = now()
    joining.join(cand.id, sitting.id, "sid-1", at=t0)
    attempt.live_sid, attempt.last_seen_at = None, t0 + timedelta(seconds=10)
    db.session.commit()
    with frozen_at(t0 + timedelta(seconds=30)):
        sitting_control.pause_sitting(sitting, hr, "fire alarm")
    joining.join(cand.id, sitting.id, "sid-2", at=t0 + timedelta(seconds=90))
    assert attempt.lost_seconds == 20
    with frozen_at(t0 + timedelta(seconds=120)):
        sitting_control.resume_sitting(sitting, hr, "all clear")
    assert candidate_row(attempt.seat, at=t0 + timedelta(seconds=130))["lost_seconds"] == 20


def test_a_waiting_room_read_again_by_one_sync_is_not_read_again_by_the_others(exam, make, app, monkeypatch):
    """While one sync of this process reads a synchronized sitting's waiting room again, the
    others that find the memory stale answer from it: one reader, not a crowd on the pool."""
    sitting, _hr = eh.sitting(make, exam, starts_in=timedelta(minutes=5))
    cand, seat = eh.seated(make, sitting)
    live = answering.Live.of(eh.check_in(cand, seat))
    monkeypatch.setitem(app.config, "EXAM_WAITING_CACHE_SECONDS", 1.0)
    answering.forget_waiting()
    assert answering.waiting_status(live, clock=100.0).status == "not_started"  # read: none in memory
    reads = []
    monkeypatch.setattr(answering.hot, "connection", lambda: reads.append(1) or pytest.fail("read again"))
    answering._REFRESHING.add(sitting.id)  # another sync is reading it now
    try:
        assert answering.waiting_status(live, clock=105.0).status == "not_started"  # stale, answered
    finally:
        answering._REFRESHING.discard(sitting.id)
    assert reads == []
