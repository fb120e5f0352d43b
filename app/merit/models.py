"""Merit lists (บัญชีผู้สอบแข่งขันได้), their entries, offers to candidates and list-use requests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum, nonmember

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class ListStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    ALL = nonmember((DRAFT, APPROVED, PUBLISHED, SUPERSEDED, CANCELLED))


class Track(StrEnum):
    GENERAL = "general"
    DISABILITY = "disability"
    SHORTAGE = "shortage"
    ALL = nonmember((GENERAL, DISABILITY, SHORTAGE))


class ListKind(StrEnum):
    """The lists a round publishes: who may sit, who passed to Part C, the final merit list."""

    ELIGIBLE = "eligible"
    PASSED_TO_PART_C = "passed_to_part_c"
    MERIT = "merit"
    ALL = nonmember((ELIGIBLE, PASSED_TO_PART_C, MERIT))


CONTENT_FORMAT_1 = "bma-recruit/merit-list/1"
CONTENT_FORMAT = "bma-recruit/merit-list/2"  # entries carry each score's source


class MeritList(db.Model):
    __tablename__ = "merit_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=ListKind.MERIT)
    track: Mapped[str] = mapped_column(String(20), default=Track.GENERAL)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default=ListStatus.DRAFT, index=True)
    title_th: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400), default="")
    # The rules the ranking used, printed on the list: e.g. ["part_b", "part_c"] and
    # ["total", "part_b", "application_number"].
    ranking_parts: Mapped[list] = mapped_column(JSON, default=list)
    tie_break: Mapped[list] = mapped_column(JSON, default=list)
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    # SHA-256 of the canonical content (docs/merit-lists.md), fixed at publication.
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("merit_lists.id"))
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Withdrawal of a published list: requested (with the reason) by one HR user, confirmed by
    # a second; the confirmer is cancelled_by_id (database check: not the requester).
    withdrawal_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The canonical content's format the digest was taken with (docs/merit-lists.md): lists
    # published before score sources were hashed keep format 1 and stay verifiable.
    content_format: Mapped[str] = mapped_column(
        String(40), default=CONTENT_FORMAT, server_default=CONTENT_FORMAT_1
    )

    round = relationship("Round")
    entries: Mapped[list[MeritEntry]] = relationship(back_populates="merit_list", order_by="MeritEntry.rank")

    __table_args__ = (
        UniqueConstraint(
            "round_id", "kind", "track", "version", name="uq_merit_lists_round_kind_track_version"
        ),
        CheckConstraint(
            "status IN ('draft','approved','published','superseded','cancelled')", name="status_known"
        ),
        CheckConstraint("track IN ('general','disability','shortage')", name="track_known"),
        CheckConstraint("kind IN ('eligible','passed_to_part_c','merit')", name="kind_known"),
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> prepared_by_id", name="two_person_rule"),
        CheckConstraint(
            "cancelled_by_id IS NULL OR withdrawal_requested_by_id IS NULL "
            "OR cancelled_by_id <> withdrawal_requested_by_id",
            name="withdrawal_two_person_rule",
        ),
    )


class EntryStatus(StrEnum):
    AVAILABLE = "available"
    CALLED = "called"  # an offer is open
    APPOINTED = "appointed"
    WAIVED = "waived"
    LAPSED = "lapsed"
    ALL = nonmember((AVAILABLE, CALLED, APPOINTED, WAIVED, LAPSED))


class MeritEntry(db.Model):
    __tablename__ = "merit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Queries by list use uq_merit_entries_list_rank (list_id leads it): no index of its own.
    list_id: Mapped[int] = mapped_column(ForeignKey("merit_lists.id"))
    rank: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    # The application's candidate, copied when the list is generated (store_entries) so that
    # "my places on lists" and offers find a person's entries by index. No foreign key: the
    # application's own keys already guarantee it, and a second per-row check would cost
    # PostgreSQL about as much again as the rest of storing a 100,000-entry list
    # (docs/performance.md).
    candidate_id: Mapped[int] = mapped_column(Integer, index=True)
    total: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # {"part_b": "150.00", "part_c": "80.00", ...} as ranked
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    # Where each score came from, as ranked: {"part_b": "import:csv:…", "part_c": "interview:12"}
    # (format 2 of the canonical content; null on entries of lists made before it).
    sources: Mapped[dict | None] = mapped_column(JSON)
    # Why this entry sits above the next one: "total", "part_b", "application_number", "" (last).
    decided_by: Mapped[str] = mapped_column(String(40), default="")
    # Use of the list (not part of the published content): who has been called, appointed, ...
    # Always read with the list or the entry id, so no index of its own.
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.AVAILABLE)

    merit_list: Mapped[MeritList] = relationship(back_populates="entries")
    application = relationship("Application")
    candidate = relationship("User", primaryjoin="foreign(MeritEntry.candidate_id) == User.id")

    __table_args__ = (
        UniqueConstraint("list_id", "rank", name="uq_merit_entries_list_rank"),
        UniqueConstraint("list_id", "application_id", name="uq_merit_entries_list_application"),
        CheckConstraint(
            "status IN ('available','called','appointed','waived','lapsed')", name="status_known"
        ),
    )


class ListUseRequest(db.Model):
    """Another agency asks to hire from a published list (การขอใช้บัญชี)."""

    __tablename__ = "list_use_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("merit_lists.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    vacancies: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    merit_list: Mapped[MeritList] = relationship()
    agency = relationship("Agency")
    position = relationship("Position")

    __table_args__ = (
        CheckConstraint("vacancies > 0", name="vacancies_positive"),
        CheckConstraint("status IN ('pending','approved','rejected')", name="status_known"),
    )


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WAIVED = "waived"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"  # the list it came from was withdrawn before the candidate reported
    ALL = nonmember((PENDING, ACCEPTED, WAIVED, LAPSED, WITHDRAWN))


class Offer(db.Model):
    """A call of one candidate from a list, by the owner or by an approved list user."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("merit_entries.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    list_use_id: Mapped[int | None] = mapped_column(ForeignKey("list_use_requests.id"))
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.PENDING, index=True)
    called_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    report_by: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What the candidate must bring when accepting, e.g. ["degree", "medical_certificate"].
    documents_required: Mapped[list] = mapped_column(JSON, default=list)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[MeritEntry] = relationship()
    agency = relationship("Agency")
    position = relationship("Position")

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','accepted','waived','lapsed','withdrawn')", name="status_known"
        ),
    )
