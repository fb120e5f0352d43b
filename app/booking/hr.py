"""HR's view of booking: how full each sitting is, who booked which seat, and the centre an
admission ticket names."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..centres.models import SittingRoom
from ..common.access import need_hr_of_sitting
from ..common.lookup import get_or_not_found
from ..exams.candidate import seat_venue
from ..exams.models import Seat, Sitting
from ..exams.sittings import seating_refusal
from ..extensions import db
from ..recruitment.models import Round
from .models import Booking, BookingStatus
from .policy import round_uses_booking


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
