"""Stage scores: recording one result per application and stage, importing them from CSV, and
pulling Part A from the online test (or a valid Part A certificate).

Whatever produced a score (the online test, a certificate, a Part C panel, HR typing a paper
Part B), it lands here on the stage's own scale, and the merit list is ranked from these rows.

Provenance: each score keeps its source and a reference (attempt, interview, file). Once a score
is recorded, plain entry and CSV import cannot change it: changing it is a correction
(`correct_stage_score`) with a reason, kept in `score_corrections` with before and after and the
source it had; the attempt or interview it came from is not rewritten. Only the source itself
may refresh its score (the online test re-pulled, the panel correcting its finalized score).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..exams.certificates import part_a_certificate
from ..exams.models import Attempt, Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, RoundStage, StageKind
from .models import ScoreCorrection, ScoreSource, StageScore

CENT = Decimal("0.01")

signals = Namespace()
# Asked by the lists' gates (merit/readiness.py) for a stage produced elsewhere: a receiver
# (the interviews for Part C) returns {"open": {application ids still being decided},
# "absent": {application ids recorded absent}} for `round_` and `stage_kind`, so that scores
# and lists need not know the capability that produces the stage.
stage_progress = signals.signal("stage-progress")
# Scores HR typed or imported are the HR's word: pulling Part A from the online test leaves
# them as they are (HR corrects them by hand if the exam result should win).
MANUAL_SOURCES = (ScoreSource.HR_ENTRY, ScoreSource.IMPORT, ScoreSource.CORRECTION)
# Sources that may refresh a score they produced themselves (see _may_replace).
SYSTEM_SOURCES = (ScoreSource.EXAM, ScoreSource.CERTIFICATE, ScoreSource.INTERVIEW)
MAX_IMPORT_ERRORS_SHOWN = 20


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


def _stage_of(round_: Round, stage_kind: str) -> RoundStage:
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


def _check_score(stage: RoundStage, score: Decimal) -> None:
    if score < 0 or score > stage.max_score:
        raise ValidationFailed(_("The score must be between 0 and %(max)s.", max=stage.max_score), "score")


def _put(
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
    stage = _stage_of(application.round, stage_kind)
    if score is None:
        if source != ScoreSource.CERTIFICATE:
            raise ValidationFailed(_("Enter a score."), "score")
        value = None
    else:
        value = parse_score(score)
        _check_score(stage, value)
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
        _put,
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
    stage = _stage_of(application.round, stage_kind)
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
    _check_score(stage, value)
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


@dataclass
class ScoreChange:
    """A score not taken from its source as it stands: HR's entry or import, or a correction."""

    kind: str  # "entry" / "import" / "correction"
    application_number: str
    stage_kind: str
    before: Decimal | None
    after: Decimal | None
    by: object  # User or None
    at: object  # datetime
    reason: str
    ref: str


def manual_changes(round_: Round, since=None) -> list[ScoreChange]:
    """Every score of the round entered or imported by HR, and every correction, oldest first
    (only those at or after `since` when given): what a list's approver must have seen."""
    changes: list[ScoreChange] = []
    entries = db.session.execute(
        select(StageScore, Application.number)
        .join(Application, Application.id == StageScore.application_id)
        .where(
            Application.round_id == round_.id,
            StageScore.source.in_((ScoreSource.HR_ENTRY, ScoreSource.IMPORT)),
        )
    ).all()
    corrections = db.session.execute(
        select(ScoreCorrection, Application.number)
        .join(Application, Application.id == ScoreCorrection.application_id)
        .where(Application.round_id == round_.id)
    ).all()
    for s, number in entries:
        changes.append(
            ScoreChange(
                "entry" if s.source == ScoreSource.HR_ENTRY else "import",
                number,
                s.stage_kind,
                None,
                s.score,
                s.entered_by,
                s.entered_at,
                s.note,
                s.source_ref,
            )
        )
    for c, number in corrections:
        changes.append(
            ScoreChange(
                "correction",
                number,
                c.stage_kind,
                c.score_before,
                c.score_after,
                c.corrected_by,
                c.corrected_at,
                c.reason,
                f"{c.source_before}:{c.source_ref_before}",
            )
        )
    if since is not None:
        changes = [c for c in changes if c.at >= since]
    return sorted(changes, key=lambda c: (c.at, c.application_number))


