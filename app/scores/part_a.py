"""Part A from the online test (or a valid Part A certificate), scaled to the stage's maximum:
the raw score, or the score equated to the reference form when the round ranks by it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..common.errors import NotAllowed, ValidationFailed
from ..exams import equating
from ..exams.certificates import part_a_certificate
from ..exams.models import Attempt, Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, StageKind
from .models import ScoreSource, StageScore
from .recording import CENT, MANUAL_SOURCES, put_score
from .results import approved_applications, scores_of_round


def scale(score: Decimal, out_of: Decimal, to_max: Decimal) -> Decimal:
    """`score` out of `out_of`, on a scale of `to_max` (two decimals, half up)."""
    if not out_of:
        return Decimal("0.00")
    return (Decimal(score) * Decimal(to_max) / Decimal(out_of)).quantize(CENT, ROUND_HALF_UP)


RAW, EQUATED = "raw", "equated"
RANKS = (RAW, EQUATED)
_EQUATED_REF = ":equated:"


def set_part_a_ranks(round_: Round, actor, ranks: str, reason: str) -> Round:
    """HR chooses which Part A score ranks the round: raw or equated (audited with the reason).
    It takes effect at the next pull of Part A from the online test."""
    if ranks not in RANKS:
        raise ValidationFailed(_("Choose the raw or the equated score."), "ranks")
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason: it is written to the audit log."), "reason")
    before = round_.part_a_ranks
    round_.part_a_ranks = ranks
    record(
        "round.part_a_ranks",
        round_,
        actor=actor,
        before={"ranks": before},
        after={"ranks": ranks, "reason": reason.strip()},
    )
    db.session.commit()
    return round_


@dataclass
class RankingBasis:
    """Which Part A score the round's stored scores are: raw, or equated with these runs."""

    ranks: str
    runs: list[int]
    chosen: str  # what the round asked for


def basis_of(refs: list[str], chosen: str) -> RankingBasis:
    """Which score a set of Part A scores from the online test are, from their source
    references ("attempt:12" raw, "attempt:12:equated:5" equated with calibration run 5):
    equated only when every one is."""
    runs = sorted({int(r.rsplit(":", 1)[1]) for r in refs if _EQUATED_REF in r})
    ranks = EQUATED if refs and runs and all(_EQUATED_REF in r for r in refs) else RAW
    return RankingBasis(ranks=ranks, runs=runs if ranks == EQUATED else [], chosen=chosen)


def ranking_basis(round_: Round) -> RankingBasis:
    """From the Part A scores stored for the round now (what a list prepared now ranks)."""
    refs = db.session.scalars(
        select(StageScore.source_ref).where(
            StageScore.stage_kind == StageKind.PART_A,
            StageScore.source == ScoreSource.EXAM,
            StageScore.application_id.in_([a.id for a in approved_applications(round_)]),
        )
    ).all()
    return basis_of(list(refs), round_.part_a_ranks)


def list_basis(round_: Round, part_a_sources: list[str]) -> RankingBasis:
    """From the Part A sources a list's entries carry as ranked ("exam:attempt:12:…")."""
    prefix = f"{ScoreSource.EXAM}:"
    return basis_of([s[len(prefix) :] for s in part_a_sources if s.startswith(prefix)], round_.part_a_ranks)


def basis_statement(basis: RankingBasis) -> str:
    """The sentence the announcement (web) prints about the Part A score used (to pass, and to
    rank where Part A counts for ranking)."""
    if basis.ranks == EQUATED:
        return _(
            "The Part A score used is the equated score: each candidate's raw score converted to the "
            "score of the same ability on the reference form (IRT true-score equating, Kolen & "
            "Brennan; calibration %(runs)s), so that forms of slightly different difficulty count "
            "alike.",
            runs=", ".join(str(r) for r in basis.runs),
        )
    return _("The Part A score used is the raw score: the points scored on the candidate's own form.")


def basis_statement_th(basis: RankingBasis) -> str:
    """The same, in the formal Thai of the printed announcement (which is Thai only)."""
    if basis.ranks == EQUATED:
        runs = ", ".join(str(r) for r in basis.runs)
        return (
            "คะแนนภาค ก ที่ใช้ในบัญชีนี้เป็นคะแนนปรับเทียบ (equated score) คือคะแนนดิบของผู้สอบแต่ละรายแปลงเป็น"
            "คะแนนที่ผู้มีความสามารถเท่ากันจะได้ในแบบทดสอบอ้างอิง ด้วยวิธีปรับเทียบคะแนนจริงตามทฤษฎีการตอบสนอง"
            f"ข้อสอบ (IRT true-score equating, Kolen & Brennan) จากการปรับเทียบพารามิเตอร์ข้อสอบครั้งที่ {runs} "
            "เพื่อให้แบบทดสอบที่ยากง่ายต่างกันเล็กน้อยมีผลเท่าเทียมกัน"
        )
    return "คะแนนภาค ก ที่ใช้ในบัญชีนี้เป็นคะแนนดิบ คือคะแนนที่ผู้สอบทำได้จากแบบทดสอบของตน"


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_manual: list[str] = field(default_factory=list)  # application numbers
    missing: list[str] = field(default_factory=list)  # no attempt, no certificate
    ranks: str = RAW  # the score actually taken: raw, or equated
    not_equated: int = 0  # tests with no equated score when the round asked for equated ones


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
    applications = approved_applications(round_)
    result = SyncResult()
    # The round's choice of score: equated only when every applicant's test has an equated
    # score, so that everyone on the list is on one scale; otherwise raw for all, and HR is
    # told why.
    equated = {}
    if round_.part_a_ranks == EQUATED:
        used = [attempts[a.candidate_id] for a in applications if a.candidate_id in attempts]
        equated = equating.current_equated(a.id for a in used)
        result.not_equated = sum(1 for a in used if a.id not in equated)
        if result.not_equated or not equated:
            equated = {}
    result.ranks = EQUATED if equated else RAW
    try:
        for app_ in applications:
            current = existing.get(app_.id)
            if current is not None and current.source in MANUAL_SOURCES:
                result.kept_manual.append(app_.number)
                continue
            attempt = attempts.get(app_.candidate_id)
            if attempt is not None:
                score, source_ref = attempt.score, f"attempt:{attempt.id}"
                if attempt.id in equated:
                    row = equated[attempt.id]
                    score, source_ref = row.equated, f"{source_ref}{_EQUATED_REF}{row.run_id}"
                value = scale(score, attempt.max_score, stage.max_score)
                stored, outcome = put_score(
                    app_,
                    StageKind.PART_A,
                    value,
                    source=ScoreSource.EXAM,
                    source_ref=source_ref,
                    actor=actor,
                )
                if stored.source_ref != source_ref:  # same value, other basis: say which
                    stored.source_ref = source_ref
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
                "ranks": result.ranks,
                "not_equated": result.not_equated,
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result
