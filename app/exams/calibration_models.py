"""What item calibration and parallel-form assembly store: calibration runs with each item
version's parameters, enemy items, the forms assembled for an exam, and candidates' scores
equated to the reference form (docs/psychometrics.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
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


class CalibrationRun(db.Model):
    """One calibration of a bank: the data it saw (the submitted attempts, and a hash of their
    scored responses), the model, the library and its version and the seed, so that it can be
    run again and give the same parameters."""

    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), index=True)
    model: Mapped[str] = mapped_column(String(10))  # rasch | 2pl
    library: Mapped[str] = mapped_column(String(40))
    library_version: Mapped[str] = mapped_column(String(40))
    seed: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the sorted (attempt, item version, right/wrong) triples: the data snapshot.
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    attempt_ids: Mapped[list] = mapped_column(JSON)
    responses: Mapped[int] = mapped_column(Integer)
    candidates: Mapped[int] = mapped_column(Integer)
    min_responses: Mapped[int] = mapped_column(Integer)
    converged: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    items: Mapped[list[ItemCalibration]] = relationship(back_populates="run", order_by="ItemCalibration.id")

    __table_args__ = (CheckConstraint("model IN ('rasch','2pl')", name="model_known"),)


class ItemCalibration(db.Model):
    """One item version's parameters in a run. An item version with too few responses is
    listed with its count and no parameters: it keeps its author's band."""

    __tablename__ = "item_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    facility: Mapped[float | None] = mapped_column(Float)
    discrimination: Mapped[float | None] = mapped_column(Float)  # a (1 under Rasch)
    difficulty: Mapped[float | None] = mapped_column(Float)  # b, logits
    # Mean-square fit of the item to the model (1 is perfect): outfit weighs every candidate
    # alike, infit weighs those near the item's difficulty.
    infit: Mapped[float | None] = mapped_column(Float)
    outfit: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))  # calibrated | too_few

    run: Mapped[CalibrationRun] = relationship(back_populates="items")

    __table_args__ = (
        UniqueConstraint("run_id", "version_id", name="uq_item_calibrations_run_version"),
        CheckConstraint("status IN ('calibrated','too_few')", name="status_known"),
        CheckConstraint("n >= 0", name="n_non_negative"),
    )


class ItemEnemy(db.Model):
    """Two items of a bank that give each other away: never on the same form. Stored with the
    smaller code first, from the items' `enemies` in the bank files."""

    __tablename__ = "item_enemies"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), index=True)
    code_a: Mapped[str] = mapped_column(String(40))
    code_b: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("bank", "code_a", "code_b", name="uq_item_enemies_pair"),
        CheckConstraint("code_a < code_b", name="ordered"),
    )


class FormSet(db.Model):
    """Parallel forms of an exam assembled by the solver from a calibration: each form the item
    versions it holds per section; candidates are given one of them. The newest set is the
    exam's current one."""

    __tablename__ = "form_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id"))
    # [[{"version_id": 12, "section": "analytical"}, ...], ...]: one list per form
    forms: Mapped[list] = mapped_column(JSON)
    # What the solver was asked: thetas, target expected scores, tolerance, exposure, enemies.
    constraints: Mapped[dict] = mapped_column(JSON)
    solver: Mapped[str] = mapped_column(String(40))
    solver_version: Mapped[str] = mapped_column(String(40))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    run: Mapped[CalibrationRun] = relationship()


class EquatedScore(db.Model):
    """A submitted attempt's raw score equated to the reference form of its exam (IRT true-score
    equating) with one calibration: the raw score is kept on the attempt and here; the newest
    row (highest calibration run) of an attempt is its current equated score."""

    __tablename__ = "equated_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id"))
    form_set_id: Mapped[int] = mapped_column(ForeignKey("form_sets.id"))  # its form 1 is the reference
    raw: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    equated: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    theta: Mapped[float | None] = mapped_column(Float)  # None at 0 and the full score
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    run: Mapped[CalibrationRun] = relationship()

    __table_args__ = (
        UniqueConstraint("attempt_id", "run_id", "form_set_id", name="uq_equated_scores_attempt_run_set"),
        CheckConstraint("equated >= 0 AND equated <= max_score", name="equated_range"),
    )
