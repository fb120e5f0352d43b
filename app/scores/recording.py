"""Recording a stage score: one result per application and stage on the stage's own scale, with its
source; once recorded, only a correction with a reason (or the source itself) may change it.

Whatever produced a score (the online test, a certificate, a Part C panel, HR typing a paper
Part B), it lands here on the stage's own scale, and the merit list is ranked from these rows.

Provenance: each score keeps its source and a reference (attempt, interview, file). Once a score
is recorded, plain entry and CSV import cannot change it: changing it is a correction
(`correct_stage_score`) with a reason, kept in `score_corrections` with before and after and the
source it had; the attempt or interview it came from is not rewritten. Only the source itself
may refresh its score (the online test re-pulled, the panel correcting its finalized score).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import Round, RoundStage
from .labels import source_label
from .models import ScoreCorrection, ScoreSource, StageScore

CENT = Decimal("0.01")

# Scores HR typed or imported are the HR's word: pulling Part A from the online test leaves
# them as they are (HR corrects them by hand if the exam result should win).
MANUAL_SOURCES = (ScoreSource.HR_ENTRY, ScoreSource.IMPORT, ScoreSource.CORRECTION)
# Sources that may refresh a score they produced themselves (see _may_replace).
SYSTEM_SOURCES = (ScoreSource.EXAM, ScoreSource.CERTIFICATE, ScoreSource.INTERVIEW)


def _snapshot(s: StageScore | None) -> dict | None:
    if s is None:
        return None
    return {
        "application_id": s.application_id,
        "stage": s.stage_kind,
        "score": s.score,
        "max_score": s.max_score,
        "passed": s.passed,
        "source": s.source,
        "source_ref": s.source_ref,
        "note": s.note,
    }


def stage_of(round_: Round, stage_kind: str) -> RoundStage:
    stage = round_.stage(stage_kind)
    if stage is None:
        raise ValidationFailed(_("This round has no stage %(stage)s.", stage=stage_kind), "stage_kind")
    return stage


def parse_score(value) -> Decimal:
    """A score as typed ("85", "85.5", " 85,50 " is refused: one decimal point only)."""
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationFailed(_("The score must be a number, e.g. 85 or 85.5."), "score") from None
    if not number.is_finite():
        raise ValidationFailed(_("The score must be a number, e.g. 85 or 85.5."), "score")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def check_score(stage: RoundStage, score: Decimal) -> None:
    if score < 0 or score > stage.max_score:
        raise ValidationFailed(_("The score must be between 0 and %(max)s.", max=stage.max_score), "score")


def put_score(
    application: Application,
    stage_kind: str,
    score,
    *,
    source: str,
    source_ref: str = "",
    actor=None,
    note: str = "",
    passed: bool | None = None,
) -> tuple[StageScore, str]:
    """Validate and upsert in the current transaction; returns the row and what happened
    ("created", "updated" or "unchanged"). The caller commits."""
    if source not in ScoreSource.ALL:
        raise ValidationFailed(_("Unknown score source."), "source")
    if application.status != ApplicationStatus.APPROVED:
        raise NotAllowed(
            _("Application %(number)s is not approved: it gets no stage scores.", number=application.number)
        )
    stage = stage_of(application.round, stage_kind)
    if score is None:
        if source != ScoreSource.CERTIFICATE:
            raise ValidationFailed(_("Enter a score."), "score")
        value = None
    else:
        value = parse_score(score)
        check_score(stage, value)
    if passed is None:
        passed = value is not None and value >= stage.pass_score
    note = (note or "").strip()
    source_ref = (source_ref or "")[:60]
    row = db.session.scalar(
        select(StageScore).where(
            StageScore.application_id == application.id, StageScore.stage_kind == stage_kind
        )
    )
    before = _snapshot(row)
    if row is not None and (row.score, row.max_score, row.passed, row.source, row.note) == (
        value,
        stage.max_score,
        passed,
        source,
        note,
    ):
        return row, "unchanged"  # the same result again (e.g. a file imported twice)
    if row is not None and not _may_replace(row, source):
        raise ScoreIsSourced(already_recorded_message(application, row))
    if row is None:
        row = StageScore(application_id=application.id, stage_kind=stage_kind)
        db.session.add(row)
        outcome = "created"
    else:
        outcome = "updated"
    row.score, row.max_score, row.passed = value, stage.max_score, passed
    row.source, row.source_ref, row.note = source, source_ref, note
    row.entered_by_id = getattr(actor, "id", actor)
    row.entered_at = now()
    db.session.flush()
    record(
        "stage_score.record",
        row,
        actor=actor,
        before=before,
        after=_snapshot(row) | {"application_number": application.number},
    )
    return row, outcome


class ScoreIsSourced(NotAllowed):
    """The score is already recorded: only a correction, with a reason, may change it."""

    code = "score_sourced"


def _may_replace(row: StageScore, source: str) -> bool:
    """The online test, a certificate and the panel may refresh what they produced (a re-pull,
    the chair's own audited correction); nothing replaces a recorded score silently."""
    return source in SYSTEM_SOURCES and row.source in SYSTEM_SOURCES


def already_recorded_message(application: Application, row: StageScore) -> str:
    return _(
        "Application %(number)s already has a score at this stage: %(score)s (%(source)s). "
        "It cannot be overwritten; changing it is a correction, with the reason.",
        number=application.number,
        score=_fmt_score(row.score),
        source=source_label(row.source),
    )


def _fmt_score(value) -> str:
    return "-" if value is None else f"{Decimal(value):.2f}"


def record_stage_score(
    application: Application,
    stage_kind: str,
    score,
    *,
    source: str,
    source_ref: str = "",
    actor=None,
    note: str = "",
) -> StageScore:
    """Record (or correct) the one score of `application` at `stage_kind`, and commit.

    The score is on the stage's own scale (0 … stage.max_score); passed = score ≥ pass score.
    A certificate (source "certificate") counts as passed and may carry no score.
    """
    passed = True if source == ScoreSource.CERTIFICATE else None
    # A savepoint, not a rollback of the session, when the insert loses a race: the caller's
    # own pending changes (e.g. a finalized interview) stay and commit with the score.
    put = partial(
        put_score,
        application,
        stage_kind,
        score,
        source=source,
        source_ref=source_ref,
        actor=actor,
        note=note,
        passed=passed,
    )
    try:
        with db.session.begin_nested():
            row, _outcome = put()
    except IntegrityError:  # the same score recorded at the same moment elsewhere: try once more
        row, _outcome = put()
    db.session.commit()
    return row


def correct_stage_score(
    application: Application, stage_kind: str, score, *, actor, reason: str
) -> ScoreCorrection:
    """Change a recorded score, with a reason: the correction (before, after, the source the
    score had, who, when, why) is kept and audited; the score's source becomes the correction.
    The exam attempt, interview or file it came from is left as it was. Commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _(
                "Give the reason for the correction: it is kept with the score "
                "and shown to the list's approver."
            ),
            "reason",
        )
    stage = stage_of(application.round, stage_kind)
    row = db.session.scalar(
        select(StageScore)
        .where(StageScore.application_id == application.id, StageScore.stage_kind == stage_kind)
        .with_for_update()
    )
    if row is None:
        raise NotAllowed(
            _(
                "Application %(number)s has no score at this stage yet: enter it instead.",
                number=application.number,
            )
        )
    value = parse_score(score)
    check_score(stage, value)
    if value == row.score:
        raise ValidationFailed(_("That is already the score."), "score")
    before = _snapshot(row)
    correction = ScoreCorrection(
        stage_score_id=row.id,
        application_id=application.id,
        stage_kind=stage_kind,
        score_before=row.score,
        score_after=value,
        passed_before=row.passed,
        passed_after=value >= stage.pass_score,
        source_before=row.source,
        source_ref_before=row.source_ref,
        reason=reason,
        corrected_by_id=actor.id,
        corrected_at=now(),
    )
    db.session.add(correction)
    db.session.flush()
    row.score, row.max_score, row.passed = value, stage.max_score, correction.passed_after
    row.source, row.source_ref = ScoreSource.CORRECTION, f"correction:{correction.id}"
    row.note, row.entered_by_id, row.entered_at = reason, actor.id, correction.corrected_at
    record(
        "stage_score.correct",
        row,
        actor=actor,
        before=before,
        after=_snapshot(row)
        | {"application_number": application.number, "reason": reason, "correction": correction.id},
    )
    db.session.commit()
    return correction


def existing_score(application: Application, stage_kind: str) -> StageScore | None:
    return db.session.scalar(
        select(StageScore).where(
            StageScore.application_id == application.id, StageScore.stage_kind == stage_kind
        )
    )
