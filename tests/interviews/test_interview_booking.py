"""The candidate's bookings (booking.py): confirming, moving before the cut-off (and two
candidates racing for one slot on PostgreSQL), respecting accommodations, declaring unavailable
times, and checking in on the day."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.common import clock
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.interviews import booking, schedule, services
from app.interviews.models import Interview, InterviewSlot
from app.interviews.schedule import SlotTaken
from tests.factories.interviews import MONDAY, NOW, World, audits, local, outbox, scheduled_interviews
from tests.support.database import IS_POSTGRES

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- candidates: confirm, move, unavailability, check-in -------------------------------------


def test_confirm_only_own_interview(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    with pytest.raises(Forbidden):
        booking.confirm_slot(a, b.application.candidate)
    booking.confirm_slot(a, a.application.candidate)
    assert a.status == "confirmed" and a.confirmed_at == NOW
    booking.confirm_slot(a, a.application.candidate)  # again: no change
    assert audits(db, "interview.confirm") == 1


def test_move_to_a_free_slot_of_the_same_panel_until_the_cut_off(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    free = booking.movable_slots(a)
    assert b.slot not in free and a.slot not in free and len(free) == 4
    target = free[-1]
    booking.move_to_slot(a, a.application.candidate, target)
    assert (a.slot_id, a.moves, a.status) == (target.id, 1, "confirmed")
    with pytest.raises(SlotTaken):
        booking.move_to_slot(a, a.application.candidate, b.slot)
    with pytest.raises(Forbidden):
        booking.move_to_slot(b, a.application.candidate, free[0])
    other = services.create_panel(w.round, w.hr, name="อื่น", meeting_link="https://m.test/x")
    elsewhere = w.slots(panel=other).created[0]
    with pytest.raises(NotAllowed):
        booking.move_to_slot(a, a.application.candidate, elsewhere)
    # 48 hours before the interview, moves close
    clock.set_now(a.slot.starts_at - timedelta(hours=47))
    assert booking.movable_slots(a) == []
    with pytest.raises(NotAllowed) as err:
        booking.move_to_slot(a, a.application.candidate, free[0])
    assert "48 hours" in err.value.message
    assert audits(db, "interview.move") == 1


def test_move_cut_off_is_configurable(app, db, make, monkeypatch):
    w, (a, b) = scheduled_interviews(db, make)
    clock.set_now(a.slot.starts_at - timedelta(hours=30))
    assert booking.movable_slots(a) == []  # 30 hours before: inside the default 48
    monkeypatch.setitem(app.config, "INTERVIEW_MOVE_CUTOFF_HOURS", 24)
    target = next(iter(booking.movable_slots(a)))
    booking.move_to_slot(a, a.application.candidate, target)
    assert a.slot_id == target.id


def test_moving_respects_accommodations(db, make):
    w = World(make, n=0)
    reader = w.applicant(screen_reader="approved")
    w.slots(accessible=True, end=time(9, 30))
    w.slots(start=time(10), end=time(11))
    w.schedule()
    iv = db.session.scalar(select(Interview))
    assert iv.slot.accessible
    assert booking.movable_slots(iv) == []
    plain = db.session.scalar(select(InterviewSlot).where(InterviewSlot.accessible.is_(False)))
    with pytest.raises(NotAllowed) as err:
        booking.move_to_slot(iv, reader.candidate, plain)
    assert "accommodations" in err.value.message


def test_unavailability_is_the_candidates_own_and_sensible(db, make):
    w = World(make, n=2)
    a, b = w.apps
    with pytest.raises(Forbidden):
        booking.declare_unavailable(a, b.candidate, local(MONDAY, 9), local(MONDAY, 10))
    with pytest.raises(ValidationFailed) as err:
        booking.declare_unavailable(a, a.candidate, local(MONDAY, 10), local(MONDAY, 9))
    assert err.value.field == "ends_at"
    with pytest.raises(ValidationFailed):
        booking.declare_unavailable(a, a.candidate, NOW - timedelta(days=2), NOW - timedelta(days=1))
    row = booking.declare_unavailable(a, a.candidate, local(MONDAY, 9), local(MONDAY, 10), "ธุระ")
    assert booking.unavailabilities_of(a) == [row]
    booking.withdraw_unavailable(row, a.candidate)
    assert booking.unavailabilities_of(a) == []
    assert audits(db, "interview.unavailable") == 1
    assert audits(db, "interview.unavailable_withdraw") == 1


def test_check_in_from_thirty_minutes_before_until_the_end(app, db, make):
    received = []

    def listener(sender, interview):
        received.append(interview.id)

    booking.candidate_checked_in.connect(listener)
    try:
        w, (a, b) = scheduled_interviews(db, make)
        me = a.application.candidate
        clock.set_now(a.slot.starts_at - timedelta(minutes=31))
        with pytest.raises(NotAllowed):
            booking.check_in_for_interview(a, me)
        with pytest.raises(Forbidden):
            booking.check_in_for_interview(a, b.application.candidate)
        clock.set_now(a.slot.starts_at - timedelta(minutes=30))
        booking.check_in_for_interview(a, me)
        assert (a.status, a.checked_in_at) == ("checked_in", a.slot.starts_at - timedelta(minutes=30))
        assert schedule.waiting_candidates(w.panel, MONDAY) == [a]
        assert schedule.waiting_candidates(w.panel, MONDAY + timedelta(days=1)) == []
        clock.set_now(b.slot.ends_at)
        with pytest.raises(NotAllowed):
            booking.check_in_for_interview(b, b.application.candidate)
        assert received == [a.id]
        assert audits(db, "interview.check_in") == 1
    finally:
        booking.candidate_checked_in.disconnect(listener)


# ---- concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="the same-instant race needs PostgreSQL's row "
    "locks and concurrent writers; SQLite serializes every writer",
)
def test_two_candidates_racing_for_one_slot_exactly_one_wins(app, db, make):
    w, (a, b) = scheduled_interviews(db, make)
    target_id = booking.movable_slots(a)[-1].id
    ids = [(a.id, a.application.candidate_id), (b.id, b.application.candidate_id)]
    db.session.remove()  # the threads use their own sessions and connections
    barrier = threading.Barrier(2)
    outcomes = {}

    def race(interview_id, user_id):
        from app.accounts.models import User
        from app.extensions import db as _db

        with app.app_context():
            clock.set_now(NOW)
            iv = _db.session.get(Interview, interview_id)
            user = _db.session.get(User, user_id)
            slot = _db.session.get(InterviewSlot, target_id)
            _ = (iv.slot.starts_at, slot.interview, iv.application.round.stages)  # load first
            barrier.wait()
            try:
                booking.move_to_slot(iv, user, slot)
                outcomes[interview_id] = "moved"
            except SlotTaken:
                outcomes[interview_id] = "taken"
            except Exception as exc:  # pragma: no cover - shown in the assertion
                outcomes[interview_id] = repr(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=race, args=args) for args in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["moved", "taken"], outcomes
    holders = db.session.scalars(select(Interview).where(Interview.slot_id == target_id)).all()
    assert len(holders) == 1
    winner = holders[0].id
    assert outcomes[winner] == "moved" and holders[0].moves == 1
    assert audits(db, "interview.move") == 1
    assert len([m for m in outbox(db) if ":v1:" in m.dedupe_key]) == 4
