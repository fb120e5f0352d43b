"""Seat booking: candidates of a round with a booking window pick a sitting with free seats;
seats are taken with a conditional UPDATE of the room's counter (never more than its seats,
under any concurrency: READ COMMITTED re-checks the WHERE after waiting for a concurrent
writer), numbered with the lowest free number (unique in the room). A seat needing payment is
held until a deadline; lapsed holds are released by the scheduler (jobs.py) and offered to the
sitting's waiting list in order. Every change is audited; the candidate is told by email."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.access import need_hr_of_round
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..common.integrity import flush_or_refuse
from ..common.thai import format_datetime
from ..exams.models import Sitting
from ..extensions import db
from ..payments import services as payments
from .availability import (
    SittingChoice,
    alternatives_for,
    booking_of,
    needs_accessible,
    provisions_needed,
    waitlist_entry,
)
from .models import Booking, BookingPolicy, BookingStatus, WaitlistEntry
from .notices import tell
from .policy import policy_of
from .seats import add_exam_seat, drop_exam_seat, free_seat, place_record, take_seat, write_booking

STATUS_LABELS = {
    BookingStatus.HELD: lambda: _("Held"),
    BookingStatus.CONFIRMED: lambda: _("Confirmed"),
    BookingStatus.RELEASED: lambda: _("Released"),
    BookingStatus.CANCELLED: lambda: _("Cancelled"),
}
booking_status_label = labeller(STATUS_LABELS)


class SittingFull(NotAllowed):
    """No seat for this candidate in the sitting; `alternatives` are the next sittings with one."""

    code = "full"

    def __init__(self, message: str, alternatives: list[SittingChoice]):
        super().__init__(message)
        self.alternatives = alternatives


# ---- the round's booking window ------------------------------------------------------------------


# ---- what a candidate may book -----------------------------------------------------------------


# ---- taking and freeing a seat (the race-safe part) -------------------------------------------


# ---- the candidate's actions --------------------------------------------------------------------


def _own(application: Application, actor) -> None:
    if actor is None or actor.id != application.candidate_id:
        raise Forbidden(_("This is not your application."))


def booking_refusal(application: Application) -> NotAllowed | None:
    """Why the candidate cannot book now, or None."""
    policy = policy_of(application.round_id)
    if policy is None:
        return NotAllowed(_("This round does not take seat bookings: HR seats its candidates."))
    if application.status != ApplicationStatus.APPROVED:
        return NotAllowed(_("You can book a seat once your application is approved."))
    at = now()
    if at < policy.opens_at:
        return NotAllowed(_("Booking opens on %(at)s.", at=format_datetime(policy.opens_at, _locale())))
    if at >= policy.closes_at:
        return NotAllowed(_("Booking closed on %(at)s.", at=format_datetime(policy.closes_at, _locale())))
    return None


def _locale() -> str:
    from ..common.i18n import current_locale

    return current_locale()


def _bookable_sitting(application: Application, sitting: Sitting | None) -> Sitting:
    if sitting is None or sitting.round_id != application.round_id:
        raise ValidationFailed(_("Choose one of the round's sittings."), "sitting_id")
    if sitting.status != "scheduled" or sitting.starts_at <= now():
        raise NotAllowed(_("This sitting can no longer be booked."))
    return sitting


def _status_for(application: Application, policy: BookingPolicy) -> tuple[str, str, datetime | None]:
    """Confirmed when the fee is paid (or there is none); else held for the round's hold hours."""
    if payments.needs_payment(application):
        return BookingStatus.HELD, "payment", now() + timedelta(hours=policy.hold_hours)
    return BookingStatus.CONFIRMED, "", None


def _seatless_and_bookable(
    application: Application, actor, sitting: Sitting | None, has_seat: str
) -> Sitting:
    """The sitting, if the candidate may book now, has no seat yet (else NotAllowed(has_seat)) and
    the sitting is one of the round's that can still be booked (booking and waiting lists)."""
    _own(application, actor)
    refusal = booking_refusal(application)
    if refusal is not None:
        raise refusal
    sitting = _bookable_sitting(application, sitting)
    current = booking_of(application)
    if current is not None and current.active:
        raise NotAllowed(has_seat)
    return sitting