def sources_of_round(round_: Round) -> dict[int, dict[str, str]]:
    """Each application's score sources by stage: {application id: {"part_b": "import:csv:…"}}
    (the source, then its reference when it has one), as a list's entries carry them."""
    out: dict[int, dict[str, str]] = {}
    rows = db.session.execute(
        select(StageScore.application_id, StageScore.stage_kind, StageScore.source, StageScore.source_ref)
        .join(Application, Application.id == StageScore.application_id)
        .where(Application.round_id == round_.id)
    ).all()
    for app_id, kind, source, ref in rows:
        out.setdefault(app_id, {})[kind] = f"{source}:{ref}" if ref else source
    return out


def scores_of(application: Application) -> dict[str, StageScore]:
    return {
        s.stage_kind: s
        for s in db.session.scalars(select(StageScore).where(StageScore.application_id == application.id))
    }


def passed_all(application: Application, kinds=None) -> bool:
    """Has the application passed every stage in `kinds` (default: every stage of its round)?"""
    kinds = list(kinds) if kinds is not None else [s.kind for s in application.round.stages]
    scores = scores_of(application)
    return all(k in scores and scores[k].passed for k in kinds)


def scores_of_round(round_: Round, stage_kind: str) -> dict[int, StageScore]:
    """Scores of one stage by application id."""
    return {
        s.application_id: s
        for s in db.session.scalars(
            select(StageScore)
            .join(Application, Application.id == StageScore.application_id)
            .where(Application.round_id == round_.id, StageScore.stage_kind == stage_kind)
        )
    }


def approved_applications(round_: Round) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED)
            .order_by(Application.id)
        )
    )


def find_application(round_: Round, number: str) -> Application:
    app_ = db.session.scalar(
        select(Application).where(
            Application.round_id == round_.id, Application.number == (number or "").strip()
        )
    )
    if app_ is None:
        raise ValidationFailed(
            _("No application %(number)s in this round.", number=(number or "").strip()), "application_number"
        )
    return app_


# ---- CSV import --------------------------------------------------------------------------


