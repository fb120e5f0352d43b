"""Taking and freeing a seat, the race-safe part: a conditional UPDATE of the room's counter (never
past its seats), the lowest free number, the exam seat a confirmed booking gets."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application
from ..centres.models import SittingRoom
from ..common.clock import now
from ..common.errors import NotAllowed
from ..exams.models import Seat, Sitting
from ..exams.sittings import approved_accommodations
from ..extensions import db
from .availability import (
    booking_of,
    rooms_for,
)
from .models import Booking, BookingStatus


def take_seat(sitting: Sitting, accessible: bool, provisions: set[str]) -> tuple[SittingRoom, int] | None:
    """Count the candidate into the first room with a free seat of their kind and give them its
    lowest free number. The counter's UPDATE is conditional (never past the seats) and keeps the
    room's row locked until commit, so the numbering of one room is serialized too; the unique
    (room, seat) is the database's backstop."""
    for sr in rooms_for(sitting.id, accessible, provisions):
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


def free_seat(booking: Booking) -> None:
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


def add_exam_seat(booking: Booking) -> None:
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


def drop_exam_seat(booking: Booking) -> None:
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


def place_record(booking: Booking) -> dict:
    sr = db.session.get(SittingRoom, booking.sitting_room_id) if booking.sitting_room_id else None
    return {
        "sitting": booking.sitting_id,
        "room": sr.room_id if sr else None,
        "seat": booking.seat_no,
        "status": booking.status,
    }


def write_booking(
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
