"""The interview schedule as it is stored, for the services and pages built on it: a panel's
slots, the interviews of a round and of a panel's day, the panel's waiting list; the configured
times (the move cut-off, when check-in opens, an accommodation's extra minutes); and the words
for an interview's status, a slot's time and its mode.

HR builds the schedule in placement.py, candidates act on their bookings in booking.py, and
invitations.py tells everyone of each change; all three read from here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..common.clock import BANGKOK, to_utc
from ..common.errors import NotAllowed
from ..common.i18n import labeller
from ..common.lookup import get_or_not_found
from ..common.thai import format_datetime
from ..extensions import db
from ..notifications.models import OutboxEmail
from ..recruitment.models import Round
from . import services
from .models import Interview, InterviewSlot, Panel


class SlotTaken(NotAllowed):
    """Someone else holds the slot (even if they took it at the same instant)."""

    code = "slot_taken"


# ---- the configured times (config.py: INTERVIEW_*) ---------------------------------------


def move_cutoff() -> timedelta:
    return timedelta(hours=current_app.config["INTERVIEW_MOVE_CUTOFF_HOURS"])


def min_notice() -> timedelta:
    """How far ahead automatic scheduling books at the soonest: the configured notice
    (INTERVIEW_MIN_NOTICE_DAYS), and never less than the move cut-off, so that a candidate
    placed automatically always keeps the right to move."""
    return max(timedelta(days=current_app.config["INTERVIEW_MIN_NOTICE_DAYS"]), move_cutoff())


def checkin_opens_before() -> timedelta:
    return timedelta(minutes=current_app.config["INTERVIEW_CHECKIN_OPENS_MINUTES"])


def configured_extra_minutes() -> int:
    """The minutes an approved extra-time accommodation adds to the round's standard slot
    (HR may give auto_schedule another number)."""
    return current_app.config["INTERVIEW_EXTRA_MINUTES"]


# ---- reading ----------------------------------------------------------------------------


def slots_of_panel(panel: Panel, include_cancelled: bool = False) -> list[InterviewSlot]:
    stmt = select(InterviewSlot).where(InterviewSlot.panel_id == panel.id)
    if not include_cancelled:
        stmt = stmt.where(InterviewSlot.cancelled.is_(False))
    return list(db.session.scalars(stmt.order_by(InterviewSlot.starts_at, InterviewSlot.id)))


def get_slot(slot_id: int) -> InterviewSlot:
    return get_or_not_found(InterviewSlot, slot_id, _("No such interview slot."))


def interviews_of_round(round_: Round) -> list[Interview]:
    return list(
        db.session.scalars(
            select(Interview)
            .join(InterviewSlot, Interview.slot_id == InterviewSlot.id)
            .join(Panel, InterviewSlot.panel_id == Panel.id)
            .where(Panel.round_id == round_.id)
            .order_by(InterviewSlot.starts_at, Panel.id, Interview.id)
        )
    )


def invitation_states(interviews: list[Interview]) -> dict[int, str]:
    """Interview id -> the outbox status of the candidate's invitation to its current version
    ("pending", "sending", "sent", "failed"; absent when none was queued)."""
    keys = {f"interview:{iv.id}:v{iv.moves}:candidate": iv.id for iv in interviews}
    if not keys:
        return {}
    rows = db.session.execute(
        select(OutboxEmail.dedupe_key, OutboxEmail.status).where(OutboxEmail.dedupe_key.in_(list(keys)))
    ).all()
    return {keys[key]: status for key, status in rows}


def days_of_panel(panel: Panel) -> list[date]:
    """The Bangkok dates on which the panel has slots."""
    return sorted({s.starts_at.astimezone(BANGKOK).date() for s in slots_of_panel(panel)})


def interviews_of_panel_day(panel: Panel, day: date) -> list[Interview]:
    start = to_utc(datetime.combine(day, time()))
    return list(
        db.session.scalars(
            select(Interview)
            .join(InterviewSlot, Interview.slot_id == InterviewSlot.id)
            .where(
                InterviewSlot.panel_id == panel.id,
                InterviewSlot.starts_at >= start,
                InterviewSlot.starts_at < start + timedelta(days=1),
            )
            .order_by(InterviewSlot.starts_at, Interview.id)
        )
    )


def waiting_candidates(panel: Panel, day: date) -> list[Interview]:
    """The panel's candidates of that (Bangkok) day who have checked in and wait, by slot time."""
    return [iv for iv in interviews_of_panel_day(panel, day) if iv.status == "checked_in"]


# ---- words for statuses, times and modes -----------------------------------------------

STATUS_LABELS = {
    "scheduled": lambda: _("Scheduled, not yet confirmed"),
    "confirmed": lambda: _("Confirmed"),
    "checked_in": lambda: _("Checked in, waiting"),
    "scoring": lambda: _("Being interviewed"),
    "finalized": lambda: _("Finished"),
    "no_show": lambda: _("Did not attend"),
    "cancelled": lambda: _("Cancelled"),
}


status_label = labeller(STATUS_LABELS)


def slot_label(slot: InterviewSlot, locale: str = "th") -> str:
    """ "9 November 2026, 09:00–09:30" (Bangkok time)."""
    end = slot.ends_at.astimezone(BANGKOK).strftime("%H:%M")
    text = format_datetime(slot.starts_at, locale)
    return f"{text[:-3]}–{end} น." if locale == "th" else f"{text}–{end}"


def mode_label(mode: str) -> str:
    return _("Online") if mode == services.ONLINE else _("On site")
