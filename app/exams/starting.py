"""Starting a checked-in attempt's clock when its sitting allows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from ..audit.services import record
from ..common.clock import now
from ..extensions import db
from . import timing
from .models import Attempt, Sitting


def can_start(sitting: Sitting, at: datetime) -> bool:
    """Whether pressing start would start the test now (the waiting room's button)."""
    return timing.start_refusal(sitting, at) is None


def begin_if_due(attempt: Attempt, at: datetime | None = None) -> Attempt:
    """Start the clock of a checked-in attempt when its sitting allows; idempotent."""
    at = at or now()
    if attempt.status != "not_started":
        return attempt
    seat = attempt.seat
    if timing.start_refusal(seat.sitting, at) is not None:
        return attempt
    started = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "not_started")
        .values(
            status="in_progress",
            started_at=at,
            deadline=timing.deadline_for(seat.sitting, seat.sitting.exam, seat, attempt, at),
        )
    ).rowcount
    if started:
        db.session.flush()
        db.session.refresh(attempt)
        record(
            "attempt.start",
            attempt,
            actor=seat.candidate_id,
            after={"started_at": at, "deadline": attempt.deadline},
        )
    db.session.commit()
    return attempt
