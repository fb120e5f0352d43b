"""The candidate's side of the interview schedule: their interviews and what they may do now.
They confirm the slot they were placed in, move to another free slot of the same panel until
the cut-off (a new invitation goes out), declare times they cannot attend, and check in on the
day, from shortly before the slot until its end, which puts them on the panel's waiting list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import StageKind
from . import conflicts, services
from .invitations import send_invitations
from .models import Interview, InterviewSlot, Unavailability
from .placement import CandidateSpec, candidate_spec, overlaps, slot_spec, standard_minutes
from .schedule import SlotTaken, checkin_opens_before, configured_extra_minutes, move_cutoff, slots_of_panel

MAX_UNAVAILABLE_DAYS = 31
LIVE = ("scheduled", "confirmed")  # an interview the candidate may still confirm or move

# Sent after a candidate checks in (committed): receivers get the interview. The live panel
# page (events.py) connects to it to tell the panel who is waiting.
signals = Namespace()
candidate_checked_in = signals.signal("interview-candidate-checked-in")


# ---- the candidate's interviews, confirming ---------------------------------------------


def interviews_of_candidate(user) -> list[Interview]:
    return list(
        db.session.scalars(
            select(Interview)
            .join(Application, Interview.application_id == Application.id)
            .join(InterviewSlot, Interview.slot_id == InterviewSlot.id)
            .where(Application.candidate_id == user.id)
            .order_by(InterviewSlot.starts_at)
        )
    )


def interview_for_candidate(interview_id: int, user) -> Interview:
    interview = services.get_interview(interview_id)
    if interview.application.candidate_id != getattr(user, "id", None):
        raise Forbidden(_("This is not your interview."))
    return interview


def _need_owner(interview: Interview, user) -> None:
    if interview.application.candidate_id != getattr(user, "id", None):
        raise Forbidden(_("This is not your interview."))


def confirm_slot(interview: Interview, user) -> Interview:
    _need_owner(interview, user)
    if interview.status == "confirmed":
        return interview
    if interview.status != "scheduled":
        raise NotAllowed(_("This interview can no longer be confirmed."))
    if interview.slot.starts_at <= now():
        raise NotAllowed(_("The interview has already begun."))
    interview.status, interview.confirmed_at = "confirmed", now()
    record(
        "interview.confirm",
        interview,
        actor=user,
        after={"slot": interview.slot_id, "at": interview.confirmed_at},
    )
    db.session.commit()
    return interview


# ---- moving -----------------------------------------------------------------------------


def move_deadline(interview: Interview) -> datetime:
    return interview.slot.starts_at - move_cutoff()


def can_move(interview: Interview) -> bool:
    return interview.status in LIVE and now() < move_deadline(interview)


def _needs_of(interview: Interview) -> CandidateSpec:
    """The candidate's accommodations and unavailable times, as auto_schedule sees them."""
    application = interview.application
    return candidate_spec(application, standard_minutes(application.round), configured_extra_minutes())


