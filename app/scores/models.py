"""One score per application and stage (Part A, B, C, qualifications review)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum, nonmember

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class ScoreSource(StrEnum):
    EXAM = "exam"  # an online Part A attempt
    CERTIFICATE = "certificate"  # a valid Part A certificate from an earlier sitting
    INTERVIEW = "interview"  # a finalized Part C panel score
    HR_ENTRY = "hr_entry"  # typed in by HR (e.g. a paper Part B held elsewhere)
    IMPORT = "import"  # a CSV import by HR
    # A score changed after it was recorded, with a reason (ScoreCorrection keeps before/after
    # and the original source; the attempt or interview it came from is left as it was).
    CORRECTION = "correction"
    ALL = nonmember((EXAM, CERTIFICATE, INTERVIEW, HR_ENTRY, IMPORT, CORRECTION))


class StageScore(db.Model):
    __tablename__ = "stage_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    stage_kind: Mapped[str] = mapped_column(String(20))
    # On the stage's own scale (RoundStage.max_score); a certificate may carry no score.
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    passed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(60), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    application = relationship("Application")
    entered_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("application_id", "stage_kind", name="uq_stage_scores_app_stage"),
        CheckConstraint("stage_kind IN ('part_a','part_b','part_c','qualifications')", name="stage_known"),
        CheckConstraint(
            "source IN ('exam','certificate','interview','hr_entry','import','correction')",
            name="source_known",
        ),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= max_score)", name="score_range"),
    )


class ScoreCorrection(db.Model):
    """A change of a recorded stage score: who, when, before → after, why, and the source the
    score had before (its exam attempt, interview or file is not rewritten)."""

    __tablename__ = "score_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_score_id: Mapped[int] = mapped_column(ForeignKey("stage_scores.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    stage_kind: Mapped[str] = mapped_column(String(20))
    score_before: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    score_after: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    passed_before: Mapped[bool] = mapped_column()
    passed_after: Mapped[bool] = mapped_column()
    source_before: Mapped[str] = mapped_column(String(20))
    source_ref_before: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text)
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    application = relationship("Application")
    corrected_by = relationship("User")

    __table_args__ = (CheckConstraint("reason <> ''", name="reason_given"),)
