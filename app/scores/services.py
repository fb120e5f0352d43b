"""Stage scores: recording one result per application and stage, importing them from CSV, and
pulling Part A from the online test (or a valid Part A certificate).

Whatever produced a score (the online test, a certificate, a Part C panel, HR typing a paper
Part B), it lands here on the stage's own scale, and the merit list is ranked from these rows.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..applications.models import Application, ApplicationStatus
from ..applications.services import part_a_certificate
from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..exams.models import Attempt, Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, RoundStage, StageKind
from .models import ScoreSource, StageScore

CENT = Decimal("0.01")
# Scores HR typed or imported are the HR's word: pulling Part A from the online test leaves
# them as they are (HR corrects them by hand if the exam result should win).
MANUAL_SOURCES = (ScoreSource.HR_ENTRY, ScoreSource.IMPORT)
MAX_IMPORT_ERRORS_SHOWN = 20


def _snapshot(s: StageScore | None) -> dict | None:
    if s is None:
        return None
    return {"application_id": s.application_id, "stage": s.stage_kind, "score": s.score,
            "max_score": s.max_score, "passed": s.passed, "source": s.source,
            "source_ref": s.source_ref, "note": s.note}


def _stage_of(round_: Round, stage_kind: str) -> RoundStage:
    stage = round_.stage(stage_kind)
    if stage is None:
        raise ValidationFailed(_("This round has no stage %(stage)s.", stage=stage_kind),
                               "stage_kind")
    return stage


def parse_score(value) -> Decimal:
    """A score as typed ("85", "85.5", " 85,50 " is refused: one decimal point only)."""
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationFailed(_("The score must be a number, e.g. 85 or 85.5."),
                                   "score") from None
    if not number.is_finite():
        raise ValidationFailed(_("The score must be a number, e.g. 85 or 85.5."), "score")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_score(stage: RoundStage, score: Decimal) -> None:
    if score < 0 or score > stage.max_score:
        raise ValidationFailed(_("The score must be between 0 and %(max)s.",
                                 max=stage.max_score), "score")


def _put(application: Application, stage_kind: str, score, *, source: str, source_ref: str = "",
         actor=None, note: str = "", passed: bool | None = None) -> tuple[StageScore, str]:
    """Validate and upsert in the current transaction; returns the row and what happened
    ("created", "updated" or "unchanged"). The caller commits."""
    if source not in ScoreSource.ALL:
        raise ValidationFailed(_("Unknown score source."), "source")
    if application.status != ApplicationStatus.APPROVED:
        raise NotAllowed(_("Application %(number)s is not approved: it gets no stage scores.",
                           number=application.number))
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
    row = db.session.scalar(select(StageScore).where(
        StageScore.application_id == application.id, StageScore.stage_kind == stage_kind))
    before = _snapshot(row)
    if row is not None and (row.score, row.max_score, row.passed, row.source, row.note) == (
            value, stage.max_score, passed, source, note):
        return row, "unchanged"  # the same result again (e.g. a file imported twice)
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
    record("stage_score.record", row, actor=actor, before=before,
           after=_snapshot(row) | {"application_number": application.number})
    return row, outcome


def record_stage_score(application: Application, stage_kind: str, score, *, source: str,
                       source_ref: str = "", actor=None, note: str = "") -> StageScore:
    """Record (or correct) the one score of `application` at `stage_kind`, and commit.

    The score is on the stage's own scale (0 … stage.max_score); passed = score ≥ pass score.
    A certificate (source "certificate") counts as passed and may carry no score.
    """
    passed = True if source == ScoreSource.CERTIFICATE else None
    # A savepoint, not a rollback of the session, when the insert loses a race: the caller's
    # own pending changes (e.g. a finalized interview) stay and commit with the score.
    try:
        with db.session.begin_nested():
            row, _outcome = _put(application, stage_kind, score, source=source,
                                 source_ref=source_ref, actor=actor, note=note, passed=passed)
    except IntegrityError:  # the same score recorded at the same moment elsewhere: try once more
        row, _outcome = _put(application, stage_kind, score, source=source,
                             source_ref=source_ref, actor=actor, note=note, passed=passed)
    db.session.commit()
    return row


def scores_of(application: Application) -> dict[str, StageScore]:
    return {s.stage_kind: s for s in db.session.scalars(
        select(StageScore).where(StageScore.application_id == application.id))}


def passed_all(application: Application, kinds=None) -> bool:
    """Has the application passed every stage in `kinds` (default: every stage of its round)?"""
    kinds = list(kinds) if kinds is not None else [s.kind for s in application.round.stages]
    scores = scores_of(application)
    return all(k in scores and scores[k].passed for k in kinds)


def scores_of_round(round_: Round, stage_kind: str) -> dict[int, StageScore]:
    """Scores of one stage by application id."""
    return {s.application_id: s for s in db.session.scalars(
        select(StageScore).join(Application, Application.id == StageScore.application_id)
        .where(Application.round_id == round_.id, StageScore.stage_kind == stage_kind))}


def approved_applications(round_: Round) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED)
        .order_by(Application.id)))


def find_application(round_: Round, number: str) -> Application:
    app_ = db.session.scalar(select(Application).where(
        Application.round_id == round_.id, Application.number == (number or "").strip()))
    if app_ is None:
        raise ValidationFailed(_("No application %(number)s in this round.",
                                 number=(number or "").strip()), "application_number")
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
        raise ScoreImportFailed([_("Line 1: the header must have the columns %(cols)s "
                                   "(missing: %(missing)s).", cols=", ".join(REQUIRED_COLUMNS),
                                   missing=", ".join(missing))])
    reader.fieldnames = header
    apps = {a.number: a for a in db.session.scalars(
        select(Application).where(Application.round_id == round_.id))}
    errors: list[str] = []
    rows: list[tuple[Application, Decimal, str]] = []
    seen: dict[str, int] = {}
    for record_ in reader:
        line = reader.line_num
        number = (record_.get("application_number") or "").strip()
        raw = (record_.get("score") or "").strip()
        if not number and not raw and not any((v or "").strip() for v in record_.values()
                                              if isinstance(v, str)):
            continue  # a blank line
        app_ = apps.get(number)
        if not number:
            errors.append(_("Line %(line)s, column application_number: empty.", line=line))
        elif app_ is None:
            errors.append(_("Line %(line)s, column application_number: no application "
                            "%(number)s in this round.", line=line, number=number))
        elif app_.status != ApplicationStatus.APPROVED:
            errors.append(_("Line %(line)s, column application_number: application "
                            "%(number)s is not approved.", line=line, number=number))
        elif number in seen:
            errors.append(_("Line %(line)s, column application_number: %(number)s already "
                            "appears on line %(first)s.", line=line, number=number,
                            first=seen[number]))
        if number:
            seen.setdefault(number, line)
        try:
            value = parse_score(raw) if raw else None
            if value is None:
                errors.append(_("Line %(line)s, column score: empty.", line=line))
            else:
                _check_score(stage, value)
        except ValidationFailed as err:
            errors.append(_("Line %(line)s, column score: %(message)s", line=line,
                            message=err.message))
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
            _row, outcome = _put(app_, stage_kind, value, source=ScoreSource.IMPORT,
                                 source_ref=ref, actor=actor, note=note)
            setattr(result, outcome, getattr(result, outcome) + 1)
        record("stage_score.import", round_, actor=actor, after={
            "stage": stage_kind, "file": ref, "rows": result.total, "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged})
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
        select(Seat.candidate_id, Attempt).join(Attempt, Attempt.seat_id == Seat.id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .where(Sitting.round_id == round_.id, Attempt.status == "submitted",
               Attempt.score.is_not(None), Attempt.max_score.is_not(None))
        .order_by(Attempt.submitted_at, Attempt.id)).all()
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
                _row, outcome = _put(app_, StageKind.PART_A, value, source=ScoreSource.EXAM,
                                     source_ref=f"attempt:{attempt.id}", actor=actor)
            else:
                cert = part_a_certificate(app_)
                if cert is None:
                    result.missing.append(app_.number)
                    continue
                a = cert.attempt
                value = scale(a.score, a.max_score, stage.max_score) \
                    if a.score is not None and a.max_score else None
                _row, outcome = _put(app_, StageKind.PART_A, value,
                                     source=ScoreSource.CERTIFICATE,
                                     source_ref=f"certificate:{cert.code}", actor=actor,
                                     passed=True)
            setattr(result, outcome, getattr(result, outcome) + 1)
        record("stage_score.sync_part_a", round_, actor=actor, after={
            "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "kept_manual": len(result.kept_manual),
            "missing": len(result.missing)})
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
    stmt = (select(Application, StageScore)
            .outerjoin(StageScore, (StageScore.application_id == Application.id)
                       & (StageScore.stage_kind == stage_kind))
            .where(Application.round_id == round_.id,
                   Application.status == ApplicationStatus.APPROVED)
            .options(selectinload(Application.candidate)))
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
}


source_label = labeller(SOURCE_LABELS)
