"""Periodic work of the online test: submit attempts at their deadline, warn before it; and
each web process's heartbeat, which gives back time lost to the server (`outages`).

`tick()` is safe to run in several processes at once: submitting is idempotent (a conditional
UPDATE claims each attempt once). Warnings are remembered per process, so with several
schedulers a warning could be sent twice; deployment runs one scheduler (docs/deployment.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import joinedload, selectinload

from ..common.clock import now
from ..extensions import db, socketio
from . import joining, outages, submission, timing
from .models import Attempt, Seat, Sitting
from .rooms import broadcast_time, progress_batcher, tell_candidate

log = logging.getLogger(__name__)
WARN_AT_MINUTES = (10, 5, 1)
_warned: dict[int, set[int]] = {}
# Attempts loaded and told per batch after a deadline or an outage (the loop served between).
_TELL_BATCH = 200


def tick() -> dict:
    """One pass: auto-submit what is due, send the minute warnings. Needs an app context."""
    at = now()
    if outages.serving_stale(at):
        # No web process has beaten for longer than the threshold: candidates cannot be
        # served, and an outage not yet given back may be under way. Submitting now would
        # take time the platform owes them.
        db.session.remove()
        return {"submitted": [], "warned": 0, "held": True}
    submitted = submission.submit_due(at)
    # (a synchronized sitting's deadline: thousands at once, loaded and told in batches; the
    # proctors' rows go in their batches)
    for i in range(0, len(submitted), _TELL_BATCH):
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_(submitted[i : i + _TELL_BATCH]))
            .options(joinedload(Attempt.seat).joinedload(Seat.sitting), selectinload(Attempt.answers))
        ).all()
        for attempt in attempts:
            tell_candidate("time_up", joining.attempt_state(attempt), attempt.id)
            progress_batcher().changed(attempt.seat.sitting_id, attempt.seat_id)
            _warned.pop(attempt.id, None)
        socketio.sleep(0)
    warned = 0
    soon = db.session.scalars(
        select(Attempt)
        .join(Seat)
        .join(Sitting)
        .where(
            Attempt.status == "in_progress",
            Sitting.status.not_in(("paused", "ended")),
            Attempt.deadline <= at + timedelta(minutes=max(WARN_AT_MINUTES), seconds=1),
        )
    )
    for attempt in soon:
        left = timing.remaining_seconds(attempt, at)
        crossed = [m for m in WARN_AT_MINUTES if left <= m * 60]
        sent = _warned.setdefault(attempt.id, set())
        if crossed and min(crossed) not in sent:
            tell_candidate("warning", {"minutes_left": min(crossed)}, attempt.id)
            sent.update(crossed)
            warned += 1
    db.session.remove()
    return {"submitted": submitted, "warned": warned}


def heartbeat(kind: str = outages.WEB) -> outages.Beat:
    """One beat of this process; tells the candidates given an outage's time back (those
    connected: the database was away, not this process) and their proctors."""
    result = outages.beat(kind)
    # (after an outage, every attempt under way: thousands, told in batches that let the
    # event loop serve between them; the proctors' rows go in their batches)
    changed = list(result.changed)
    for i in range(0, len(changed), _TELL_BATCH):
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_(changed[i : i + _TELL_BATCH]))
            .options(joinedload(Attempt.seat).joinedload(Seat.sitting))
        ).all()
        for attempt in attempts:
            broadcast_time(attempt, "outage", result.owed[attempt.id])
            progress_batcher().changed(attempt.seat.sitting_id, attempt.seat_id)
        socketio.sleep(0)
    db.session.remove()
    return result


def beat_once(app) -> None:
    """The first beat, before the process serves anyone (an outage is given back first)."""
    try:
        with app.app_context():
            heartbeat()
    except Exception:
        log.warning("heartbeat failed (database unreachable?); retrying in the background", exc_info=True)


def heartbeat_forever(app) -> None:
    interval = float(app.config["HEARTBEAT_SECONDS"])
    failing = False
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                heartbeat()
            if failing:
                log.warning("heartbeat: the database is reachable again")
            failing = False
        except Exception as err:  # the database is away: the gap is measured when it is back
            if failing:
                pass  # (said once, when it began)
            elif isinstance(err, PoolTimeout):  # (reachable, but overloaded)
                log.warning("heartbeat failed: every database connection of this process is busy")
            else:
                log.warning("heartbeat failed: the database is unreachable", exc_info=True)
            failing = True
            try:
                with app.app_context():
                    db.session.remove()
            except Exception:
                pass


def start_heartbeat(app):
    """Beat now, then every HEARTBEAT_SECONDS, in a background task of this web process."""
    beat_once(app)
    return socketio.start_background_task(heartbeat_forever, app)
