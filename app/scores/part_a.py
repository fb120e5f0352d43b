"""Part A from the online test (or a valid Part A certificate), scaled to the stage's maximum."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..common.errors import NotAllowed
from ..exams.certificates import part_a_certificate
from ..exams.models import Attempt, Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, StageKind
from .models import ScoreSource
from .recording import CENT, MANUAL_SOURCES, put_score
from .results import approved_applications, scores_of_round


def scale(score: Decimal, out_of: Decimal, to_max: Decimal) -> Decimal:
    """`score` out of `out_of`, on a scale of `to_max` (two decimals, half up)."""
    if not out_of:
        return Decimal("0.00")
    return (Decimal(score) * Decimal(to_max) / Decimal(out_of)).quantize(CENT, ROUND_HALF_UP)


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_manual: list[str] = field(default_factory=list)  # application numbers
    missing: list[str] = field(default_factory=list)  # no attempt, no certificate


def _round_attempts(round_: Round) -> dict[int, Attempt]:
    """The latest submitted, scored attempt of each candidate in a sitting of the round."""
    rows = db.session.execute(
        select(Seat.candidate_id, Attempt)
        .join(Attempt, Attempt.seat_id == Seat.id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .where(
            Sitting.round_id == round_.id,
            Attempt.status == "submitted",
            Attempt.score.is_not(None),
            Attempt.max_score.is_not(None),
        )
        .order_by(Attempt.submitted_at, Attempt.id)
    ).all()
    return dict(rows)  # candidate id -> attempt


def sync_part_a_from_exams(round_: Round, actor) -> SyncResult:
    """Part A for every approved application: its submitted attempt in a sitting of this round
    (scaled to the stage's maximum), else its valid Part A certificate (counted as passed)."""
    stage = round_.stage(StageKind.PART_A)
    if stage is None:
        raise NotAllowed(_("This round has no Part A stage."))
    attempts = _round_attempts(round_)
    existing = scores_of_round(round_, StageKind.PART_A)
    result = SyncResult()
    try:
        for app_ in approved_applications(round_):
            current = existing.get(app_.id)
            if current is not None and current.source in MANUAL_SOURCES:
                result.kept_manual.append(app_.number)
                continue
            attempt = attempts.get(app_.candidate_id)
            if attempt is not None:
                value = scale(attempt.score, attempt.max_score, stage.max_score)
                _row, outcome = put_score(
                    app_,
                    StageKind.PART_A,
                    value,
                    source=ScoreSource.EXAM,
                    source_ref=f"attempt:{attempt.id}",
                    actor=actor,
                )
            else:
                cert = part_a_certificate(app_)
                if cert is None:
                    result.missing.append(app_.number)
                    continue
                a = cert.attempt
                value = (
                    scale(a.score, a.max_score, stage.max_score)
                    if a.score is not None and a.max_score
                    else None
                )
                _row, outcome = put_score(
                    app_,
                    StageKind.PART_A,
                    value,
                    source=ScoreSource.CERTIFICATE,
                    source_ref=f"certificate:{cert.code}",
                    actor=actor,
                    passed=True,
                )
            setattr(result, outcome, getattr(result, outcome) + 1)
        record(
            "stage_score.sync_part_a",
            round_,
            actor=actor,
            after={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "kept_manual": len(result.kept_manual),
                "missing": len(result.missing),
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result
