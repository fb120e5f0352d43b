"""Scholarship contracts (นักเรียนทุน), the placement rounds reserved for scholars, and the
reminders sent to HR about them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class ContractStatus:
    STUDYING = "studying"
    SERVING = "serving"  # appointed: the service obligation runs
    COMPLETED = "completed"  # served every year owed
    DEPARTED_EARLY = "departed_early"  # left before the end: flagged for the repayment rule
    ALL = (STUDYING, SERVING, COMPLETED, DEPARTED_EARLY)


class ScholarshipContract(db.Model):
    __tablename__ = "scholarship_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # เลขที่สัญญา
    # The agency the scholar will serve (its HR records and follows the contract).
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    national_id: Mapped[str] = mapped_column(String(13), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    first_name_th: Mapped[str] = mapped_column(String(100))
    last_name_th: Mapped[str] = mapped_column(String(100))
    first_name_en: Mapped[str] = mapped_column(String(100), default="")
    last_name_en: Mapped[str] = mapped_column(String(100), default="")
    field_of_study: Mapped[str] = mapped_column(String(200))
    degree: Mapped[str] = mapped_column(String(200), default="")
    institution: Mapped[str] = mapped_column(String(200))
    study_start: Mapped[date] = mapped_column(Date)
    expected_graduation: Mapped[date] = mapped_column(Date)
    years_funded: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    years_owed: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    status: Mapped[str] = mapped_column(String(20), default=ContractStatus.STUDYING)
    # Appointment: the agency actually served (the contract's, or another with a reason).
    appointed_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    appointed_on: Mapped[date | None] = mapped_column(Date)
    appointment_reason: Mapped[str] = mapped_column(Text, default="")
    placement_list_id: Mapped[int | None] = mapped_column(ForeignKey("merit_lists.id"))
    departed_on: Mapped[date | None] = mapped_column(Date)
    departure_reason: Mapped[str] = mapped_column(Text, default="")
    repayment_flagged: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    agency = relationship("Agency", foreign_keys=[agency_id])
    appointed_agency = relationship("Agency", foreign_keys=[appointed_agency_id])

    __table_args__ = (
        CheckConstraint("years_funded > 0", name="years_funded_positive"),
        CheckConstraint("years_owed >= 0", name="years_owed_non_negative"),
        CheckConstraint("expected_graduation > study_start", name="study_order"),
        CheckConstraint("status IN ('studying','serving','completed','departed_early')", name="status_known"),
        CheckConstraint("length(national_id) = 13", name="national_id_length"),
        CheckConstraint(
            "departed_on IS NULL OR appointed_on IS NULL OR departed_on >= appointed_on",
            name="departure_after_appointment",
        ),
    )

    def full_name(self, locale: str = "th") -> str:
        if locale == "en" and self.first_name_en:
            return f"{self.first_name_en} {self.last_name_en}".strip()
        return f"{self.first_name_th} {self.last_name_th}"


class PlacementRound(db.Model):
    """A recruitment round reserved for scholars: only contract holders may apply."""

    __tablename__ = "placement_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)

    round = relationship("Round")


class ScholarshipReminder(db.Model):
    """One reminder sent to HR about one contract for one reason and due date: the periodic job
    runs often, HR hears about each thing once."""

    __tablename__ = "scholarship_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("scholarship_contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint("contract_id", "kind", "due_on", name="uq_scholarship_reminders_once"),
    )