class ScoreImportFailed(ValidationFailed):
    """Nothing was imported; `errors` names each bad line and column."""

    def __init__(self, errors: list[str]):
        shown = errors[:MAX_IMPORT_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        message = _("Nothing was imported.") + " " + " ".join(shown)
        if more > 0:
            message += " " + _("… and %(n)s more errors.", n=more)
        super().__init__(message, "file")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


REQUIRED_COLUMNS = ("application_number", "score")


def import_scores_csv(round_: Round, stage_kind: str, text: str, actor) -> ImportResult:
    """Import `application_number,score` rows (an optional `note` column) for one stage.

    All or nothing: every line is checked first; one bad line and nothing is written, with
    each error naming its line and column.
    """
    stage = _stage_of(round_, stage_kind)
    text = (text or "").lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ScoreImportFailed(
            [
                _(
                    "Line 1: the header must have the columns %(cols)s (missing: %(missing)s).",
                    cols=", ".join(REQUIRED_COLUMNS),
                    missing=", ".join(missing),
                )
            ]
        )
    reader.fieldnames = header
    apps = {
        a.number: a for a in db.session.scalars(select(Application).where(Application.round_id == round_.id))
    }
    existing = scores_of_round(round_, stage_kind)
    errors: list[str] = []
    rows: list[tuple[Application, Decimal, str]] = []
    seen: dict[str, int] = {}
    for record_ in reader:
        line = reader.line_num
        number = (record_.get("application_number") or "").strip()
        raw = (record_.get("score") or "").strip()
        if (
            not number
            and not raw
            and not any((v or "").strip() for v in record_.values() if isinstance(v, str))
        ):
            continue  # a blank line
        app_ = apps.get(number)
        if not number:
            errors.append(_("Line %(line)s, column application_number: empty.", line=line))
        elif app_ is None:
            errors.append(
                _(
                    "Line %(line)s, column application_number: no application %(number)s in this round.",
                    line=line,
                    number=number,
                )
            )
        elif app_.status != ApplicationStatus.APPROVED:
            errors.append(
                _(
                    "Line %(line)s, column application_number: application %(number)s is not approved.",
                    line=line,
                    number=number,
                )
            )
        elif number in seen:
            errors.append(
                _(
                    "Line %(line)s, column application_number: %(number)s already appears on line %(first)s.",
                    line=line,
                    number=number,
                    first=seen[number],
                )
            )
        if number:
            seen.setdefault(number, line)
        try:
            value = parse_score(raw) if raw else None
            if value is None:
                errors.append(_("Line %(line)s, column score: empty.", line=line))
            else:
                _check_score(stage, value)
        except ValidationFailed as err:
            errors.append(_("Line %(line)s, column score: %(message)s", line=line, message=err.message))
            value = None
        current = existing.get(app_.id) if app_ is not None else None
        if current is not None and value is not None and current.score != value:
            errors.append(
                _(
                    "Line %(line)s, column score: %(message)s",
                    line=line,
                    message=already_recorded_message(app_, current),
                )
            )
            value = None
        if app_ is not None and value is not None:
            rows.append((app_, value, (record_.get("note") or "").strip()))
    if errors:
        raise ScoreImportFailed(errors)
    if not rows:
        raise ScoreImportFailed([_("The file has no rows.")])
    ref = "csv:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    result = ImportResult()
    try:
        for app_, value, note in rows:
            _row, outcome = _put(
                app_, stage_kind, value, source=ScoreSource.IMPORT, source_ref=ref, actor=actor, note=note
            )
            setattr(result, outcome, getattr(result, outcome) + 1)
        record(
            "stage_score.import",
            round_,
            actor=actor,
            after={
                "stage": stage_kind,
                "file": ref,
                "rows": result.total,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# ---- Part A from the online test ---------------------------------------------------------


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
                _row, outcome = _put(
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
                _row, outcome = _put(
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


# ---- for the pages -----------------------------------------------------------------------


@dataclass
class StageRow:
    application: Application
    score: StageScore | None


def stage_rows(round_: Round, stage_kind: str, q: str = "", limit: int = 500) -> list[StageRow]:
    """Approved applications of the round with their score at one stage (search by number;
    the first `limit` in number order)."""
    _stage_of(round_, stage_kind)
    stmt = (
        select(Application, StageScore)
        .outerjoin(
            StageScore, (StageScore.application_id == Application.id) & (StageScore.stage_kind == stage_kind)
        )
        .where(Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED)
        .options(selectinload(Application.candidate))
    )
    if q.strip():
        stmt = stmt.where(Application.number.contains(q.strip()))
    rows = db.session.execute(stmt.order_by(Application.number).limit(limit)).all()
    return [StageRow(a, s) for a, s in rows]


SOURCE_LABELS = {
    ScoreSource.EXAM: lambda: _("Online test"),
    ScoreSource.CERTIFICATE: lambda: _("Part A certificate"),
    ScoreSource.INTERVIEW: lambda: _("Interview panel"),
    ScoreSource.HR_ENTRY: lambda: _("Entered by HR"),
    ScoreSource.IMPORT: lambda: _("CSV import"),
    ScoreSource.CORRECTION: lambda: _("Corrected by HR"),
}


source_label = labeller(SOURCE_LABELS)
