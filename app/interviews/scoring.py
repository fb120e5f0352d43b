"""Live panel scoring of an interview (Part C): each member's conflict declaration and points per
criterion, kept independent until every scoring member has submitted. What each person then sees
(progress, side by side, the live page's state) is in scoreboard.py; what the chair does
(finalize, correct, substitutes) in chairing.py; what else a panel member may open, and the
lists they work from, in panel_access.py.

Points are given in steps of 0.5 (0, 0.5, 1, … up to the criterion's maximum): finer steps
suggest a precision an interview does not have, and half points keep the spread meaningful.
Like exam answers, a score carries a client sequence number `seq`; the highest `seq` wins and a
repeat changes nothing, so a page may re-send whatever it is not sure was stored.

Every function that changes something takes the interview's lock (PostgreSQL advisory lock,
released at commit), re-reads what it decides on, audits, and commits before returning: the
caller acknowledges only what is committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..audit.services import record
from ..common.clock import now
from ..common.errors import DomainError, Forbidden, NotAllowed
from ..common.i18n import current_locale
from ..extensions import db
from . import conflicts
from . import services as panels
from .models import (
    ConflictDeclaration,
    CriterionScore,
    Interview,
    MemberSubmission,
    Panel,
    Rubric,
    RubricCriterion,
)

signals = Namespace()
# Sent after the commit that finalizes an interview: its video room closes (video.py).
interview_closed = signals.signal("interview-closed")

POINT_STEP = Decimal("0.5")
CENT = Decimal("0.01")
# Scoring opens a little before the slot (clocks differ; panels start early) and never closes
# by time: a panel may finish typing after the candidate has left.
OPENS_BEFORE = timedelta(minutes=15)
CLOSED_STATUSES = ("cancelled", "no_show")


# ---- errors, each with a code the page acts on ------------------------------------------------


class NotAMember(Forbidden):
    code = "forbidden"


class Recused(NotAllowed):
    code = "recused"


class DeclareFirst(NotAllowed):
    code = "declare_first"


class AlreadySubmitted(NotAllowed):
    code = "submitted"


class Finalized(NotAllowed):
    code = "finalized"


class NotOpen(NotAllowed):
    code = "not_open"


class BadScore(DomainError):
    code = "bad_score"


class Incomplete(NotAllowed):
    code = "incomplete"


class NotReady(NotAllowed):
    """Not every scoring member has submitted, or the quorum is not met."""

    code = "not_ready"


# ---- small helpers ------------------------------------------------------------------------------


def num(value: Decimal | int | None) -> str | None:
    """Points as the protocol and pages write them: "7.5", "10", "23.33"."""
    if value is None:
        return None
    d = Decimal(value)
    return f"{d:.0f}" if d == d.to_integral_value() else f"{d.normalize():f}"


def to_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def lock_interview(interview: Interview) -> None:
    """Serialize every change to one interview's scoring (scores, submissions, finalization) and
    re-read it: concurrent members and devices then decide on what is really stored."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('panel-scoring'), :id)"), {"id": interview.id}
        )
    db.session.refresh(interview)


def get_interview(interview_id: int) -> Interview:
    return panels.get_interview(interview_id)


def panel_of(interview: Interview) -> Panel:
    return interview.slot.panel


def criteria_of(interview: Interview) -> list[RubricCriterion]:
    rubric = db.session.scalar(select(Rubric).where(Rubric.round_id == interview.application.round_id))
    return list(rubric.criteria) if rubric else []


def criterion_title(criterion: RubricCriterion, locale: str = "th") -> str:
    return criterion.title_en if locale == "en" and criterion.title_en else criterion.title_th


def rubric_max(criteria: list[RubricCriterion]) -> Decimal:
    return sum((c.max_points for c in criteria), Decimal(0))


def role_of(interview: Interview, user) -> str | None:
    """chair | member | substitute (named for this interview) | None."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return panels.panel_role(interview, user)


def declaration_of(interview: Interview, user) -> ConflictDeclaration | None:
    return db.session.scalar(
        select(ConflictDeclaration)
        .where(ConflictDeclaration.interview_id == interview.id, ConflictDeclaration.user_id == user.id)
        .execution_options(populate_existing=True)
    )


def is_recused(interview: Interview, user) -> bool:
    """Whether `user` declared a conflict of interest for this interview's candidate: they then
    see nothing of its scores (no other member's points, no final score, no score sheet)."""
    declaration = declaration_of(interview, user)
    return declaration is not None and declaration.has_conflict


def recused_interview_ids(user, interview_ids) -> set[int]:
    """Those of `interview_ids` for which `user` declared a conflict (one query, for lists)."""
    ids = list(interview_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ConflictDeclaration.interview_id).where(
                ConflictDeclaration.user_id == user.id,
                ConflictDeclaration.interview_id.in_(ids),
                ConflictDeclaration.has_conflict.is_(True),
            )
        )
    )


