"""Periodic work of the online test: submit attempts at their deadline, warn before it.

`tick()` is safe to run in several processes at once: submitting is idempotent (a conditional
UPDATE claims each attempt once). Warnings are remembered per process, so with several
schedulers a warning could be sent twice; deployment runs one scheduler (docs/deployment.md).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from ..common.clock import now
from ..extensions import db, socketio
from . import services, timing
from .events import EXAM, attempt_room, notify_proctors
from .models import Attempt, Seat, Sitting

log = logging.getLogger(__name__)
WARN_AT_MINUTES = (10, 5, 1)
_warned: dict[int, set[int]] = {}


def tick() -> dict:
    """One pass: auto-submit what is due, send the minute warnings. Needs an app context."""
    at = now()
    submitted = services.submit_due(at)
    for attempt_id in submitted:
        attempt = db.session.get(Attempt, attempt_id)
        socketio.emit("time_up", services.attempt_state(attempt), to=attempt_room(attempt_id),
                      namespace=EXAM)
        notify_proctors(attempt.seat)
        _warned.pop(attempt_id, None)
    warned = 0
    soon = db.session.scalars(select(Attempt).join(Seat).join(Sitting).where(
        Attempt.status == "in_progress", Sitting.status.not_in(("paused", "ended")),
        Attempt.deadline <= at + timedelta(minutes=max(WARN_AT_MINUTES), seconds=1)))
    for attempt in soon:
        left = timing.remaining_seconds(attempt, at)
        crossed = [m for m in WARN_AT_MINUTES if left <= m * 60]
        sent = _warned.setdefault(attempt.id, set())
        if crossed and min(crossed) not in sent:
            socketio.emit("warning", {"minutes_left": min(crossed)},
                          to=attempt_room(attempt.id), namespace=EXAM)
            sent.update(crossed)
            warned += 1
    db.session.remove()
    return {"submitted": submitted, "warned": warned}


def run_forever(app, interval: float = 1.0) -> None:
    while True:
        try:
            with app.app_context():
                tick()
        except Exception:  # keep the scheduler alive through a database blip
            log.exception("exam scheduler tick failed")
        socketio.sleep(interval)


def start(app, interval: float = 1.0):
    return socketio.start_background_task(run_forever, app, interval)
