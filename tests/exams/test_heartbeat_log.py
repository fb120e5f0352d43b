"""A heartbeat that cannot get a pooled connection says the database is busy, not unreachable
(app/exams/jobs.py heartbeat_forever): under overload the pool times out while the database
is up, and an operator reading "unreachable" would look in the wrong place."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.exams import jobs


class _Stop(Exception):
    pass


@pytest.mark.parametrize(
    "error, said",
    [
        (PoolTimeout("QueuePool limit of size 20 overflow 0 reached"), "every database connection"),
        (OperationalError("SELECT 1", {}, Exception("connection refused")), "the database is unreachable"),
    ],
)
def test_the_heartbeat_says_busy_or_unreachable(app, monkeypatch, caplog, error, said):
    beats = []

    def failing_beat():
        beats.append(1)
        raise error

    def sleep(_seconds):
        if len(beats) >= 2:
            raise _Stop

    monkeypatch.setattr(jobs, "heartbeat", failing_beat)
    monkeypatch.setattr(jobs.socketio, "sleep", sleep)
    with caplog.at_level(logging.WARNING, logger=jobs.log.name), pytest.raises(_Stop):
        jobs.heartbeat_forever(app)
    warnings = [r.getMessage() for r in caplog.records if r.name == jobs.log.name]
    assert len(warnings) == 1 and said in warnings[0]  # (said once, not at every beat)