def scoring_ids(interview: Interview) -> list[int]:
    """The scoring members' user ids: the chair first, then members, then substitutes."""
    return [u.id for u in conflicts.scoring_members(interview)]


def users_by_id(ids) -> dict[int, User]:
    ids = list(ids)
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def submissions_of(interview: Interview) -> dict[int, MemberSubmission]:
    return {
        s.user_id: s
        for s in db.session.scalars(
            select(MemberSubmission)
            .where(MemberSubmission.interview_id == interview.id)
            .execution_options(populate_existing=True)
        )
    }


def scores_of(interview: Interview, user_id: int | None = None) -> list[CriterionScore]:
    stmt = select(CriterionScore).where(CriterionScore.interview_id == interview.id)
    if user_id is not None:
        stmt = stmt.where(CriterionScore.user_id == user_id)
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def all_submitted(interview: Interview) -> bool:
    ids = scoring_ids(interview)
    submitted = submissions_of(interview)
    return bool(ids) and all(uid in submitted for uid in ids)


def check_open(interview: Interview) -> None:
    if interview.status == "finalized":
        raise Finalized(_("The Part C score of this candidate has been finalized: scores are locked."))
    if interview.status in CLOSED_STATUSES:
        raise NotAllowed(_("This interview was cancelled or the candidate did not attend."))


def _check_scorer(interview: Interview, user) -> None:
    """A scoring member who declared no conflict and has not submitted yet."""
    if role_of(interview, user) is None:
        raise NotAMember(_("You are not on the panel for this interview."))
    declaration = declaration_of(interview, user)
    if declaration is not None and declaration.has_conflict:
        raise Recused(_("You declared a conflict of interest for this candidate, so you do not score them."))
    if user.id not in scoring_ids(interview):
        raise Recused(_("You are not a scoring member for this interview."))
    if declaration is None:
        raise DeclareFirst(
            _("Declare whether you have a conflict of interest with this candidate before scoring.")
        )


def _criterion(interview: Interview, criterion_id) -> RubricCriterion:
    for c in criteria_of(interview):
        if c.id == criterion_id:
            return c
    raise BadScore(_("That criterion is not in this round's rubric."), "criterion_id")


def parse_points(raw, criterion: RubricCriterion) -> Decimal | None:
    """None clears; otherwise a number from 0 to the criterion's maximum in steps of 0.5."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadScore(_("Points must be a number."), "points")
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise BadScore(_("Points must be a number."), "points") from None
    if not value.is_finite():
        raise BadScore(_("Points must be a number."), "points")
    if value < 0 or value > criterion.max_points:
        raise BadScore(
            _(
                "Points for “%(criterion)s” go from 0 to %(max)s.",
                criterion=criterion_title(criterion, current_locale()),
                max=num(criterion.max_points),
            ),
            "points",
        )
    if value % POINT_STEP and value != criterion.max_points:
        raise BadScore(_("Points go in steps of 0.5."), "points")
    return to_cent(value)


def _upsert(values: dict, set_: dict, where):
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return (
        insert(CriterionScore)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["interview_id", "user_id", "criterion_id"], set_=set_, where=where
        )
    )


# ---- members: declaring, scoring, submitting ----------------------------------------------------


def declare(interview: Interview, user, has_conflict: bool, note: str = "") -> None:
    """A member's conflict-of-interest declaration for this candidate (before scoring them)."""
    lock_interview(interview)
    check_open(interview)
    if role_of(interview, user) is None:
        raise NotAMember(_("You are not on the panel for this interview."))
    if db.session.scalar(
        select(MemberSubmission.id).where(
            MemberSubmission.interview_id == interview.id, MemberSubmission.user_id == user.id
        )
    ):
        raise AlreadySubmitted(_("You have already submitted your scores for this candidate."))
    conflicts.declare_conflict(interview, user, bool(has_conflict), (note or "").strip())
    db.session.commit()


