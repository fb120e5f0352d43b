"""Live panel scoring of an interview (Part C): each member's conflict declaration and points per
criterion, kept independent until every scoring member has submitted; the chair's progress and
side-by-side views; finalization into the Part C stage score; audited corrections. What else a
panel member may open, and the lists they work from, are in panel_access.py.

Points are given in steps of 0.5 (0, 0.5, 1, … up to the criterion's maximum): finer steps
suggest a precision an interview does not have, and half points keep the spread meaningful.
Like exam answers, a score carries a client sequence number `seq`; the highest `seq` wins and a
repeat changes nothing, so a page may re-send whatever it is not sure was stored.

Every function that changes something takes the interview's lock (PostgreSQL advisory lock,
released at commit), re-reads what it decides on, audits, and commits before returning: the
caller acknowledges only what is committed.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..audit.models import AuditEntry
from ..audit.services import record
from ..common.clock import now
from ..common.errors import DomainError, Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import current_locale
from ..common.thai import format_datetime
from ..extensions import db
from ..recruitment.models import StageKind
from ..scores.recording import record_stage_score
from . import invitations
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


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _lock(interview: Interview) -> None:
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
    return [u.id for u in panels.scoring_members(interview)]


def _users(ids) -> dict[int, User]:
    ids = list(ids)
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _submissions(interview: Interview) -> dict[int, MemberSubmission]:
    return {
        s.user_id: s
        for s in db.session.scalars(
            select(MemberSubmission)
            .where(MemberSubmission.interview_id == interview.id)
            .execution_options(populate_existing=True)
        )
    }


def _scores(interview: Interview, user_id: int | None = None) -> list[CriterionScore]:
    stmt = select(CriterionScore).where(CriterionScore.interview_id == interview.id)
    if user_id is not None:
        stmt = stmt.where(CriterionScore.user_id == user_id)
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def all_submitted(interview: Interview) -> bool:
    ids = scoring_ids(interview)
    submitted = _submissions(interview)
    return bool(ids) and all(uid in submitted for uid in ids)


def _check_open(interview: Interview) -> None:
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
    return _q(value)


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
    _lock(interview)
    _check_open(interview)
    if role_of(interview, user) is None:
        raise NotAMember(_("You are not on the panel for this interview."))
    if db.session.scalar(
        select(MemberSubmission.id).where(
            MemberSubmission.interview_id == interview.id, MemberSubmission.user_id == user.id
        )
    ):
        raise AlreadySubmitted(_("You have already submitted your scores for this candidate."))
    panels.declare_conflict(interview, user, bool(has_conflict), (note or "").strip())
    db.session.commit()


def record_score(interview: Interview, user, criterion_id, points, seq, at: datetime | None = None) -> dict:
    """Store a member's points on one criterion; a higher `seq` replaces a lower one.

    Returns what is stored after the commit (the caller acknowledges only that): `stale` when
    the stored value has a newer `seq` than the one sent.
    """
    at = at or now()
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadScore(_("Each score needs a positive sequence number."), "seq")
    _lock(interview)
    _check_open(interview)
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
    _lock(interview)
    existing = _submissions(interview).get(user.id)
    if existing is None:
        _check_open(interview)
        _check_scorer(interview, user)
        criteria = criteria_of(interview)
        given = {s.criterion_id: s.points for s in _scores(interview, user.id)}
        missing = [c for c in criteria if given.get(c.id) is None]
        if missing or not criteria:
            raise Incomplete(
                _(
                    "Score every criterion before submitting. Not scored yet: %(names)s.",
                    names=", ".join(criterion_title(c, current_locale()) for c in missing),
                )
            )
        total = _q(sum((given[c.id] for c in criteria), Decimal(0)))
        existing = MemberSubmission(interview_id=interview.id, user_id=user.id, total=total, submitted_at=at)
        db.session.add(existing)
        try:
            db.session.flush()
        except IntegrityError:  # the same member's other device won the race: that one stands
            db.session.rollback()
            existing = _submissions(interview)[user.id]
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


def progress(interview: Interview) -> dict:
    """For the chair: where each scoring member is — never their points. (Names are people's
    official Thai names, as on every panel and proctor list.)"""
    criteria = criteria_of(interview)
    ids = scoring_ids(interview)
    submitted = _submissions(interview)
    scored: dict[int, int] = {}
    for s in _scores(interview):
        if s.points is not None:
            scored[s.user_id] = scored.get(s.user_id, 0) + 1
    declared = {
        d.user_id: d
        for d in db.session.scalars(
            select(ConflictDeclaration).where(ConflictDeclaration.interview_id == interview.id)
        )
    }
    recused = [d.user_id for d in declared.values() if d.has_conflict]
    users = _users(ids + recused)
    roles = {m.user_id: m.role for m in panel_of(interview).members}
    rows = []
    for uid in ids:
        n = scored.get(uid, 0)
        state = "submitted" if uid in submitted else "scoring" if n else "not_started"
        rows.append(
            {
                "user_id": uid,
                "name": users[uid].full_name_th,
                "role": roles.get(uid, "substitute"),
                "declared": uid in declared,
                "state": state,
                "scored": min(n, len(criteria)),
                "of": len(criteria),
            }
        )
    quorum = panel_of(interview).quorum
    return {
        "interview_id": interview.id,
        "members": rows,
        "recused": [
            {"user_id": uid, "name": users[uid].full_name_th, "role": roles.get(uid, "substitute")}
            for uid in recused
        ],
        "quorum": {"required": quorum, "scoring": len(ids), "met": bool(panels.quorum_met(interview))},
        "all_submitted": bool(ids) and all(uid in submitted for uid in ids),
        "finalized": interview.status == "finalized",
    }


def _aggregate(totals: list[Decimal], how: str) -> Decimal:
    if not totals:
        return Decimal(0)
    if how == "median":
        return Decimal(statistics.median(totals))
    return sum(totals, Decimal(0)) / len(totals)


def part_c_max(interview: Interview) -> Decimal:
    stage = interview.application.round.stage(StageKind.PART_C)
    if stage is None:
        raise NotAllowed(_("This round has no Part C stage to record an interview score in."))
    return stage.max_score


def side_by_side(interview: Interview, locale: str = "th") -> dict:
    """Every scoring member's points per criterion and total, the aggregate, the spread and
    its flag, and the Part C score it makes — only once every scoring member has submitted."""
    if not all_submitted(interview):
        raise NotReady(_("The scores are shown side by side once every scoring member has submitted."))
    criteria = criteria_of(interview)
    ids = scoring_ids(interview)
    users = _users(ids)
    submitted = _submissions(interview)
    points: dict[int, dict[int, Decimal]] = {}
    for s in _scores(interview):
        points.setdefault(s.user_id, {})[s.criterion_id] = s.points
    roles = {m.user_id: m.role for m in panel_of(interview).members}
    members = [
        {
            "user_id": uid,
            "name": users[uid].full_name_th,
            "role": roles.get(uid, "substitute"),
            "points": {str(c.id): num(points.get(uid, {}).get(c.id)) for c in criteria},
            "total": num(submitted[uid].total),
        }
        for uid in ids
    ]
    totals = [submitted[uid].total for uid in ids]
    panel = panel_of(interview)
    aggregate = _aggregate(totals, panel.aggregate)
    spread = max(totals) - min(totals)
    maximum = rubric_max(criteria)
    stage_max = part_c_max(interview)
    per_criterion = {}
    for c in criteria:
        given = [points.get(uid, {}).get(c.id) or Decimal(0) for uid in ids]
        per_criterion[str(c.id)] = num(max(given) - min(given))
    return {
        "interview_id": interview.id,
        "criteria": [
            {"id": c.id, "code": c.code, "title": criterion_title(c, locale), "max_points": num(c.max_points)}
            for c in criteria
        ],
        "members": members,
        "criterion_spread": per_criterion,
        "aggregate_method": panel.aggregate,
        "aggregate": num(_q(aggregate)),
        "rubric_max": num(maximum),
        "spread": num(spread),
        "spread_threshold": num(panel.spread_threshold),
        "spread_flag": spread > panel.spread_threshold,
        "stage_max": num(stage_max),
        "part_c_score": num(scaled(aggregate, maximum, stage_max)),
        "final_score": num(interview.final_score),
        "finalized": interview.status == "finalized",
    }


def scaled(aggregate: Decimal, maximum: Decimal, stage_max: Decimal) -> Decimal:
    """The aggregate of the rubric's points on the stage's scale, to 2 places (half up)."""
    if maximum <= 0:
        raise NotAllowed(_("This round's rubric has no criteria."))
    return _q(aggregate * stage_max / maximum)


def member_view(interview: Interview, user, locale: str = "th") -> dict:
    """A member's own scores; the other members' only once every scoring member submitted."""
    own = {str(s.criterion_id): {"points": num(s.points), "seq": s.seq} for s in _scores(interview, user.id)}
    mine = _submissions(interview).get(user.id)
    view = {
        "scores": own,
        "submitted": mine is not None,
        "total": num(mine.total) if mine else None,
        "all_submitted": all_submitted(interview),
        "others": None,
    }
    if view["all_submitted"] and not is_recused(interview, user):
        view["others"] = [m for m in side_by_side(interview, locale)["members"] if m["user_id"] != user.id]
    return view


def scoring_opens_at(interview: Interview) -> datetime:
    """Members may enter scores from this moment (a little before the interview begins)."""
    return interview.slot.starts_at - OPENS_BEFORE


def state_for(interview: Interview, user, locale: str = "th") -> dict:
    """Everything the scoring page needs for `user` (the ack of `join`)."""
    role = role_of(interview, user)
    if role is None:
        raise NotAMember(_("You are not on the panel for this interview."))
    declaration = declaration_of(interview, user)
    recused = declaration is not None and declaration.has_conflict
    # A recused member (the panel's chair included, when HR has not named an acting chair yet)
    # sees nothing of this interview's scores: not the others', not the progress, not the final.
    chairs = is_chair(interview, user) and not recused
    ids = scoring_ids(interview)
    criteria = criteria_of(interview)
    app_ = interview.application
    slot = interview.slot
    state = {
        "interview": {
            "id": interview.id,
            "status": interview.status,
            "candidate": app_.candidate.full_name_th,
            "application_number": app_.number,
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
            # The fields stay closed until then, and the page says when they open.
            "scoring_opens_at": scoring_opens_at(interview).isoformat(),
            "scoring_opens_text": format_datetime(scoring_opens_at(interview), locale),
            "scoring_open": now() >= scoring_opens_at(interview),
            "server_time": now().isoformat(),
            "final_score": None if recused else num(interview.final_score),
            "finalized": interview.status == "finalized",
        },
        "role": role,
        "recused": recused,
        "chairs": chairs,
        "acting_chair": is_acting_chair(interview, user),
        "declaration": (
            {"has_conflict": declaration.has_conflict, "note": declaration.note} if declaration else None
        ),
        "scoring_member": user.id in ids,
        "criteria": [
            {
                "id": c.id,
                "code": c.code,
                "title": criterion_title(c, locale),
                "max_points": num(c.max_points),
                "descriptors": [
                    {
                        "points": d.get("points"),
                        "text": (d.get("en") if locale == "en" and d.get("en") else d.get("th", "")),
                    }
                    for d in (c.descriptors or [])
                ],
            }
            for c in criteria
        ],
        "rubric_max": num(rubric_max(criteria)),
        **member_view(interview, user, locale),
    }
    if state["chairs"]:
        state["progress"] = progress(interview)
        state["side_by_side"] = side_by_side(interview, locale) if state["all_submitted"] else None
        state["corrections"] = [{k: v for k, v in c.items() if k != "at_dt"} for c in corrections(interview)]
    return state


# ---- the chair ----------------------------------------------------------------------------------


def is_chair(interview: Interview, user) -> bool:
    """Whether `user` presides over this interview: the panel's chair, or the acting chair HR
    named because the chair declared a conflict for this candidate."""
    user_id = getattr(user, "id", None)
    return user_id is not None and panels.presiding_chair_id(interview) == user_id


def is_acting_chair(interview: Interview, user) -> bool:
    """Whether `user` presides over this interview in place of the recused panel chair."""
    return interview.acting_chair_id is not None and interview.acting_chair_id == getattr(user, "id", None)


def require_chair(interview: Interview, user) -> None:
    declaration = declaration_of(interview, user)
    if declaration is not None and declaration.has_conflict:
        raise Recused(
            _("You declared a conflict of interest for this candidate: you cannot decide their score.")
        )
    if not is_chair(interview, user):
        raise Forbidden(_("Only the chair of the panel may do this."))


def name_substitute(interview: Interview, chair, user) -> None:
    _lock(interview)
    _check_open(interview)
    require_chair(interview, chair)
    panels.name_substitute(interview, chair, user)
    db.session.commit()


def name_acting_chair(interview: Interview, actor, user: User | None) -> Interview:
    """HR names the scoring member who presides over this interview in place of a chair who
    declared a conflict for the candidate (or replaces an acting chair who can no longer act).
    Audited; the member is told by email."""
    _lock(interview)
    panels.need_hr(actor, interview.application.round)
    _check_open(interview)
    if not panels.chair_recused(interview):
        raise NotAllowed(_("The chair has declared no conflict for this candidate: the chair presides."))
    if user is None:
        raise ValidationFailed(_("Choose the member who presides."), "user_id")
    if user.id not in scoring_ids(interview):
        raise NotAllowed(
            _(
                "%(name)s does not score this candidate (not on the panel, or recused).",
                name=user.full_name_th,
            ),
            "user_id",
        )
    if interview.acting_chair_id == user.id:
        raise NotAllowed(
            _("%(name)s already presides over this interview.", name=user.full_name_th), "user_id"
        )
    before = interview.acting_chair_id
    interview.acting_chair_id = user.id
    record(
        "interview.acting_chair",
        interview,
        actor=actor,
        before={"acting_chair": before},
        after={"acting_chair": user.id, "recused_chair": panels.chair_of(panel_of(interview)).id},
    )
    invitations.tell_acting_chair(interview, user)
    db.session.commit()
    return interview


def substitute_choices(interview: Interview) -> list[User]:
    """Users with the panel role who could stand in: not on this panel nor named already."""
    conflicted = panels.conflicted_user_ids(interview)
    return [
        u
        for u in panels.panel_users()
        if panels.panel_role(interview, u) is None
        and u.id not in conflicted
        and u.id != interview.application.candidate_id
    ]


def finalize(interview: Interview, chair, at: datetime | None = None) -> Interview:
    """The chair closes the interview: the aggregate of the members' totals, scaled to the
    Part C stage's maximum, becomes the candidate's Part C score. Locked afterwards."""
    at = at or now()
    _lock(interview)
    if interview.status == "finalized":
        raise Finalized(_("This interview has already been finalized."))
    _check_open(interview)
    require_chair(interview, chair)
    if not panels.quorum_met(interview):
        raise NotReady(_("The panel has no quorum for this candidate: name a substitute first."))
    ids = scoring_ids(interview)
    pending = [uid for uid in ids if uid not in _submissions(interview)]
    if pending or not ids:
        users = _users(pending)
        raise NotReady(
            _(
                "Not every scoring member has submitted yet: %(names)s.",
                names=", ".join(users[uid].full_name_th for uid in pending),
            )
        )
    view = side_by_side(interview)
    score = Decimal(view["part_c_score"])
    before = {"status": interview.status, "final_score": interview.final_score}
    interview.final_score = score
    interview.finalized_at = at
    interview.finalized_by_id = chair.id
    interview.status = "finalized"
    record(
        "interview.finalize",
        interview,
        actor=chair,
        before=before,
        after={
            "status": "finalized",
            "final_score": score,
            "aggregate": view["aggregate"],
            "aggregate_method": view["aggregate_method"],
            "rubric_max": view["rubric_max"],
            "stage_max": view["stage_max"],
            "spread": view["spread"],
            "spread_flag": view["spread_flag"],
            "totals": {str(m["user_id"]): m["total"] for m in view["members"]},
        },
    )
    record_stage_score(
        interview.application,
        StageKind.PART_C,
        score,
        source="interview",
        source_ref=f"interview:{interview.id}",
        actor=chair,
    )
    db.session.commit()
    interview_closed.send(interview, interview=interview)
    return interview


def correct_final_score(
    interview: Interview, chair, new_score, reason: str, at: datetime | None = None
) -> Interview:
    """Change a finalized Part C score: the chair only, with a reason, audited before/after."""
    _lock(interview)
    if interview.status != "finalized":
        raise NotAllowed(_("Only a finalized score can be corrected."))
    require_chair(interview, chair)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the correction."), "reason")
    stage_max = part_c_max(interview)
    try:
        value = Decimal(str(new_score).strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or isinstance(new_score, bool):
        raise ValidationFailed(_("The score must be a number."), "score")
    if value < 0 or value > stage_max:
        raise ValidationFailed(_("The score goes from 0 to %(max)s.", max=num(stage_max)), "score")
    if value != _q(value):
        raise ValidationFailed(_("The score has at most 2 decimal places."), "score")
    value = _q(value)
    if value == interview.final_score:
        raise ValidationFailed(_("That is already the score."), "score")
    before = interview.final_score
    interview.final_score = value
    record(
        "interview.correct_score",
        interview,
        actor=chair,
        before={"final_score": before},
        after={"final_score": value, "reason": reason},
    )
    record_stage_score(
        interview.application,
        StageKind.PART_C,
        value,
        source="interview",
        source_ref=f"interview:{interview.id}",
        actor=chair,
        note=reason,
    )
    db.session.commit()
    return interview


def corrections(interview: Interview) -> list[dict]:
    """The corrections of a finalized score, oldest first, from the audit log."""
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "interviews",
                AuditEntry.object_id == str(interview.id),
                AuditEntry.action == "interview.correct_score",
            )
            .order_by(AuditEntry.seq)
        )
    )
    users = _users({e.actor_id for e in entries if e.actor_id})
    return [
        {
            "at": e.at.isoformat(),
            "at_dt": e.at,
            "by": users[e.actor_id].full_name_th if e.actor_id in users else "",
            "before": _num_text((e.before or {}).get("final_score")),
            "after": _num_text((e.after or {}).get("final_score")),
            "reason": (e.after or {}).get("reason", ""),
        }
        for e in entries
    ]


def _num_text(value: str | None) -> str | None:
    return num(Decimal(value)) if value not in (None, "") else None
