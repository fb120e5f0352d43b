"""Scores on one scale: each submitted attempt's raw score equated to the reference form of its
exam (IRT true-score equating, Kolen & Brennan 2014, ch. 6) with the bank's latest calibration,
stored beside the raw score, which is kept (docs/psychometrics.md).

The reference form is form 1 of the exam's current parallel forms. A candidate's own form is the
scored items they were given (an assembled form or one drawn by bands), so forms drawn at random
before the bank was calibrated are equated too. An attempt whose form holds an item the
calibration has no parameters for is not equated, and the pages say so: nothing pretends to a
precision it does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..common.errors import ValidationFailed
from ..extensions import db
from . import assembly, calibration, irt, parallel_forms
from .calibration_models import CalibrationRun, EquatedScore, FormSet
from .models import Attempt, Exam, Seat, Sitting

CENT = Decimal("0.01")
METHOD = "irt_true_score"
# Why an attempt was not equated (counts reported to HR and in the audit entry).
UNCALIBRATED, OTHER_MAXIMUM = "uncalibrated", "other_maximum"


@dataclass
class EquatingResult:
    run: CalibrationRun
    form_set: FormSet
    equated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def _curve(entries: list[dict], params: dict, points: dict[str, float]) -> tuple | None:
    """(a, b, points) of a form's scored items, or None if one has no calibrated parameters."""
    a, b, pts = [], [], []
    for entry in entries:
        if not assembly.is_scored(entry):
            continue
        row = params.get(entry["version_id"])
        if not calibration.is_calibrated(row):
            return None
        a.append(row.discrimination)
        b.append(row.difficulty)
        pts.append(points.get(entry["section"], 1.0))
    return a, b, pts


def why_not_equated(exam: Exam) -> str | None:
    """Why the exam's scores cannot be equated now (no calibration, no reference form), or None."""
    if calibration.latest_run(exam.bank) is None:
        return _(
            "The items of bank %(bank)s have not been calibrated yet, so scores cannot be equated: "
            "the raw score is the only score.",
            bank=exam.bank,
        )
    if parallel_forms.current_form_set(exam) is None:
        return _(
            "Exam %(code)s has no assembled forms yet, so there is no reference form to equate to: "
            "the raw score is the only score.",
            code=exam.code,
        )
    return None


def equate_exam_scores(exam: Exam, actor, reason: str = "") -> EquatingResult:
    """Equate every submitted, scored attempt of the exam to the reference form with the bank's
    latest calibration, store the equated scores and audit the run."""
    refusal = why_not_equated(exam)
    if refusal:
        raise ValidationFailed(refusal, "exam")
    run = calibration.latest_run(exam.bank)
    form_set = parallel_forms.current_form_set(exam)
    params = calibration.parameters_by_version(exam.bank, run)
    points = {s["code"]: float(s.get("points_per_item", 1)) for s in exam.sections}
    reference = _curve(form_set.forms[0], params, points)
    if reference is None:
        raise ValidationFailed(
            _(
                "The reference form of exam %(code)s holds items the latest calibration has no "
                "parameters for: assemble the forms again, then equate.",
                code=exam.code,
            ),
            "exam",
        )
    reference_max = Decimal(str(sum(reference[2]))).quantize(CENT)
    result = EquatingResult(run=run, form_set=form_set)
    existing = {
        row.attempt_id: row
        for row in db.session.scalars(
            select(EquatedScore).where(EquatedScore.run_id == run.id, EquatedScore.form_set_id == form_set.id)
        )
    }
    attempts = db.session.scalars(
        select(Attempt)
        .join(Seat, Seat.id == Attempt.seat_id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .where(Sitting.exam_id == exam.id, Attempt.status == "submitted", Attempt.score.is_not(None))
        .order_by(Attempt.id)
    )
    # Candidates share forms (parallel forms) and raw scores: each (form, score) is solved once.
    solved: dict[tuple, tuple[float, float | None]] = {}
    for attempt in attempts:
        curve = _curve(attempt.form, params, points)
        why = None
        if curve is None:
            why = UNCALIBRATED
        elif Decimal(str(sum(curve[2]))).quantize(CENT) != reference_max:
            why = OTHER_MAXIMUM  # a form of another blueprint: not on the reference form's scale
        if why:
            result.skipped[why] = result.skipped.get(why, 0) + 1
            continue
        key = (tuple(sorted(q["version_id"] for q in attempt.form if assembly.is_scored(q))), attempt.score)
        if key not in solved:
            solved[key] = irt.true_score_equate(float(attempt.score), curve, reference)
        equated, theta = solved[key]
        value = min(Decimal(str(equated)).quantize(CENT, ROUND_HALF_UP), reference_max)
        row = existing.get(attempt.id)
        if row is None:
            row = EquatedScore(attempt_id=attempt.id, run_id=run.id, form_set_id=form_set.id)
            db.session.add(row)
        row.raw, row.max_score, row.equated = attempt.score, reference_max, value
        row.theta = None if theta is None else round(theta, 6)
        result.equated += 1
    record(
        "exam.equate_scores",
        exam,
        actor=actor,
        after={
            "method": METHOD,
            "calibration": run.id,
            "form_set": form_set.id,
            "reference_form": 1,
            "equated": result.equated,
            "skipped": result.skipped,
            "reason": (reason or "").strip(),
        },
    )
    db.session.commit()
    return result


def current_equated(attempt_ids) -> dict[int, EquatedScore]:
    """Each attempt's current equated score (the newest row), where it has one."""
    ids = list(attempt_ids)
    if not ids:
        return {}
    newest = (
        select(func.max(EquatedScore.id))
        .where(EquatedScore.attempt_id.in_(ids))
        .group_by(EquatedScore.attempt_id)
        .scalar_subquery()
    )
    return {
        row.attempt_id: row
        for row in db.session.scalars(select(EquatedScore).where(EquatedScore.id.in_(newest)))
    }


def equated_of(attempt: Attempt | None) -> EquatedScore | None:
    return current_equated([attempt.id]).get(attempt.id) if attempt is not None else None
