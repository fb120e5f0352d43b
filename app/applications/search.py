"""HR at volume: the applications of an agency or one round, searched (name, national ID,
application number), filtered (status, round, track, position) and paged; and approving many at
once, each application approved and audited on its own, each refusal reported."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..background.services import Outcome, register
from ..common.errors import DomainError
from ..extensions import db
from ..recruitment.models import Position, Round
from ..recruitment.services import TRACK_MODES
from .models import Application, ApplicationStatus
from .services import mark_approved

# Approvals are committed in batches: one transaction per application would make 5,000 of them
# wait on 5,000 commits, one transaction for all would hold the audit chain for as long.
APPROVE_BATCH = 200


@dataclass(frozen=True)
class ApplicationQuery:
    """What HR asked for: always within one agency, optionally one round."""

    agency_id: int
    round_id: int | None = None
    q: str = ""
    status: str = ""
    track: str = ""
    position_id: int | None = None
    # Only applications that existed when HR confirmed a bulk approval (see `approve_matching`).
    up_to_id: int | None = None

    def args(self) -> dict:
        """The query as the page's GET parameters (for the pager and the bulk form)."""
        values = {
            "q": self.q,
            "status": self.status,
            "track": self.track,
            "position": self.position_id,
        }
        return {k: v for k, v in values.items() if v}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _search_terms(q: str):
    """Each word must match a name, the application number or the national ID (written with or
    without dashes and spaces)."""
    for word in q.split():
        digits = word.replace("-", "")
        like = _like(word)
        conditions = [
            func.lower(Application.number).like(like, escape="\\"),
            func.lower(User.first_name_th).like(like, escape="\\"),
            func.lower(User.last_name_th).like(like, escape="\\"),
            func.lower(User.first_name_en).like(like, escape="\\"),
            func.lower(User.last_name_en).like(like, escape="\\"),
        ]
        if digits.isdigit():
            conditions.append(User.national_id.like(_like(digits), escape="\\"))
        yield or_(*conditions)


def _statement(query: ApplicationQuery) -> Select:
    stmt = (
        select(Application)
        .join(Round, Round.id == Application.round_id)
        .join(User, User.id == Application.candidate_id)
        .where(Round.agency_id == query.agency_id)
    )
    if query.round_id is not None:
        stmt = stmt.where(Application.round_id == query.round_id)
    if query.status:
        stmt = stmt.where(Application.status == query.status)
    if query.track in TRACK_MODES:
        stmt = stmt.where(Round.mode.in_(TRACK_MODES[query.track]))
    if query.position_id:
        stmt = stmt.where(Round.position_id == query.position_id)
    if query.up_to_id is not None:
        stmt = stmt.where(Application.id <= query.up_to_id)
    for condition in _search_terms(query.q.strip()):
        stmt = stmt.where(condition)
    return stmt


def search_applications(query: ApplicationQuery, page: int = 1, per_page: int = 50):
    """One page of the matching applications (a Flask-SQLAlchemy Pagination), by round and
    application number; a page past the end is empty, not an error."""
    stmt = (
        _statement(query)
        .options(selectinload(Application.candidate), selectinload(Application.round))
        .order_by(Application.round_id, Application.number)
    )
    return db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False, count=True)


@dataclass(frozen=True)
class Awaiting:
    """The applications awaiting review that match a query, as HR confirms approving them."""

    count: int
    up_to_id: int | None  # the newest of them: later arrivals are not part of the confirmation


def awaiting_review(query: ApplicationQuery) -> Awaiting:
    stmt = _statement(query).where(Application.status == ApplicationStatus.SUBMITTED)
    row = db.session.execute(
        stmt.with_only_columns(func.count(Application.id), func.max(Application.id)).order_by(None)
    ).one()
    return Awaiting(row[0] or 0, row[1])


@dataclass
class BulkOutcome:
    approved: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # approved before: nothing to do
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, why)

    @property
    def total(self) -> int:
        return len(self.approved) + len(self.already) + len(self.refused)


def approve_many(application_ids, reviewer, ip: str = "", progress=None) -> BulkOutcome:
    """Approve each application HR chose, each on its own audit entry (`how: bulk`); one that
    may not be approved (another agency's, withdrawn, a round no longer open to review) is
    reported with its reason and the others go on. `progress(done, total)` is told after each
    batch (a background job's progress bar)."""
    ids = sorted(set(application_ids))
    outcome = BulkOutcome()
    for start in range(0, len(ids), APPROVE_BATCH):
        chunk = ids[start : start + APPROVE_BATCH]
        apps = db.session.scalars(
            select(Application)
            .where(Application.id.in_(chunk))
            .options(selectinload(Application.round))
            .order_by(Application.number)
        )
        for app_ in apps:
            if app_.status == ApplicationStatus.APPROVED:
                outcome.already.append(app_.number)
                continue
            try:
                mark_approved(app_, reviewer, ip=ip, how="bulk")
            except DomainError as err:
                outcome.refused.append((app_.number, err.message))
                continue
            outcome.approved.append(app_.number)
        db.session.commit()
        if progress is not None:
            progress(min(start + APPROVE_BATCH, len(ids)), len(ids))
    return outcome


def approve_matching(query: ApplicationQuery, reviewer, ip: str = "", progress=None) -> BulkOutcome:
    """Approve every application awaiting review that matches `query` (HR confirmed how many,
    up to `query.up_to_id`)."""
    stmt = _statement(query).where(Application.status == ApplicationStatus.SUBMITTED)
    ids = list(db.session.scalars(stmt.with_only_columns(Application.id).order_by(None)))
    return approve_many(ids, reviewer, ip=ip, progress=progress)


# ---- as a background job (thousands at once) ---------------------------------------------

JOB_KIND = "applications.approve_many"


def outcome_summary(outcome: BulkOutcome) -> str:
    text = ngettext("%(num)d application approved.", "%(num)d applications approved.", len(outcome.approved))
    if outcome.already:
        text += " " + ngettext(
            "%(num)d was already approved.", "%(num)d were already approved.", len(outcome.already)
        )
    if outcome.refused:
        text += " " + ngettext(
            "%(num)d application not approved", "%(num)d applications not approved", len(outcome.refused)
        )
    return text


def approve_job(progress, reviewer_id: int, ip: str = "", ids=None, query=None) -> Outcome:
    """The background job of a large bulk approval: the same rules, its progress shown, and
    each refusal listed on the job's page."""
    reviewer = db.session.get(User, reviewer_id)
    if query is not None:
        outcome = approve_matching(ApplicationQuery(**query), reviewer, ip=ip, progress=progress)
    else:
        outcome = approve_many(ids or [], reviewer, ip=ip, progress=progress)
    return Outcome(
        summary=outcome_summary(outcome),
        data={
            "approved": len(outcome.approved),
            "already": len(outcome.already),
            "columns": [_("Application number"), _("Reason")],
            "rows": [list(r) for r in outcome.refused],
        },
    )


register(JOB_KIND, approve_job)


def positions_in_use(agency_id: int) -> list:
    """The positions of the agency's rounds (the position filter's choices)."""
    return list(
        db.session.scalars(
            select(Position)
            .where(Position.id.in_(select(Round.position_id).where(Round.agency_id == agency_id)))
            .order_by(Position.title_th)
        )
    )
