"""Seat booking: candidates of a round with a booking window pick a sitting with free seats;
seats are taken with a conditional UPDATE of the room's counter (never more than its seats,
under any concurrency: READ COMMITTED re-checks the WHERE after waiting for a concurrent
writer), numbered with the lowest free number (unique in the room). A seat needing payment is
held until a deadline; lapsed holds are released by the scheduler (jobs.py) and offered to the
sitting's waiting list in order. Every change is audited; the candidate is told by email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..centres.models import Room, SittingRoom, Venue
from ..common.access import need_hr_of_round, need_hr_of_sitting
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..common.lookup import get_or_not_found
from ..common.thai import format_datetime
from ..exams.candidate import seat_venue
from ..exams.models import Seat, Sitting
from ..exams.sittings import approved_accommodations, other_accommodations, seating_refusal
from ..extensions import db
from ..notifications.services import queue_email
from ..payments import services as payments
from ..recruitment.models import Mode, Round
from .models import Booking, BookingPolicy, BookingStatus, WaitlistEntry

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


# ---- what a candidate may book -----------------------------------------------------------------


def needs_accessible(application: Application) -> bool:
    """Candidates of the disability track get accessible seats."""
    return application.round.mode == Mode.DISABILITY or bool(application.disability_type)


def provisions_needed(application: Application) -> set[str]:
    """What the room must provide for the candidate's approved accommodations."""
    return set(other_accommodations(application))


def _rooms_for(sitting_id: int, accessible: bool, provisions: set[str]) -> list[SittingRoom]:
    rows = db.session.scalars(
        select(SittingRoom)
        .join(Room, Room.id == SittingRoom.room_id)
        .join(Venue, Venue.id == Room.venue_id)
        .where(SittingRoom.sitting_id == sitting_id)
        .order_by(Venue.name_th, Room.code, SittingRoom.id)
    )
    return [
        sr
        for sr in rows
        if provisions <= set(sr.room.provides or []) and (sr.accessible_seats > 0 if accessible else True)
    ]


def _free_in(sr: SittingRoom, accessible: bool) -> int:
    if accessible:
        return sr.accessible_seats - sr.accessible_booked
    return sr.seats - sr.accessible_seats - sr.regular_booked


@dataclass(frozen=True)
class SittingChoice:
    sitting: Sitting
    free: int
    venues: list[str]


def sitting_choices(application: Application) -> list[SittingChoice]:
    """The round's coming sittings held in rooms that suit the candidate, with the seats free
    for them (accessible seats for the disability track), earliest first."""
    accessible, provisions = needs_accessible(application), provisions_needed(application)
    sittings = db.session.scalars(
        select(Sitting)
        .where(
            Sitting.round_id == application.round_id, Sitting.status == "scheduled", Sitting.starts_at > now()
        )
        .order_by(Sitting.starts_at, Sitting.id)
    )
    out = []
    for sitting in sittings:
        rooms = _rooms_for(sitting.id, accessible, provisions)
        if not rooms:
            continue
        venues = sorted({sr.room.venue.name_th for sr in rooms})
        out.append(SittingChoice(sitting, sum(_free_in(sr, accessible) for sr in rooms), venues))
    return out


def alternatives_for(application: Application, exclude: int | None = None) -> list[SittingChoice]:
    limit = current_app.config["BOOKING_ALTERNATIVES"]
    return [c for c in sitting_choices(application) if c.free > 0 and c.sitting.id != exclude][:limit]


def booking_of(application: Application) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.application_id == application.id))


def waitlist_entry(application: Application, sitting_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.application_id == application.id, WaitlistEntry.sitting_id == sitting_id
        )
    )


def waiting_lists_of(application: Application) -> list[WaitlistEntry]:
    return list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.application_id == application.id, WaitlistEntry.status == "waiting")
            .order_by(WaitlistEntry.joined_at)
        )
    )


# ---- taking and freeing a seat (the race-safe part) -------------------------------------------


