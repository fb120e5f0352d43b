"""Seat booking: a round's booking window and cut-off, each application's booking (a numbered
seat in a room of a sitting, held or confirmed), and the waiting lists of full sittings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class BookingPolicy(db.Model):
    """A round whose candidates book their own seats: when, until when they may move or cancel,
    and how long an unpaid or offered seat is held."""

    __tablename__ = "booking_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change_cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hold_hours: Mapped[int] = mapped_column(Integer, default=48)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    round = relationship("Round")

    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("hold_hours BETWEEN 1 AND 720", name="hold_hours_range"),
    )


class BookingStatus:
    HELD = "held"  # the seat is kept until held_until (payment or a waiting-list offer)
    CONFIRMED = "confirmed"
    RELEASED = "released"  # a hold that lapsed
    CANCELLED = "cancelled"
    ACTIVE = (HELD, CONFIRMED)
    ALL = (HELD, CONFIRMED, RELEASED, CANCELLED)


class Booking(db.Model):
    """An application's seat (one per application; moving changes it, a new booking reuses it).
    An active booking holds a seat number unique in its sitting room; a released or cancelled one
    holds none, so the database itself refuses two candidates on one seat."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sittings.id"), index=True)
    sitting_room_id: Mapped[int | None] = mapped_column(ForeignKey("sitting_rooms.id"))
    seat_no: Mapped[int | None] = mapped_column(Integer)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.HELD, index=True)
    hold_reason: Mapped[str] = mapped_column(String(20), default="")  # payment | offer
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The exam seat made when the booking is confirmed (the ticket, check-in and test use it).
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"))
    moves: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    application = relationship("Application")
    sitting = relationship("Sitting")
    sitting_room = relationship("SittingRoom")

    __table_args__ = (
        UniqueConstraint("sitting_room_id", "seat_no", name="uq_bookings_sitting_room_seat"),
        CheckConstraint("status IN ('held','confirmed','released','cancelled')", name="status_known"),
        CheckConstraint(
            "(status IN ('held','confirmed')) = (sitting_room_id IS NOT NULL AND seat_no IS NOT NULL)",
            name="active_has_seat",
        ),
        CheckConstraint("status <> 'held' OR held_until IS NOT NULL", name="hold_has_deadline"),
        CheckConstraint("hold_reason IN ('','payment','offer')", name="hold_reason_known"),
    )

    @property
    def active(self) -> bool:
        return self.status in BookingStatus.ACTIVE


class WaitlistEntry(db.Model):
    """A candidate waiting for a seat in a full sitting; offered freed seats in joining order."""

    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application = relationship("Application")
    sitting = relationship("Sitting")

    __table_args__ = (
        UniqueConstraint("sitting_id", "application_id", name="uq_waitlist_entries_sitting_application"),
        CheckConstraint("status IN ('waiting','offered','left')", name="status_known"),
    )
