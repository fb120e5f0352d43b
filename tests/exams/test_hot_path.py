"""The hot path's statements on the driver's own cursor (app/exams/hot.py `first`): what they
read is what the ORM reads, in our types (UTC datetimes), on either database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from app.exams import answering, hot
from app.exams.models import Attempt
from app.extensions import db, socketio
from tests.factories import exams as eh


def test_a_status_read_on_the_hot_path_is_what_the_orm_reads(app, make):
    eh.typed_bank()
    sitting, _hr = eh.sitting(make, eh.typed_exam(), mode="window", starts_in=timedelta(minutes=-1))
    cand, seat = eh.seated(make, sitting)
    attempt_id = eh.check_in(cand, seat).id
    sio = socketio.test_client(app, namespace="/exam", flask_test_client=make.client_for(app, cand))
    assert sio.emit("join", {"sitting_id": sitting.id}, namespace="/exam", callback=True)["ok"]
    assert sio.emit("start", {}, namespace="/exam", callback=True)["ok"]
    db.session.remove()  # (no transaction under way: on PostgreSQL the autocommit connection)

    attempt = db.session.get(Attempt, attempt_id)
    live = answering.Live.of(attempt)
    expected = (
        attempt.status,
        attempt.deadline,
        attempt.live_sid,
        attempt.section_started,
        attempt.seat.sitting.status,
    )
    db.session.remove()
    status = answering.live_status(live)
    hot.done()
    read = (status.status, status.deadline, status.live_sid, status.section_started, status.sitting_status)
    assert read == expected and status.status == "in_progress"
    assert status.deadline.tzinfo is UTC
    sio.disconnect("/exam")


def test_a_time_read_in_another_zone_is_given_as_utc():
    bangkok = timezone(timedelta(hours=7))
    at = datetime(2026, 12, 7, 16, 30, tzinfo=bangkok)
    assert hot.utc(at) == at and hot.utc(at).tzinfo is UTC and hot.utc(at).hour == 9
    naive = datetime(2026, 12, 7, 9, 30, tzinfo=UTC).replace(tzinfo=None)  # (as SQLite keeps it)
    assert hot.utc(naive).tzinfo is UTC
    assert hot.utc(None) is None