def _take_seat(sitting: Sitting, accessible: bool, provisions: set[str]) -> tuple[SittingRoom, int] | None:
    """Count the candidate into the first room with a free seat of their kind and give them its
    lowest free number. The counter's UPDATE is conditional (never past the seats) and keeps the
    room's row locked until commit, so the numbering of one room is serialized too; the unique
    (room, seat) is the database's backstop."""
    for sr in _rooms_for(sitting.id, accessible, provisions):
        if accessible:
            stmt = (
                update(SittingRoom)
                .where(SittingRoom.id == sr.id, SittingRoom.accessible_booked < SittingRoom.accessible_seats)
                .values(accessible_booked=SittingRoom.accessible_booked + 1)
            )
            numbers = range(1, sr.accessible_seats + 1)
        else:
            stmt = (
                update(SittingRoom)
                .where(
                    SittingRoom.id == sr.id,
                    SittingRoom.regular_booked < SittingRoom.seats - SittingRoom.accessible_seats,
                )
                .values(regular_booked=SittingRoom.regular_booked + 1)
            )
            numbers = range(sr.accessible_seats + 1, sr.seats + 1)
        if db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:
            continue
        taken = set(
            db.session.scalars(
                select(Booking.seat_no).where(Booking.sitting_room_id == sr.id, Booking.seat_no.is_not(None))
            )
        )
        seat_no = next((n for n in numbers if n not in taken), None)
        if seat_no is None:  # the counter and the seats disagree: refuse rather than overbook
            raise NotAllowed(_("The seats of this room are inconsistent; HR has been told."))
        return sr, seat_no
    return None


def _free_seat(booking: Booking) -> None:
    """Give the booking's seat back to its room (counter and number) in the caller's transaction."""
    if booking.sitting_room_id is None:
        return
    column = SittingRoom.accessible_booked if booking.accessible else SittingRoom.regular_booked
    db.session.execute(
        update(SittingRoom)
        .where(SittingRoom.id == booking.sitting_room_id)
        .values({column: column - 1})
        .execution_options(synchronize_session=False)
    )
    booking.sitting_room_id = None
    booking.seat_no = None


def _exam_seat(booking: Booking) -> None:
    """The confirmed booking's exam seat (room code and number), with the approved
    accommodations, for the ticket, the check-in and the test."""
    sr = db.session.get(SittingRoom, booking.sitting_room_id)
    seat = Seat(
        sitting_id=booking.sitting_id,
        candidate_id=booking.candidate_id,
        application_id=booking.application_id,
        room=sr.room.code[:40],
        seat_number=str(booking.seat_no),
        **approved_accommodations(booking.application),
    )
    db.session.add(seat)
    db.session.flush()
    booking.seat_id = seat.id


def _drop_exam_seat(booking: Booking) -> None:
    if booking.seat_id is None:
        return
    seat = db.session.get(Seat, booking.seat_id)
    if seat is not None:
        if seat.checked_in_at is not None or seat.attempt is not None:
            raise NotAllowed(_("The candidate has already checked in to this sitting."))
        booking.seat_id = None
        db.session.flush()
        db.session.delete(seat)
    booking.seat_id = None


def _place(booking: Booking) -> dict:
    sr = db.session.get(SittingRoom, booking.sitting_room_id) if booking.sitting_room_id else None
    return {
        "sitting": booking.sitting_id,
        "room": sr.room_id if sr else None,
        "seat": booking.seat_no,
        "status": booking.status,
    }