def book(application: Application, actor, sitting: Sitting | None) -> Booking:
    """The candidate books a seat in `sitting`: confirmed at once when the fee is paid (or there
    is none), else held until the hold's deadline. SittingFull names the next sittings with seats."""
    sitting = _seatless_and_bookable(
        application, actor, sitting, _("You already have a seat in this round: move it instead.")
    )
    accessible = needs_accessible(application)
    got = take_seat(sitting, accessible, provisions_needed(application))
    if got is None:
        db.session.rollback()
        raise SittingFull(
            _("This sitting is full. Choose another sitting, or join its waiting list."),
            alternatives_for(application, exclude=sitting.id),
        )
    sr, seat_no = got
    status, reason, until = _status_for(application, policy_of(application.round_id))
    booking = write_booking(application, sitting, sr, seat_no, accessible, status, reason, until)
    if status == BookingStatus.CONFIRMED:
        add_exam_seat(booking)
    _leave_waitlist(application)
    record("booking.book", booking, actor=actor, after=place_record(booking) | {"held_until": until})
    tell(booking, "booked")
    db.session.commit()
    return booking


def _change_refusal(booking: Booking | None) -> None:
    if booking is None or not booking.active:
        raise NotAllowed(_("You have no seat in this round."))
    policy = policy_of(booking.application.round_id)
    if policy is None or now() >= policy.change_cutoff_at:
        raise NotAllowed(_("Seats can no longer be moved or cancelled in this round."))
    if booking.sitting.starts_at <= now():
        raise NotAllowed(_("This sitting has begun."))


def move(
    application: Application, actor, sitting: Sitting | None, *, reason: str = "", by_hr: bool = False
) -> Booking:
    """Move the application's seat to another sitting: the new seat is taken first, the old one
    freed in the same transaction (and offered to that sitting's waiting list). HR may move a
    candidate at any time before the sitting, with a reason; the candidate until the cut-off."""
    booking = booking_of(application)
    if by_hr:
        need_hr_of_round(actor, application.round)
        reason = (reason or "").strip()
        if len(reason) < 5:
            raise ValidationFailed(_("Give the reason for the move."), "reason")
        if booking is None or not booking.active:
            raise NotAllowed(_("This candidate has no seat to move."))
    else:
        _own(application, actor)
        _change_refusal(booking)
    sitting = _bookable_sitting(application, sitting)
    if sitting.id == booking.sitting_id:
        raise NotAllowed(_("The seat is already in this sitting."))
    before = place_record(booking)
    old_sitting = booking.sitting
    got = take_seat(sitting, booking.accessible, provisions_needed(application))
    if got is None:
        db.session.rollback()
        raise SittingFull(
            _("This sitting is full. Choose another sitting, or join its waiting list."),
            alternatives_for(application, exclude=sitting.id),
        )
    drop_exam_seat(booking)
    free_seat(booking)
    booking.sitting_id, booking.sitting_room_id, booking.seat_no = sitting.id, got[0].id, got[1]
    booking.moves, booking.updated_at = booking.moves + 1, now()
    db.session.flush()
    db.session.expire(booking, ["sitting", "sitting_room"])
    if booking.status == BookingStatus.CONFIRMED:
        add_exam_seat(booking)
    record(
        "booking.move",
        booking,
        actor=actor,
        before=before,
        after=place_record(booking) | {"reason": reason, "by_hr": by_hr},
    )
    tell(booking, "moved_by_hr" if by_hr else "moved", reason=reason)
    offer_to_waitlist(old_sitting)
    db.session.commit()
    return booking


