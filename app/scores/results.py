"""Reading recorded scores: of an application, a stage, a round; the changes HR made by hand; the
rows of the scores pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..applications.models import Application, ApplicationStatus
from ..common.errors import ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import ScoreCorrection, ScoreSource, StageScore
from .recording import stage_of


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


@dataclass
class StageRow:
    application: Application
    score: StageScore | None


PASSED, FAILED, MISSING = "passed", "failed", "missing"
RESULT_FILTERS = (PASSED, FAILED, MISSING)


def _stage_statement(round_: Round, stage_kind: str, q: str = "", result: str = ""):
    stage_of(round_, stage_kind)
    stmt = (
        select(Application, StageScore)
        .outerjoin(
            StageScore, (StageScore.application_id == Application.id) & (StageScore.stage_kind == stage_kind)
        )
        .join(User, User.id == Application.candidate_id)
        .where(Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED)
    )
    for word in (q or "").split():
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
        stmt = stmt.where(
            or_(
                func.lower(Application.number).like(like, escape="\\"),
                func.lower(User.first_name_th).like(like, escape="\\"),
                func.lower(User.last_name_th).like(like, escape="\\"),
                func.lower(User.first_name_en).like(like, escape="\\"),
                func.lower(User.last_name_en).like(like, escape="\\"),
            )
        )
    if result == PASSED:
        stmt = stmt.where(StageScore.passed.is_(True))
    elif result == FAILED:
        stmt = stmt.where(StageScore.passed.is_(False))
    elif result == MISSING:
        stmt = stmt.where(StageScore.id.is_(None))
    return stmt


def stage_rows(round_: Round, stage_kind: str, q: str = "", limit: int = 500) -> list[StageRow]:
    """Approved applications of the round with their score at one stage (search by number or
    name; the first `limit` in number order)."""
    stmt = _stage_statement(round_, stage_kind, q).options(selectinload(Application.candidate))
    rows = db.session.execute(stmt.order_by(Application.number).limit(limit)).all()
    return [StageRow(a, s) for a, s in rows]


@dataclass
class StagePage:
    """One page of a stage's scores, searched and filtered (HR at volume)."""

    rows: list[StageRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def items(self) -> list[StageRow]:
        return self.rows

    def iter_pages(self, left_edge=1, left_current=2, right_current=2, right_edge=1):
        """The page numbers to show, None for a gap (as Flask-SQLAlchemy's pagination)."""
        last = 0
        for n in range(1, self.pages + 1):
            if (
                n <= left_edge
                or self.page - left_current <= n <= self.page + right_current
                or n > self.pages - right_edge
            ):
                if last + 1 != n:
                    yield None
                yield n
                last = n


def stage_page(
    round_: Round, stage_kind: str, q: str = "", result: str = "", page: int = 1, per_page: int = 50
) -> StagePage:
    stmt = _stage_statement(round_, stage_kind, q, result if result in RESULT_FILTERS else "")
    total = db.session.scalar(stmt.with_only_columns(func.count(Application.id)).order_by(None)) or 0
    page = max(1, page)
    rows = db.session.execute(
        stmt.options(selectinload(Application.candidate))
        .order_by(Application.number)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return StagePage([StageRow(a, s) for a, s in rows], page, per_page, total)


def stage_score_values(round_: Round, stage_kind: str) -> list[Decimal]:
    """Every recorded score of the stage among the round's approved applications (a chart)."""
    return list(
        db.session.scalars(
            select(StageScore.score)
            .join(Application, Application.id == StageScore.application_id)
            .where(
                Application.round_id == round_.id,
                Application.status == ApplicationStatus.APPROVED,
                StageScore.stage_kind == stage_kind,
                StageScore.score.is_not(None),
            )
        )
    )