def _write(
    application: Application,
    sitting: Sitting,
    sr: SittingRoom,
    seat_no: int,
    accessible: bool,
    status: str,
    hold_reason: str,
    held_until: datetime | None,
) -> Booking:
    """Store the seat on the application's booking row (made on its first booking). Two requests
    of one candidate at once: the row's unique application, or the conditional UPDATE of a
    released row, lets only one through."""
    existing = booking_of(application)
    values = dict(
        sitting_id=sitting.id,
        sitting_room_id=sr.id,
        seat_no=seat_no,
        accessible=accessible,
        status=status,
        hold_reason=hold_reason,
        held_until=held_until,
        updated_at=now(),
    )
    try:
        if existing is None:
            booking = Booking(
                application_id=application.id,
                candidate_id=application.candidate_id,
                created_at=now(),
                **values,
            )
            db.session.add(booking)
            db.session.flush()
            return booking
        done = db.session.execute(
            update(Booking)
            .where(
                Booking.id == existing.id,
                Booking.status.in_((BookingStatus.RELEASED, BookingStatus.CANCELLED)),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("You already have a seat in this round.")) from None
    if not done:
        db.session.rollback()
        raise NotAllowed(_("You already have a seat in this round."))
    db.session.refresh(existing)
    return existing


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


def book(application: Application, actor, sitting: Sitting | None) -> Booking:
    """The candidate books a seat in `sitting`: confirmed at once when the fee is paid (or there
    is none), else held until the hold's deadline. SittingFull names the next sittings with seats."""
    _own(application, actor)
    refusal = booking_refusal(application)
    if refusal is not None:
        raise refusal
    sitting = _bookable_sitting(application, sitting)
    current = booking_of(application)
    if current is not None and current.active:
        raise NotAllowed(_("You already have a seat in this round: move it instead."))
    accessible = needs_accessible(application)
    got = _take_seat(sitting, accessible, provisions_needed(application))
    if got is None:
        db.session.rollback()
        raise SittingFull(
            _("This sitting is full. Choose another sitting, or join its waiting list."),
            alternatives_for(application, exclude=sitting.id),
        )
    sr, seat_no = got
    status, reason, until = _status_for(application, policy_of(application.round_id))
    booking = _write(application, sitting, sr, seat_no, accessible, status, reason, until)
    if status == BookingStatus.CONFIRMED:
        _exam_seat(booking)
    _leave_waitlist(application)
    record("booking.book", booking, actor=actor, after=_place(booking) | {"held_until": until})
    _tell(booking, "booked")
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
    before = _place(booking)
    old_sitting = booking.sitting
    got = _take_seat(sitting, booking.accessible, provisions_needed(application))
    if got is None:
        db.session.rollback()
        raise SittingFull(
            _("This sitting is full. Choose another sitting, or join its waiting list."),
            alternatives_for(application, exclude=sitting.id),
        )
    _drop_exam_seat(booking)
    _free_seat(booking)
    booking.sitting_id, booking.sitting_room_id, booking.seat_no = sitting.id, got[0].id, got[1]
    booking.moves, booking.updated_at = booking.moves + 1, now()
    db.session.flush()
    db.session.expire(booking, ["sitting", "sitting_room"])
    if booking.status == BookingStatus.CONFIRMED:
        _exam_seat(booking)
    record(
        "booking.move",
        booking,
        actor=actor,
        before=before,
        after=_place(booking) | {"reason": reason, "by_hr": by_hr},
    )
    _tell(booking, "moved_by_hr" if by_hr else "moved", reason=reason)
    _offer_to_waitlist(old_sitting)
    db.session.commit()
    return booking


def cancel(application: Application, actor) -> Booking:
    _own(application, actor)
    booking = booking_of(application)
    _change_refusal(booking)
    before = _place(booking)
    sitting = booking.sitting
    _drop_exam_seat(booking)
    _free_seat(booking)
    booking.status, booking.held_until, booking.hold_reason, booking.updated_at = (
        BookingStatus.CANCELLED,
        None,
        "",
        now(),
    )
    db.session.flush()
    record("booking.cancel", booking, actor=actor, before=before, after={"status": booking.status})
    _tell(booking, "cancelled")
    _offer_to_waitlist(sitting)
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
    _exam_seat(booking)
    record("booking.confirm", booking, actor=actor, after=_place(booking))
    _tell(booking, "confirmed")


@payments.payment_received.connect
def confirm_paid_holds(payment, **_extra) -> None:
    """A payment confirms the seat it was holding (in the payment's transaction)."""
    booking = booking_of(payment.application)
    if booking is not None and booking.status == BookingStatus.HELD:
        _confirm(booking, None)


# ---- waiting lists --------------------------------------------------------------------------------


def join_waitlist(application: Application, actor, sitting: Sitting | None) -> WaitlistEntry:
    _own(application, actor)
    refusal = booking_refusal(application)
    if refusal is not None:
        raise refusal
    sitting = _bookable_sitting(application, sitting)
    current = booking_of(application)
    if current is not None and current.active:
        raise NotAllowed(_("You already have a seat in this round."))
    entry = waitlist_entry(application, sitting.id)
    if entry is not None and entry.status == "waiting":
        return entry
    if entry is None:
        entry = WaitlistEntry(sitting_id=sitting.id, application_id=application.id)
        db.session.add(entry)
    entry.status, entry.joined_at, entry.offered_at = "waiting", now(), None
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("You are already on this waiting list.")) from None
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


