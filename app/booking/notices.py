"""Telling a candidate about their seat: the place as one line, and the email for each change."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from ..centres.models import SittingRoom
from ..common.clock import now
from ..common.thai import format_datetime
from ..extensions import db
from ..notifications.services import queue_email
from .models import Booking, BookingStatus


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


def tell(booking: Booking, what: str, reason: str = "", held_until: datetime | None = None) -> None:
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
