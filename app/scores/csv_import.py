"""Importing a stage's scores from a CSV file: every row checked, nothing stored if one is wrong."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..background.services import Outcome, register
from ..common.errors import ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import ScoreSource
from .recording import already_recorded_message, check_score, parse_score, put_score, stage_of
from .results import scores_of_round

MAX_IMPORT_ERRORS_SHOWN = 20
PROGRESS_EVERY = 250


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


def data_rows(text: str) -> int:
    """How many lines after the header (the size of the work, before reading it)."""
    return max(0, len((text or "").strip().splitlines()) - 1)


def import_scores_csv(round_: Round, stage_kind: str, text: str, actor, progress=None) -> ImportResult:
    """Import `application_number,score` rows (an optional `note` column) for one stage.

    All or nothing: every line is checked first; one bad line and nothing is written, with
    each error naming its line and column. `progress(done, total, message)`, when given, is
    told every PROGRESS_EVERY lines while checking (nothing written yet) and before saving.
    """
    stage = stage_of(round_, stage_kind)
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
    total = data_rows(text)
    for record_ in reader:
        line = reader.line_num
        if progress is not None and line % PROGRESS_EVERY == 0:
            progress(line - 1, total, _("Checking line %(line)s of %(total)s.", line=line, total=total + 1))
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
                check_score(stage, value)
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
    if progress is not None:
        progress(total, total, _("Every line is correct; saving %(n)s scores.", n=len(rows)))
    ref = "csv:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    result = ImportResult()
    try:
        for app_, value, note in rows:
            _row, outcome = put_score(
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


# ---- as a background job (a large file) ----------------------------------------------------

JOB_KIND = "scores.import_csv"


def import_job(progress, round_id: int, stage_kind: str, text: str, actor_id: int) -> Outcome:
    """The background job of a large import: the same rules, with its progress shown."""
    round_ = db.session.get(Round, round_id)
    actor = db.session.get(User, actor_id)
    result = import_scores_csv(round_, stage_kind, text, actor, progress=progress)
    return Outcome(
        summary=result_message(result),
        data={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )


def result_message(result: ImportResult) -> str:
    return _(
        "%(n)s scores imported: %(created)s new, %(updated)s changed, %(same)s unchanged.",
        n=result.total,
        created=result.created,
        updated=result.updated,
        same=result.unchanged,
    )


register(JOB_KIND, import_job)