def cancel(application: Application, actor) -> Booking:
    _own(application, actor)
    booking = booking_of(application)
    _change_refusal(booking)
    before = place_record(booking)
    sitting = booking.sitting
    drop_exam_seat(booking)
    free_seat(booking)
    booking.status, booking.held_until, booking.hold_reason, booking.updated_at = (
        BookingStatus.CANCELLED,
        None,
        "",
        now(),
    )
    db.session.flush()
    record("booking.cancel", booking, actor=actor, before=before, after={"status": booking.status})
    tell(booking, "cancelled")
    offer_to_waitlist(sitting)
    db.session.commit()
    return booking


def confirm(application: Application, actor) -> Booking:
    """The candidate takes up a held seat (one offered from the waiting list); a seat held for
    payment is confirmed by the payment itself."""
    _own(application, actor)
    booking = booking_of(application)
    if booking is None or booking.status != BookingStatus.HELD:
        raise NotAllowed(_("You have no held seat to confirm."))
    if payments.needs_payment(application):
        raise NotAllowed(_("Pay the application fee first: the seat is confirmed when the payment arrives."))
    _confirm(booking, actor)
    db.session.commit()
    return booking


def _confirm(booking: Booking, actor) -> None:
    done = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.HELD)
        .values(status=BookingStatus.CONFIRMED, held_until=None, hold_reason="", updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        return
    db.session.refresh(booking)
    add_exam_seat(booking)
    record("booking.confirm", booking, actor=actor, after=place_record(booking))
    tell(booking, "confirmed")


@payments.payment_received.connect
def confirm_paid_holds(payment, **_extra) -> None:
    """A payment confirms the seat it was holding (in the payment's transaction)."""
    booking = booking_of(payment.application)
    if booking is not None and booking.status == BookingStatus.HELD:
        _confirm(booking, None)


# ---- waiting lists --------------------------------------------------------------------------------


def join_waitlist(application: Application, actor, sitting: Sitting | None) -> WaitlistEntry:
    sitting = _seatless_and_bookable(application, actor, sitting, _("You already have a seat in this round."))
    entry = waitlist_entry(application, sitting.id)
    if entry is not None and entry.status == "waiting":
        return entry
    if entry is None:
        entry = WaitlistEntry(sitting_id=sitting.id, application_id=application.id)
        db.session.add(entry)
    entry.status, entry.joined_at, entry.offered_at = "waiting", now(), None
    flush_or_refuse(NotAllowed(_("You are already on this waiting list.")))
    record("waitlist.join", entry, actor=actor, after={"sitting": sitting.id, "application": application.id})
    db.session.commit()
    return entry


def _leave_waitlist(application: Application) -> None:
    """A candidate who got a seat leaves every waiting list of the round."""
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.application_id == application.id, WaitlistEntry.status == "waiting")
        .values(status="left")
        .execution_options(synchronize_session=False)
    )


def offer_to_waitlist(sitting: Sitting) -> Booking | None:
    """A seat of `sitting` came free: hold it for the first candidate of its waiting list who
    can take it (their kind of seat is free, they hold no other seat), for BOOKING_OFFER_HOURS."""
    entries = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.sitting_id == sitting.id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    )
    for entry in entries:
        application = entry.application
        current = booking_of(application)
        if application.status != ApplicationStatus.APPROVED or (current is not None and current.active):
            entry.status = "left"
            continue
        if sitting.status != "scheduled" or sitting.starts_at <= now():
            return None
        accessible = needs_accessible(application)
        got = take_seat(sitting, accessible, provisions_needed(application))
        if got is None:
            continue
        until = now() + timedelta(hours=current_app.config["BOOKING_OFFER_HOURS"])
        booking = write_booking(
            application, sitting, got[0], got[1], accessible, BookingStatus.HELD, "offer", until
        )
        entry.status, entry.offered_at = "offered", now()
        _leave_waitlist(application)
        record(
            "booking.offer",
            booking,
            actor=None,
            after=place_record(booking) | {"held_until": until, "waitlist_entry": entry.id},
        )
        tell(booking, "offered")
        return booking
    return None


# ---- holds that lapse ----------------------------------------------------------------------------


# ---- telling the candidate --------------------------------------------------------------------------


# ---- HR's view ----------------------------------------------------------------------------------------
