"""Positions and recruitment rounds (ประกาศรับสมัคร) with their criteria and stages."""

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


class Mode(StrEnum):
    COMPETITIVE_EXAM = "competitive_exam"  # สอบแข่งขัน
    SELECTION_EXAM = "selection_exam"  # สอบคัดเลือก (internal)
    SELECTION = "selection"  # คัดเลือก
    SHORTAGE = "shortage"  # คัดเลือกในวุฒิที่ขาดแคลน
    DISABILITY = "disability"  # คัดเลือกคนพิการ
    ALL = nonmember((COMPETITIVE_EXAM, SELECTION_EXAM, SELECTION, SHORTAGE, DISABILITY))


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ALL = nonmember((DRAFT, OPEN, CLOSED, IN_PROGRESS, COMPLETED))


class StageKind(StrEnum):
    PART_A = "part_a"
    PART_B = "part_b"
    PART_C = "part_c"
    QUALIFICATIONS = "qualifications"
    ALL = nonmember((PART_A, PART_B, PART_C, QUALIFICATIONS))


class Accommodation(StrEnum):
    EXTRA_TIME = "extra_time"
    LARGE_TEXT = "large_text"
    HIGH_CONTRAST = "high_contrast"
    SCREEN_READER = "screen_reader"
    ASSISTANT = "assistant"
    ALL = nonmember((EXTRA_TIME, LARGE_TEXT, HIGH_CONTRAST, SCREEN_READER, ASSISTANT))


class Position(db.Model):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    title_th: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(100))  # e.g. ปฏิบัติการ / Operational
    qualifications_th: Mapped[str] = mapped_column(Text, default="")
    qualifications_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    agency = relationship("Agency")

    def title(self, locale: str = "th") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_th


class Round(db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=RoundStatus.DRAFT, index=True)
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vacancies: Mapped[int] = mapped_column(Integer, default=1)
    # Internal selection rounds: vacancies = floor(eligible_headcount * quota_percent / 100).
    quota_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    eligible_headcount: Mapped[int | None] = mapped_column(Integer)

    # Eligibility criteria; None / empty means "no requirement".
    min_education_level: Mapped[str | None] = mapped_column(String(20))
    fields_of_study: Mapped[list] = mapped_column(JSON, default=list)
    min_gpa: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    min_service_years: Mapped[int | None] = mapped_column(Integer)
    requires_disability_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    shortage_degrees: Mapped[list] = mapped_column(JSON, default=list)
    accommodations_offered: Mapped[list] = mapped_column(JSON, default=list)
    # Which Part A score ranks: "raw" (points on the candidate's own form) or "equated" (the raw
    # score on the reference form, IRT true-score equating; app/exams/equating.py). HR sets it.
    part_a_ranks: Mapped[str] = mapped_column(String(10), default="raw", server_default="raw")

    # Last application number handed out, incremented atomically (UPDATE … RETURNING).
    application_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    agency = relationship("Agency")
    position: Mapped[Position] = relationship()
    stages: Mapped[list[RoundStage]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="RoundStage.seq",
        lazy="selectin",
    )

    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("vacancies >= 0", name="vacancies_non_negative"),
        CheckConstraint(
            "mode IN ('competitive_exam','selection_exam','selection','shortage','disability')",
            name="mode_known",
        ),
        CheckConstraint("status IN ('draft','open','closed','in_progress','completed')", name="status_known"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"),
        CheckConstraint("part_a_ranks IN ('raw','equated')", name="part_a_ranks_known"),
    )

    def title(self, locale: str = "th") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_th

    def is_accepting(self, at: datetime | None = None) -> bool:
        at = at or now()
        return self.status == RoundStatus.OPEN and self.opens_at <= at < self.closes_at

    def stage(self, kind: str) -> RoundStage | None:
        return next((s for s in self.stages if s.kind == kind), None)


class RoundStage(db.Model):
    __tablename__ = "round_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("1"))
    pass_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("60"))
    # Ranking parts of the merit list (default Part B + Part C).
    counts_for_ranking: Mapped[bool] = mapped_column(Boolean, default=False)
    # The date HR announces the stage's results by (ประกาศผลภายในวันที่), a Bangkok date; shown
    # to candidates until the results are out. None: not announced.
    results_announced_on: Mapped[date | None] = mapped_column(Date)

    round: Mapped[Round] = relationship(back_populates="stages")

    __table_args__ = (
        UniqueConstraint("round_id", "kind", name="uq_round_stages_round_kind"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
        CheckConstraint("pass_percent >= 0 AND pass_percent <= 100", name="pass_percent_range"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
        CheckConstraint("kind IN ('part_a','part_b','part_c','qualifications')", name="kind_known"),
    )

    @property
    def pass_score(self) -> Decimal:
        return (self.max_score * self.pass_percent / Decimal(100)).quantize(Decimal("0.01"))
