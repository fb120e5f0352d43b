"""What a candidate of a booking round may book: the sittings with a free seat of their kind
(accessible, with the provisions they need), their booking and their waiting lists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..applications.models import Application
from ..centres.models import Room, SittingRoom, Venue
from ..common.clock import now
from ..exams.models import Sitting
from ..exams.sittings import other_accommodations
from ..extensions import db
from ..recruitment.models import Mode
from .models import Booking, WaitlistEntry


def needs_accessible(application: Application) -> bool:
    """Candidates of the disability track get accessible seats."""
    return application.round.mode == Mode.DISABILITY or bool(application.disability_type)


def provisions_needed(application: Application) -> set[str]:
    """What the room must provide for the candidate's approved accommodations."""
    return set(other_accommodations(application))


def rooms_for(sitting_id: int, accessible: bool, provisions: set[str]) -> list[SittingRoom]:
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


def free_in(sr: SittingRoom, accessible: bool) -> int:
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
        rooms = rooms_for(sitting.id, accessible, provisions)
        if not rooms:
            continue
        venues = sorted({sr.room.venue.name_th for sr in rooms})
        out.append(SittingChoice(sitting, sum(free_in(sr, accessible) for sr in rooms), venues))
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