def _offer_to_waitlist(sitting: Sitting) -> Booking | None:
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
        got = _take_seat(sitting, accessible, provisions_needed(application))
        if got is None:
            continue
        until = now() + timedelta(hours=current_app.config["BOOKING_OFFER_HOURS"])
        booking = _write(application, sitting, got[0], got[1], accessible, BookingStatus.HELD, "offer", until)
        entry.status, entry.offered_at = "offered", now()
        _leave_waitlist(application)
        record(
            "booking.offer",
            booking,
            actor=None,
            after=_place(booking) | {"held_until": until, "waitlist_entry": entry.id},
        )
        _tell(booking, "offered")
        return booking
    return None


# ---- holds that lapse ----------------------------------------------------------------------------


def release_expired_holds(at: datetime | None = None, limit: int = 200) -> dict:
    """The scheduler's `hold-expiry` job: release every hold past its deadline (one transaction
    each; a conditional UPDATE, so two schedulers overlapping in a take-over release it once),
    tell the candidate, and offer the seat to the sitting's waiting list."""
    at = at or now()
    ids = list(
        db.session.scalars(
            select(Booking.id)
            .where(Booking.status == BookingStatus.HELD, Booking.held_until <= at)
            .order_by(Booking.held_until)
            .limit(limit)
        )
    )
    released = offered = 0
    for booking_id in ids:
        booking = db.session.get(Booking, booking_id)
        before = _place(booking) | {"held_until": booking.held_until, "hold_reason": booking.hold_reason}
        room_id, accessible = booking.sitting_room_id, booking.accessible
        done = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == BookingStatus.HELD, Booking.held_until <= at)
            .values(
                status=BookingStatus.RELEASED,
                sitting_room_id=None,
                seat_no=None,
                held_until=None,
                updated_at=at,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not done:
            db.session.rollback()
            continue
        column = SittingRoom.accessible_booked if accessible else SittingRoom.regular_booked
        db.session.execute(
            update(SittingRoom)
            .where(SittingRoom.id == room_id)
            .values({column: column - 1})
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(booking)
        record(
            "booking.release", booking, actor=None, before=before, after={"status": BookingStatus.RELEASED}
        )
        _tell(booking, "released", held_until=before["held_until"])
        if _offer_to_waitlist(booking.sitting) is not None:
            offered += 1
        db.session.commit()
        released += 1
    return {"released": released, "offered": offered, "withdrawn": release_seats_of_withdrawn(at)}


def release_seats_of_withdrawn(at: datetime | None = None, limit: int = 200) -> int:
    """Seats of applications withdrawn or rejected since they booked go back to their sittings
    (and to the waiting lists): applications cannot call booking, so the job looks for them."""
    at = at or now()
    ids = list(
        db.session.scalars(
            select(Booking.id)
            .join(Application, Application.id == Booking.application_id)
            .where(
                Booking.status.in_(BookingStatus.ACTIVE),
                Application.status.in_((ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED)),
            )
            .limit(limit)
        )
    )
    done = 0
    for booking_id in ids:
        booking = db.session.get(Booking, booking_id)
        before = _place(booking)
        sitting = booking.sitting
        try:
            _drop_exam_seat(booking)
        except NotAllowed:  # checked in already: the seat is theirs on the day, whatever happened
            db.session.rollback()
            continue
        _free_seat(booking)
        booking.status, booking.held_until, booking.hold_reason, booking.updated_at = (
            BookingStatus.CANCELLED,
            None,
            "",
            at,
        )
        db.session.flush()
        record(
            "booking.release",
            booking,
            actor=None,
            before=before,
            after={"status": booking.status, "application_status": booking.application.status},
        )
        _offer_to_waitlist(sitting)
        db.session.commit()
        done += 1
    return done


# ---- telling the candidate --------------------------------------------------------------------------


def place_text(booking: Booking, locale: str = "th") -> str:
    """ "<sitting>, <date time>, <centre>, room <code>, seat <n>" for messages and pages."""
    sitting = booking.sitting
    sr = db.session.get(SittingRoom, booking.sitting_room_id) if booking.sitting_room_id else None
    where = ""
    if sr is not None:
        where = _(
            "%(venue)s, room %(room)s, seat %(seat)s",
            venue=sr.room.venue.name(locale),
            room=sr.room.code,
            seat=booking.seat_no,
        )
    return f"{sitting.title(locale)}, {format_datetime(sitting.starts_at, locale)}" + (
        f", {where}" if where else ""
    )


def _tell(booking: Booking, what: str, reason: str = "", held_until: datetime | None = None) -> None:
    user = booking.application.candidate
    if not user.email:
        return
    locale = user.locale or "th"
    with force_locale(locale):
        place = place_text(booking, locale) if booking.sitting_id else ""
        subjects = {
            "booked": _("Seat booked: %(number)s", number=booking.application.number),
            "confirmed": _("Seat confirmed: %(number)s", number=booking.application.number),
            "moved": _("Seat moved: %(number)s", number=booking.application.number),
            "moved_by_hr": _("HR moved your seat: %(number)s", number=booking.application.number),
            "cancelled": _("Seat cancelled: %(number)s", number=booking.application.number),
            "released": _("Your held seat was released: %(number)s", number=booking.application.number),
            "offered": _("A seat is offered to you: %(number)s", number=booking.application.number),
        }
        if what == "released":
            body = _(
                "The seat held for application %(number)s was not paid for by %(until)s and has been "
                "released to other candidates. You may book another seat while booking is open.",
                number=booking.application.number,
                until=format_datetime(held_until, locale),
            )
        elif what == "offered":
            body = _(
                "A seat came free in the sitting you were waiting for and is held for you until "
                "%(until)s: %(place)s. Confirm it on your application's booking page (pay the fee first "
                "if it is not yet paid), or it passes to the next candidate.",
                until=format_datetime(booking.held_until, locale),
                place=place,
            )
        elif what == "booked" and booking.status == BookingStatus.HELD:
            body = _(
                "Your seat is held until %(until)s: %(place)s. Pay the application fee by then, or the "
                "seat is released to other candidates.",
                until=format_datetime(booking.held_until, locale),
                place=place,
            )
        elif what == "cancelled":
            body = _(
                "Your seat for application %(number)s has been cancelled.", number=booking.application.number
            )
        elif what == "moved_by_hr":
            body = _("HR moved your seat to: %(place)s. Reason: %(reason)s", place=place, reason=reason)
        else:
            body = _("Your seat: %(place)s. Your admission ticket shows it.", place=place)
        subject = subjects[what]
    stamp = now().strftime("%Y%m%d%H%M%S%f")
    queue_email(
        to=user.email,
        subject=subject,
        body=body,
        dedupe_key=f"booking:{booking.id}:{what}:{stamp}",
        user_id=user.id,
    )


# ---- HR's view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SittingFill:
    sitting: Sitting
    seats: int
    booked: int
    held: int

    @property
    def fill_percent(self) -> int:
        return round(100 * self.booked / self.seats) if self.seats else 0


def fill_of_round(round_: Round) -> list[SittingFill]:
    from ..centres.services import capacity_of

    sittings = db.session.scalars(
        select(Sitting).where(Sitting.round_id == round_.id).order_by(Sitting.starts_at)
    )
    out = []
    for s in sittings:
        cap = capacity_of(s.id)
        held = len(
            list(
                db.session.scalars(
                    select(Booking.id).where(Booking.sitting_id == s.id, Booking.status == BookingStatus.HELD)
                )
            )
        )
        out.append(SittingFill(s, cap.seats, cap.booked, held))
    return out


def bookings_of_sitting(sitting: Sitting, actor) -> list[Booking]:
    need_hr_of_sitting(actor, sitting)
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.sitting_id == sitting.id, Booking.status.in_(BookingStatus.ACTIVE))
            .order_by(Booking.sitting_room_id, Booking.seat_no)
        )
    )


def get_booking(booking_id: int) -> Booking:
    return get_or_not_found(Booking, booking_id, _("No such booking."))


def venue_of_seat(seat: Seat) -> str:
    """The centre (name and address) of a booked exam seat, for the admission ticket."""
    booking = db.session.scalar(select(Booking).where(Booking.seat_id == seat.id))
    if booking is None or booking.sitting_room_id is None:
        return ""
    venue = db.session.get(SittingRoom, booking.sitting_room_id).room.venue
    return venue.name_th + (f" ({venue.address_th})" if venue.address_th else "")


@seat_venue.connect
def _venue_for_ticket(seat, **_extra) -> str:
    return venue_of_seat(seat)


@seating_refusal.connect
def _no_hr_seating_in_booking_rounds(sitting, **_extra) -> str | None:
    if round_uses_booking(sitting.round_id):
        return _("Candidates of this round book their own seats: HR seating is off for it.")
    return None
