"""Test centres: HR keeps its agency's venues and rooms, and attaches rooms to sittings; a
sitting's capacity is the sum of its rooms' seats. Counters are changed by seat booking only."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..common.access import need_hr_of, need_hr_of_sitting
from ..common.clock import now
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..common.integrity import flush_or_refuse
from ..common.lookup import get_or_not_found
from ..exams.models import Sitting
from ..extensions import db
from ..recruitment.models import Accommodation
from .models import Room, SittingRoom, Venue

# What a room can provide beyond a seat: the accommodations a seat's software cannot give.
ROOM_PROVIDES = (Accommodation.SCREEN_READER, Accommodation.ASSISTANT)
MAX_SEATS = 2000


def venues_of(agency_id: int) -> list[Venue]:
    return list(db.session.scalars(select(Venue).where(Venue.agency_id == agency_id).order_by(Venue.name_th)))


def get_venue(venue_id: int, actor) -> Venue:
    venue = get_or_not_found(Venue, venue_id, _("No such test centre."))
    need_hr_of(actor, venue.agency_id)
    return venue


def add_venue(actor, name_th: str, name_en: str = "", address_th: str = "") -> Venue:
    need_hr_of(actor, getattr(actor, "agency_id", None))
    name_th = (name_th or "").strip()
    if not name_th or len(name_th) > 200:
        raise ValidationFailed(_("Give the centre's Thai name (at most 200 characters)."), "name_th")
    venue = Venue(
        agency_id=actor.agency_id,
        name_th=name_th,
        name_en=(name_en or "").strip()[:200],
        address_th=(address_th or "").strip()[:2000],
        created_at=now(),
    )
    db.session.add(venue)
    flush_or_refuse(ValidationFailed(_("Your agency already has a centre of this name."), "name_th"))
    record("venue.add", venue, actor=actor, after={"name_th": venue.name_th})
    db.session.commit()
    return venue


def add_room(
    venue: Venue,
    actor,
    *,
    code: str,
    seats: int | None,
    accessible_seats: int | None = 0,
    computers: bool = False,
    provides: list[str] | None = None,
) -> Room:
    need_hr_of(actor, venue.agency_id)
    code = (code or "").strip()
    if not code or len(code) > 40:
        raise ValidationFailed(_("Give the room's name or number (at most 40 characters)."), "code")
    if seats is None or not 1 <= seats <= MAX_SEATS:
        raise ValidationFailed(_("A room has from 1 to %(max)s seats.", max=MAX_SEATS), "seats")
    accessible_seats = accessible_seats or 0
    if not 0 <= accessible_seats <= seats:
        raise ValidationFailed(_("Accessible seats are from 0 to the room's seats."), "accessible_seats")
    provides = sorted(set(provides or []))
    if any(p not in ROOM_PROVIDES for p in provides):
        raise ValidationFailed(_("Choose what the room provides from the list."), "provides")
    room = Room(
        venue_id=venue.id,
        code=code,
        seats=seats,
        accessible_seats=accessible_seats,
        computers=bool(computers),
        provides=provides,
        created_at=now(),
    )
    db.session.add(room)
    flush_or_refuse(ValidationFailed(_("This centre already has a room %(code)s.", code=code), "code"))
    record(
        "room.add",
        room,
        actor=actor,
        after={
            "venue": venue.id,
            "code": code,
            "seats": seats,
            "accessible_seats": accessible_seats,
            "computers": room.computers,
            "provides": provides,
        },
    )
    db.session.commit()
    return room


# ---- rooms of sittings ---------------------------------------------------------------------------


def rooms_of_sitting(sitting_id: int) -> list[SittingRoom]:
    return list(
        db.session.scalars(
            select(SittingRoom)
            .join(Room, Room.id == SittingRoom.room_id)
            .join(Venue, Venue.id == Room.venue_id)
            .where(SittingRoom.sitting_id == sitting_id)
            .order_by(Venue.name_th, Room.code)
        )
    )


def free_rooms_for(sitting: Sitting) -> list[Room]:
    """The agency's rooms not yet attached to the sitting (an online Part A needs computers)."""
    attached = select(SittingRoom.room_id).where(SittingRoom.sitting_id == sitting.id)
    query = (
        select(Room)
        .join(Venue, Venue.id == Room.venue_id)
        .where(Venue.agency_id == sitting.agency_id, Room.id.not_in(attached))
        .order_by(Venue.name_th, Room.code)
    )
    if sitting.exam.is_part_a:
        query = query.where(Room.computers.is_(True))
    return list(db.session.scalars(query))


