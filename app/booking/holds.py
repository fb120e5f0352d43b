"""Seats that lapse (run by the scheduler): unpaid holds past their deadline are released and
offered to the sitting's waiting list; seats of withdrawn applications are freed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..centres.models import SittingRoom
from ..common.clock import now
from ..common.errors import NotAllowed
from ..extensions import db
from .models import Booking, BookingStatus
from .notices import tell
from .seats import drop_exam_seat, free_seat, place_record
from .services import offer_to_waitlist


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
        before = place_record(booking) | {
            "held_until": booking.held_until,
            "hold_reason": booking.hold_reason,
        }
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
        tell(booking, "released", held_until=before["held_until"])
        if offer_to_waitlist(booking.sitting) is not None:
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
        before = place_record(booking)
        sitting = booking.sitting
        try:
            drop_exam_seat(booking)
        except NotAllowed:  # checked in already: the seat is theirs on the day, whatever happened
            db.session.rollback()
            continue
        free_seat(booking)
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
        offer_to_waitlist(sitting)
        db.session.commit()
        done += 1
    return done
