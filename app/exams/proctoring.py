"""What a proctor sees of a sitting: one row per candidate, derived from what is stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..common.clock import now
from ..extensions import db
from . import timing
from .models import AttemptAnswer, Seat, Sitting


def candidate_state(seat: Seat) -> str:
    attempt = seat.attempt
    if attempt is None:
        return "checked_in" if seat.checked_in_at else "not_checked_in"
    if attempt.status == "submitted":
        return "submitted"
    if attempt.status == "in_progress":
        return "in_progress" if attempt.live_sid else "disconnected"
    return "checked_in"


def candidate_row(seat: Seat, answered: int | None = None, at: datetime | None = None) -> dict:
    at = at or now()
    attempt = seat.attempt
    if answered is None and attempt is not None:
        answered = db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.choice.is_not(None)))
    sitting = seat.sitting
    frozen = sitting.paused_at if sitting.status == "paused" and sitting.paused_at else at
    return {
        "seat_id": seat.id,
        "name": seat.candidate.full_name_th,
        "application_number": seat.application.number if seat.application else "",
        "room": seat.room,
        "seat": seat.seat_number,
        "state": candidate_state(seat),
        "answered": answered or 0,
        "item_count": len(attempt.form) if attempt else 0,
        "remaining_seconds": timing.remaining_seconds(attempt, frozen) if attempt else None,
        "focus_losses": attempt.focus_losses if attempt else 0,
        "extra_time_percent": seat.extra_time_percent,
        "score": str(attempt.score) if attempt and attempt.score is not None else None,
    }


def candidate_rows(sitting: Sitting) -> list[dict]:
    counts = dict(db.session.execute(
        select(AttemptAnswer.attempt_id, func.count()).join(AttemptAnswer.attempt).join(Seat)
        .where(Seat.sitting_id == sitting.id, AttemptAnswer.choice.is_not(None))
        .group_by(AttemptAnswer.attempt_id)).all())
    at = now()
    return [candidate_row(seat, counts.get(seat.attempt.id, 0) if seat.attempt else 0, at)
            for seat in sitting.seats]


def can_proctor(user, sitting: Sitting) -> bool:
    """Proctors and HR of the sitting's agency."""
    return bool(user and user.is_authenticated and user.agency_id == sitting.agency_id and
                user.has_role("proctor", "hr_officer", "hr_approver"))