def attach_room(sitting: Sitting, actor, room: Room | None) -> SittingRoom:
    """The sitting takes place (also) in `room`: its seats are added to the sitting's capacity."""
    need_hr_of_sitting(actor, sitting)
    if sitting.status == "ended":
        raise NotAllowed(_("This sitting has ended."))
    if room is None or room.venue.agency_id != sitting.agency_id:
        raise ValidationFailed(_("Choose one of your agency's rooms."), "room_id")
    if sitting.exam.is_part_a and not room.computers:
        raise ValidationFailed(_("The online Part A needs a room with a computer at every seat."), "room_id")
    link = SittingRoom(
        sitting_id=sitting.id,
        room_id=room.id,
        seats=room.seats,
        accessible_seats=room.accessible_seats,
        attached_by_id=actor.id,
        attached_at=now(),
    )
    db.session.add(link)
    flush_or_refuse(NotAllowed(_("This room is already part of the sitting.")))
    record("sitting.room_attach", sitting, actor=actor, after={"room": room.id, "seats": room.seats})
    db.session.commit()
    return link


def detach_room(sitting: Sitting, actor, sitting_room_id: int) -> None:
    need_hr_of_sitting(actor, sitting)
    link = db.session.get(SittingRoom, sitting_room_id)
    if link is None or link.sitting_id != sitting.id:
        raise NotFound(_("This room is not part of the sitting."))
    if link.booked:
        raise NotAllowed(_("Candidates have seats in this room: move them first."))
    db.session.delete(link)
    record("sitting.room_detach", sitting, actor=actor, before={"room": link.room_id})
    db.session.commit()


@dataclass(frozen=True)
class Capacity:
    seats: int
    accessible_seats: int
    booked: int
    accessible_booked: int

    @property
    def free(self) -> int:
        return self.seats - self.booked

    @property
    def fill_percent(self) -> int:
        return round(100 * self.booked / self.seats) if self.seats else 0


def capacity_of(sitting_id: int) -> Capacity:
    """A sitting's capacity: the sum of its rooms' seats, and how many are booked."""
    row = db.session.execute(
        select(
            func.coalesce(func.sum(SittingRoom.seats), 0),
            func.coalesce(func.sum(SittingRoom.accessible_seats), 0),
            func.coalesce(func.sum(SittingRoom.regular_booked + SittingRoom.accessible_booked), 0),
            func.coalesce(func.sum(SittingRoom.accessible_booked), 0),
        ).where(SittingRoom.sitting_id == sitting_id)
    ).one()
    return Capacity(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def fill_by_venue(sitting_ids: list[int]) -> list[tuple[Venue, Capacity]]:
    """Fill rates per centre over the given sittings."""
    if not sitting_ids:
        return []
    rows = db.session.execute(
        select(
            Venue,
            func.sum(SittingRoom.seats),
            func.sum(SittingRoom.accessible_seats),
            func.sum(SittingRoom.regular_booked + SittingRoom.accessible_booked),
            func.sum(SittingRoom.accessible_booked),
        )
        .join(Room, Room.venue_id == Venue.id)
        .join(SittingRoom, SittingRoom.room_id == Room.id)
        .where(SittingRoom.sitting_id.in_(sitting_ids))
        .group_by(Venue.id)
        .order_by(Venue.name_th)
    ).all()
    return [(r[0], Capacity(int(r[1]), int(r[2]), int(r[3]), int(r[4]))) for r in rows]