def record_score(interview: Interview, user, criterion_id, points, seq, at: datetime | None = None) -> dict:
    """Store a member's points on one criterion; a higher `seq` replaces a lower one.

    Returns what is stored after the commit (the caller acknowledges only that): `stale` when
    the stored value has a newer `seq` than the one sent.
    """
    at = at or now()
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadScore(_("Each score needs a positive sequence number."), "seq")
    lock_interview(interview)
    check_open(interview)
    _check_scorer(interview, user)
    if at < scoring_opens_at(interview):
        raise NotOpen(_("Scoring opens when the interview begins."))
    if db.session.scalar(
        select(MemberSubmission.id).where(
            MemberSubmission.interview_id == interview.id, MemberSubmission.user_id == user.id
        )
    ):
        raise AlreadySubmitted(
            _("You have already submitted your scores for this candidate: they no longer change.")
        )
    criterion = _criterion(interview, criterion_id)
    value = parse_points(points, criterion)
    key = (
        CriterionScore.interview_id == interview.id,
        CriterionScore.user_id == user.id,
        CriterionScore.criterion_id == criterion.id,
    )
    before = db.session.execute(select(CriterionScore.points, CriterionScore.seq).where(*key)).first()
    table = CriterionScore.__table__
    db.session.execute(
        _upsert(
            {
                "interview_id": interview.id,
                "user_id": user.id,
                "criterion_id": criterion.id,
                "points": value,
                "seq": seq,
                "updated_at": at,
            },
            {"points": value, "seq": seq, "updated_at": at},
            where=table.c.seq < seq,
        )
    )
    stored = db.session.execute(select(CriterionScore.points, CriterionScore.seq).where(*key)).one()
    # (rowcount is no help here: drivers differ on an ON CONFLICT update skipped by its WHERE)
    if stored.seq == seq and (before is None or before.seq < seq):
        record(
            "interview.score",
            object_type="interviews",
            object_id=interview.id,
            actor=user,
            before={
                "criterion": criterion.code,
                "points": before.points if before else None,
                "seq": before.seq if before else None,
            },
            after={"criterion": criterion.code, "points": value, "seq": seq},
        )
        # The interview is under way: it leaves the waiting list.
        db.session.execute(
            update(Interview)
            .where(
                Interview.id == interview.id, Interview.status.in_(("scheduled", "confirmed", "checked_in"))
            )
            .values(status="scoring")
        )
    db.session.commit()
    return {
        "ok": True,
        "criterion_id": criterion.id,
        "points": num(stored.points),
        "seq": stored.seq,
        "stale": stored.seq != seq,
    }


def submit_scores(interview: Interview, user, at: datetime | None = None) -> dict:
    """Close a member's scoring of this candidate, every criterion scored; idempotent."""
    at = at or now()
    lock_interview(interview)
    existing = submissions_of(interview).get(user.id)
    if existing is None:
        check_open(interview)
        _check_scorer(interview, user)
        criteria = criteria_of(interview)
        given = {s.criterion_id: s.points for s in scores_of(interview, user.id)}
        missing = [c for c in criteria if given.get(c.id) is None]
        if missing or not criteria:
            raise Incomplete(
                _(
                    "Score every criterion before submitting. Not scored yet: %(names)s.",
                    names=", ".join(criterion_title(c, current_locale()) for c in missing),
                )
            )
        total = to_cent(sum((given[c.id] for c in criteria), Decimal(0)))
        existing = MemberSubmission(interview_id=interview.id, user_id=user.id, total=total, submitted_at=at)
        db.session.add(existing)
        try:
            db.session.flush()
        except IntegrityError:  # the same member's other device won the race: that one stands
            db.session.rollback()
            existing = submissions_of(interview)[user.id]
        else:
            record(
                "interview.submit_scores",
                object_type="interviews",
                object_id=interview.id,
                actor=user,
                after={"total": total, "points": {c.code: given[c.id] for c in criteria}},
            )
    db.session.commit()
    return {
        "ok": True,
        "submitted": True,
        "total": num(existing.total),
        "all_submitted": all_submitted(interview),
    }


# ---- what each person sees ------------------------------------------------------------------------


def scoring_opens_at(interview: Interview) -> datetime:
    """Members may enter scores from this moment (a little before the interview begins)."""
    return interview.slot.starts_at - OPENS_BEFORE


# ---- the chair ----------------------------------------------------------------------------------


def is_chair(interview: Interview, user) -> bool:
    """Whether `user` presides over this interview: the panel's chair, or the acting chair HR
    named because the chair declared a conflict for this candidate."""
    user_id = getattr(user, "id", None)
    return user_id is not None and conflicts.presiding_chair_id(interview) == user_id


def is_acting_chair(interview: Interview, user) -> bool:
    """Whether `user` presides over this interview in place of the recused panel chair."""
    return interview.acting_chair_id is not None and interview.acting_chair_id == getattr(user, "id", None)
