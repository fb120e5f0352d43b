"""The booking race on PostgreSQL: 1,000 approved candidates book a sitting of 100 seats at the
same instant, over real concurrent connections; exactly 100 get a seat (each a different one) and
900 are told "full" with the next free sitting offered. Without the conditional UPDATE of the
room's counter (count, then insert) the same race oversells on every run."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.applications.models import Application
from app.booking import services as booking
from app.booking.models import Booking, BookingStatus
from app.centres.models import SittingRoom
from app.exams.models import Seat, Sitting
from tests.support.database import IS_POSTGRES

CANDIDATES, THREADS = 1000, 16


@pytest.mark.skipif(
    not IS_POSTGRES, reason="the race needs PostgreSQL's concurrent writers (SQLite has one writer)"
)
def test_a_thousand_candidates_racing_for_a_hundred_seats(app, db, make):
    w = make.booking.world(make, seats=(60, 40), accessible=(0, 0), sittings=2)
    target, other = w.sittings[0].id, w.sittings[1].id
    ids = make.booking.many_applications(w.round, CANDIDATES)
    db.session.remove()  # the threads use their own sessions and connections
    barrier = threading.Barrier(THREADS)
    outcomes: dict[int, object] = {}

    def race(chunk: list[int]):
        from app.extensions import db as _db

        with app.app_context():
            try:
                loaded = [_db.session.get(Application, i) for i in chunk]
                for a in loaded:
                    _ = (a.candidate, a.round.mode, a.accommodations)
                sitting = _db.session.get(Sitting, target)
                barrier.wait()
                for a in loaded:
                    try:
                        booking.book(a, a.candidate, sitting)
                        outcomes[a.id] = "booked"
                    except booking.SittingFull as full:
                        outcomes[a.id] = [c.sitting.id for c in full.alternatives]
                    except Exception as exc:  # pragma: no cover - shown in the assertion
                        _db.session.rollback()
                        outcomes[a.id] = repr(exc)
            finally:
                _db.session.remove()

    chunks = [ids[k::THREADS] for k in range(THREADS)]
    threads = [threading.Thread(target=race, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not any(t.is_alive() for t in threads)
    results = list(outcomes.values())
    assert len(results) == CANDIDATES
    assert results.count("booked") == 100, {r for r in results if r != "booked" and not isinstance(r, list)}
    refused = [r for r in results if r != "booked"]
    assert len(refused) == 900 and all(r == [other] for r in refused)  # "full", and the next sitting offered
    booked = db.session.scalars(select(Booking).where(Booking.sitting_id == target)).all()
    assert len(booked) == 100 and all(b.status == BookingStatus.CONFIRMED for b in booked)
    assert len({(b.sitting_room_id, b.seat_no) for b in booked}) == 100  # every seat once
    assert db.session.scalar(select(func.count()).select_from(Seat).where(Seat.sitting_id == target)) == 100
    rooms = db.session.scalars(select(SittingRoom).where(SittingRoom.sitting_id == target)).all()
    assert sorted((r.seats, r.regular_booked) for r in rooms) == [(40, 40), (60, 60)]