def _slot_refusal(interview: Interview, slot: InterviewSlot, spec: CandidateSpec):
    """Why the candidate cannot move into `slot` (None when they can)."""
    if slot.panel_id != interview.slot.panel_id:
        return NotAllowed(_("You can move only to another slot of the same panel."), "slot_id")
    if slot.cancelled:
        return NotAllowed(_("This slot has been cancelled."), "slot_id")
    if slot.id == interview.slot_id:
        return NotAllowed(_("This is already your slot."), "slot_id")
    if slot.starts_at - move_cutoff() <= now():
        return NotAllowed(
            _(
                "That slot is too soon: moves close %(hours)s hours before the interview.",
                hours=int(move_cutoff().total_seconds() // 3600),
            ),
            "slot_id",
        )
    if not spec.fits(slot_spec(slot, frozenset())):
        return NotAllowed(_("That slot does not meet your approved accommodations."), "slot_id")
    if any(conflicts.busy_elsewhere(m.user_id, slot) for m in slot.panel.members):
        return NotAllowed(_("That slot is no longer available."), "slot_id")
    return None


def movable_slots(interview: Interview) -> list[InterviewSlot]:
    """The free slots of the same panel the candidate may move to now."""
    if not can_move(interview):
        return []
    spec = _needs_of(interview)
    return [
        s
        for s in slots_of_panel(interview.slot.panel)
        if s.interview is None and _slot_refusal(interview, s, spec) is None
    ]


def move_to_slot(interview: Interview, user, slot: InterviewSlot) -> Interview:
    """The candidate takes another free slot of the same panel, until the cut-off before both
    the current and the new slot. Two candidates racing for one slot: the unique slot_id lets
    exactly one in; the other gets SlotTaken."""
    _need_owner(interview, user)
    if interview.status not in LIVE:
        raise NotAllowed(_("This interview can no longer be moved."))
    if now() >= move_deadline(interview):
        raise NotAllowed(
            _(
                "Moves closed %(hours)s hours before your interview.",
                hours=int(move_cutoff().total_seconds() // 3600),
            )
        )
    if slot is None:
        raise ValidationFailed(_("Choose a slot."), "slot_id")
    refusal = _slot_refusal(interview, slot, _needs_of(interview))
    if refusal:
        raise refusal
    if slot.interview is not None:
        raise SlotTaken(_("Someone has just taken that slot; choose another."), "slot_id")
    old_slot = interview.slot
    old_slot_id, old_start = old_slot.id, old_slot.starts_at
    at = now()
    try:
        changed = db.session.execute(
            update(Interview)
            .where(
                Interview.id == interview.id,
                Interview.slot_id == old_slot_id,
                Interview.status.in_(LIVE),
                exists().where(InterviewSlot.id == slot.id, InterviewSlot.cancelled.is_(False)),
            )
            .values(slot_id=slot.id, moves=Interview.moves + 1, status="confirmed", confirmed_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            db.session.rollback()
            raise NotAllowed(_("Your interview changed meanwhile; reload the page."))
        for obj in (interview, old_slot, slot):
            db.session.expire(obj)
        record(
            "interview.move",
            interview,
            actor=user,
            before={"slot": old_slot_id, "starts_at": old_start},
            after={"slot": slot.id, "starts_at": slot.starts_at, "moves": interview.moves},
        )
        send_invitations(interview)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(_("Someone has just taken that slot; choose another."), "slot_id") from None
    return interview


# ---- HR moves a booking -------------------------------------------------------------------


def _hr_slot_refusal(interview: Interview, slot: InterviewSlot | None, spec: CandidateSpec):
    """Why HR cannot move the interview into `slot` (None when it can): a free, future slot of
    a panel of the same round that meets the candidate's accommodations, whose members sit
    nowhere else then."""
    if slot is None:
        return ValidationFailed(_("Choose a slot."), "slot_id")
    if slot.panel.round_id != interview.slot.panel.round_id:
        return NotAllowed(_("Choose a slot of this round's panels."), "slot_id")
    if slot.cancelled:
        return NotAllowed(_("This slot has been cancelled."), "slot_id")
    if slot.id == interview.slot_id:
        return NotAllowed(_("The interview is already in this slot."), "slot_id")
    if slot.starts_at <= now():
        return NotAllowed(_("That slot has already begun."), "slot_id")
    if slot.interview is not None:
        return SlotTaken(_("Someone has just taken that slot; choose another."), "slot_id")
    if not spec.fits(slot_spec(slot, frozenset())):
        return NotAllowed(_("That slot does not meet the candidate's approved accommodations."), "slot_id")
    if any(conflicts.busy_elsewhere(m.user_id, slot) for m in slot.panel.members):
        return NotAllowed(_("A member of that slot's panel sits on another panel then."), "slot_id")
    return None


def slots_hr_may_move_to(interview: Interview) -> list[InterviewSlot]:
    """The free future slots of the round's panels HR may move this interview to."""
    if interview.status not in LIVE:
        return []
    spec = _needs_of(interview)
    return [
        s
        for p in services.panels_of_round(interview.application.round)
        for s in slots_of_panel(p)
        if s.interview is None and _hr_slot_refusal(interview, s, spec) is None
    ]


def hr_move(interview: Interview, actor, slot: InterviewSlot | None, reason: str, ip: str = "") -> Interview:
    """HR moves a booked interview to another free slot, with a reason: the candidate is told by
    email with a new invitation (.ics, its SEQUENCE one higher) and confirms the new time; the
    panel members get theirs. Audited with the reason and both times."""
    services.need_hr(actor, interview.application.round)
    if interview.status not in LIVE:
        raise NotAllowed(_("Only an interview not yet held can be moved."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give the reason for moving the interview (the candidate sees it)."), "reason"
        )
    refusal = _hr_slot_refusal(interview, slot, _needs_of(interview))
    if refusal:
        raise refusal
    old_slot_id, old_start = interview.slot_id, interview.slot.starts_at
    try:
        changed = db.session.execute(
            update(Interview)
            .where(Interview.id == interview.id, Interview.slot_id == old_slot_id, Interview.status.in_(LIVE))
            .values(slot_id=slot.id, moves=Interview.moves + 1, status="scheduled", confirmed_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            db.session.rollback()
            raise NotAllowed(_("The interview changed meanwhile; reload the page."))
        db.session.expire(interview)
        record(
            "interview.hr_move",
            interview,
            actor=actor,
            before={"slot": old_slot_id, "starts_at": old_start},
            after={"slot": slot.id, "starts_at": slot.starts_at, "moves": interview.moves, "reason": reason},
            ip=ip,
        )
        send_invitations(interview, reason=reason)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(_("Someone has just taken that slot; choose another."), "slot_id") from None
    return interview


# ---- times the candidate cannot attend --------------------------------------------------


def declare_unavailable(
    application: Application, user, starts_at: datetime, ends_at: datetime, note: str = ""
) -> Unavailability:
    """The candidate declares a time they cannot attend (aware datetimes)."""
    if application.candidate_id != getattr(user, "id", None):
        raise Forbidden(_("This is not your application."))
    if application.status != ApplicationStatus.APPROVED:
        raise NotAllowed(_("Only approved applications are scheduled for interviews."))
    if starts_at is None or ends_at is None:
        raise ValidationFailed(_("Give the start and end of the time."), "starts_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_("The end must be after the start."), "ends_at")
    if ends_at <= now():
        raise ValidationFailed(_("That time is already past."), "ends_at")
    if ends_at - starts_at > timedelta(days=MAX_UNAVAILABLE_DAYS):
        raise ValidationFailed(_("Declare at most %(n)s days at a time.", n=MAX_UNAVAILABLE_DAYS), "ends_at")
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationFailed(_("The note is at most 300 characters."), "note")
    row = Unavailability(application_id=application.id, starts_at=starts_at, ends_at=ends_at, note=note)
    db.session.add(row)
    db.session.flush()
    record(
        "interview.unavailable",
        row,
        actor=user,
        after={"application": application.number, "starts_at": starts_at, "ends_at": ends_at, "note": note},
    )
    db.session.commit()
    return row


def withdraw_unavailable(row: Unavailability, user) -> None:
    application = db.session.get(Application, row.application_id)
    if application is None or application.candidate_id != getattr(user, "id", None):
        raise Forbidden(_("This is not your application."))
    record(
        "interview.unavailable_withdraw",
        row,
        actor=user,
        before={
            "application": application.number,
            "starts_at": row.starts_at,
            "ends_at": row.ends_at,
            "note": row.note,
        },
    )
    db.session.delete(row)
    db.session.commit()


def unavailabilities_of(application: Application) -> list[Unavailability]:
    return list(
        db.session.scalars(
            select(Unavailability)
            .where(Unavailability.application_id == application.id)
            .order_by(Unavailability.starts_at)
        )
    )


def clashes_with_unavailability(interview: Interview) -> bool:
    return any(
        overlaps(interview.slot.starts_at, interview.slot.ends_at, u.starts_at, u.ends_at)
        for u in unavailabilities_of(interview.application)
    )


# ---- check-in ---------------------------------------------------------------------------


def checkin_window(interview: Interview) -> tuple[datetime, datetime]:
    return interview.slot.starts_at - checkin_opens_before(), interview.slot.ends_at


def can_check_in(interview: Interview) -> bool:
    opens, closes = checkin_window(interview)
    return interview.status in LIVE and opens <= now() < closes


def check_in_for_interview(interview: Interview, user) -> Interview:
    """On the day: from 30 minutes before the slot until its end, the candidate checks in and
    the panel sees them waiting."""
    _need_owner(interview, user)
    if interview.status == "checked_in":
        return interview
    if interview.status not in LIVE:
        raise NotAllowed(_("This interview is past check-in."))
    opens, closes = checkin_window(interview)
    at = now()
    if at < opens:
        raise NotAllowed(
            _(
                "Check-in opens %(minutes)s minutes before your interview.",
                minutes=int(checkin_opens_before().total_seconds() // 60),
            )
        )
    if at >= closes:
        raise NotAllowed(_("Your interview slot has ended."))
    before = interview.status
    interview.status, interview.checked_in_at = "checked_in", at
    record(
        "interview.check_in",
        interview,
        actor=user,
        before={"status": before},
        after={"status": "checked_in", "at": at},
    )
    db.session.commit()
    candidate_checked_in.send(current_app._get_current_object(), interview=interview)
    return interview


# ---- the candidate's page ---------------------------------------------------------------


@dataclass
class CandidateInterview:
    """One interview as its candidate sees it: what they may do now."""

    interview: Interview
    can_confirm: bool
    can_move: bool
    move_deadline: datetime
    can_check_in: bool
    checkin_opens: datetime
    clashes: bool  # the slot falls in a time the candidate declared unavailable


def my_interviews(user) -> list[CandidateInterview]:
    at = now()
    rows = []
    for iv in interviews_of_candidate(user):
        opens, _closes = checkin_window(iv)
        rows.append(
            CandidateInterview(
                interview=iv,
                can_confirm=iv.status == "scheduled" and iv.slot.starts_at > at,
                can_move=can_move(iv),
                move_deadline=move_deadline(iv),
                can_check_in=can_check_in(iv),
                checkin_opens=opens,
                clashes=iv.status in LIVE and clashes_with_unavailability(iv),
            )
        )
    return rows


def awaiting_schedule(user) -> list[Application]:
    """The candidate's approved applications to rounds with a Part C that have no interview
    yet (they may declare unavailable times before being scheduled)."""
    apps = db.session.scalars(
        select(Application).where(
            Application.candidate_id == user.id,
            Application.status == ApplicationStatus.APPROVED,
            ~exists().where(Interview.application_id == Application.id),
        )
    )
    return [a for a in apps if a.round.stage(StageKind.PART_C) is not None]
