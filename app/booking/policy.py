"""A round's booking window: whether its candidates book their own seats, from when to when, and how
long an unpaid seat is held."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..common.access import need_hr_of_round
from ..common.clock import now
from ..common.errors import ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import BookingPolicy


def policy_of(round_id: int) -> BookingPolicy | None:
    return db.session.scalar(select(BookingPolicy).where(BookingPolicy.round_id == round_id))


def set_policy(
    round_: Round,
    actor,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    change_cutoff_at: datetime | None,
    hold_hours: int | None,
) -> BookingPolicy:
    """HR lets the round's candidates book their seats in a window, with a cut-off for moving or
    cancelling and the hours an unpaid seat is held."""
    need_hr_of_round(actor, round_)
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise ValidationFailed(_("The booking window must close after it opens."), "closes_at")
    if change_cutoff_at is None or change_cutoff_at < closes_at:
        raise ValidationFailed(
            _("The cut-off for moving or cancelling is at or after the window's end."), "change_cutoff_at"
        )
    if hold_hours is None or not 1 <= hold_hours <= 720:
        raise ValidationFailed(_("A seat is held from 1 to 720 hours."), "hold_hours")
    policy = policy_of(round_.id)
    before = None
    if policy is None:
        policy = BookingPolicy(round_id=round_.id)
        db.session.add(policy)
    else:
        before = {
            "opens_at": policy.opens_at,
            "closes_at": policy.closes_at,
            "change_cutoff_at": policy.change_cutoff_at,
            "hold_hours": policy.hold_hours,
        }
    policy.opens_at, policy.closes_at, policy.change_cutoff_at = opens_at, closes_at, change_cutoff_at
    policy.hold_hours, policy.set_by_id, policy.updated_at = hold_hours, actor.id, now()
    db.session.flush()
    record(
        "booking.policy",
        round_,
        actor=actor,
        before=before,
        after={
            "opens_at": opens_at,
            "closes_at": closes_at,
            "change_cutoff_at": change_cutoff_at,
            "hold_hours": hold_hours,
        },
    )
    db.session.commit()
    return policy


def round_uses_booking(round_id: int | None) -> bool:
    return round_id is not None and policy_of(round_id) is not None
