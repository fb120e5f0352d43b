"""Test centres (venues), their rooms with seats, accessible seats and equipment, and the rooms a
sitting takes place in, each with the counters that keep its seats from being overbooked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class Venue(db.Model):
    """A test centre of an agency (a school, a district office's hall)."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    address_th: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    rooms: Mapped[list[Room]] = relationship(back_populates="venue", order_by="Room.code")

    __table_args__ = (UniqueConstraint("agency_id", "name_th", name="uq_venues_agency_name_th"),)

    def name(self, locale: str = "th") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_th


class Room(db.Model):
    """A room of a venue: its seats (numbered 1..seats, the first `accessible_seats` of them
    accessible), whether every seat has a computer (the online Part A), and the accommodations
    it can provide (screen reader, an assistant)."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int] = mapped_column(Integer)
    accessible_seats: Mapped[int] = mapped_column(Integer, default=0)
    computers: Mapped[bool] = mapped_column(Boolean, default=False)
    # Accommodation kinds the room provides (recruitment.models.Accommodation): screen_reader, assistant.
    provides: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    venue: Mapped[Venue] = relationship(back_populates="rooms")

    __table_args__ = (
        UniqueConstraint("venue_id", "code", name="uq_rooms_venue_code"),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("accessible_seats BETWEEN 0 AND seats", name="accessible_within_seats"),
    )


class SittingRoom(db.Model):
    """A room a sitting takes place in. The seats are copied when the room is attached (a later
    change of the room does not move booked candidates); the two counters are what booking
    increments with a conditional UPDATE, so they never pass the seats, whatever the concurrency."""

    __tablename__ = "sitting_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    accessible_seats: Mapped[int] = mapped_column(Integer, default=0)
    regular_booked: Mapped[int] = mapped_column(Integer, default=0)
    accessible_booked: Mapped[int] = mapped_column(Integer, default=0)
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    room: Mapped[Room] = relationship()
    sitting = relationship("Sitting")

    __table_args__ = (
        UniqueConstraint("sitting_id", "room_id", name="uq_sitting_rooms_sitting_room"),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("accessible_seats BETWEEN 0 AND seats", name="accessible_within_seats"),
        CheckConstraint(
            "regular_booked >= 0 AND regular_booked <= seats - accessible_seats",
            name="regular_within_capacity",
        ),
        CheckConstraint(
            "accessible_booked >= 0 AND accessible_booked <= accessible_seats",
            name="accessible_within_capacity",
        ),
    )

    @property
    def booked(self) -> int:
        return self.regular_booked + self.accessible_booked
