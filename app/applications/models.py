"""Applications to recruitment rounds, their accommodation requests and documents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, nonmember

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ALL = nonmember((SUBMITTED, APPROVED, REJECTED, WITHDRAWN))


class AccommodationStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    ADJUSTED = "adjusted"
    DENIED = "denied"
    ALL = nonmember((REQUESTED, APPROVED, ADJUSTED, DENIED))


class DocumentKind(StrEnum):
    ID_CARD = "id_card"
    TRANSCRIPT = "transcript"
    DEGREE = "degree"
    DISABILITY_CARD = "disability_card"
    SERVICE_RECORD = "service_record"
    PHOTO = "photo"
    OTHER = "other"
    ALL = nonmember((ID_CARD, TRANSCRIPT, DEGREE, DISABILITY_CARD, SERVICE_RECORD, PHOTO, OTHER))


class Application(db.Model):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.SUBMITTED)
    # The candidate's qualifications and the eligibility verdict as they were when applying.
    qualifications: Mapped[dict] = mapped_column(JSON, default=dict)
    eligibility: Mapped[list] = mapped_column(JSON, default=list)
    disability_type: Mapped[str] = mapped_column(String(50), default="")
    disability_card_no: Mapped[str] = mapped_column(String(30), default="")
    shortage_degree: Mapped[str] = mapped_column(String(200), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round = relationship("Round")
    candidate = relationship("User", foreign_keys=[candidate_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    accommodations: Mapped[list[AccommodationRequest]] = relationship(
        back_populates="application", cascade="all, delete-orphan", lazy="selectin"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", order_by="Document.uploaded_at"
    )

    __table_args__ = (
        UniqueConstraint("round_id", "candidate_id", name="uq_applications_round_candidate"),
        CheckConstraint("status IN ('submitted','approved','rejected','withdrawn')", name="status_known"),
    )


class AccommodationRequest(db.Model):
    __tablename__ = "accommodation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Only extra time has a value: a percentage of the test's duration.
    requested_value: Mapped[int | None] = mapped_column(Integer)
    approved_value: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=AccommodationStatus.REQUESTED)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="accommodations")

    __table_args__ = (
        UniqueConstraint("application_id", "kind", name="uq_accommodation_requests_app_kind"),
        CheckConstraint(
            "kind IN ('extra_time','large_text','high_contrast','screen_reader','assistant')",
            name="kind_known",
        ),
        CheckConstraint(
            "requested_value IS NULL OR (requested_value BETWEEN 0 AND 200)", name="requested_value_range"
        ),
        CheckConstraint(
            "approved_value IS NULL OR (approved_value BETWEEN 0 AND 200)", name="approved_value_range"
        ),
    )

    @property
    def effective(self) -> bool:
        return self.status in (AccommodationStatus.APPROVED, AccommodationStatus.ADJUSTED)


class Document(db.Model):
    """An uploaded file, stored outside static/ under a random name."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default=DocumentKind.OTHER)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    owner = relationship("User")
    application: Mapped[Application | None] = relationship(back_populates="documents")

    __table_args__ = (
        CheckConstraint(
            "content_type IN ('application/pdf','image/jpeg','image/png')", name="content_type_allowed"
        ),
    )
