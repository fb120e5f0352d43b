"""What each person sees of an interview's scoring: the chair's progress, the side-by-side totals
and the scaled Part C score, a member's own sheet, the live page's state, and the corrections."""

from __future__ import annotations

import statistics
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.models import AuditEntry
from ..common.clock import now
from ..common.errors import NotAllowed
from ..common.thai import format_datetime
from ..extensions import db
from ..recruitment.models import StageKind
from . import conflicts
from .models import (
    ConflictDeclaration,
    Interview,
)
from .scoring import (
    NotAMember,
    NotReady,
    all_submitted,
    criteria_of,
    criterion_title,
    declaration_of,
    is_acting_chair,
    is_chair,
    is_recused,
    num,
    panel_of,
    role_of,
    rubric_max,
    scores_of,
    scoring_ids,
    scoring_opens_at,
    submissions_of,
    to_cent,
    users_by_id,
)


def progress(interview: Interview) -> dict:
    """For the chair: where each scoring member is — never their points. (Names are people's
    official Thai names, as on every panel and proctor list.)"""
    criteria = criteria_of(interview)
    ids = scoring_ids(interview)
    submitted = submissions_of(interview)
    scored: dict[int, int] = {}
    for s in scores_of(interview):
        if s.points is not None:
            scored[s.user_id] = scored.get(s.user_id, 0) + 1
    declared = {
        d.user_id: d
        for d in db.session.scalars(
            select(ConflictDeclaration).where(ConflictDeclaration.interview_id == interview.id)
        )
    }
    recused = [d.user_id for d in declared.values() if d.has_conflict]
    users = users_by_id(ids + recused)
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
        "quorum": {"required": quorum, "scoring": len(ids), "met": bool(conflicts.quorum_met(interview))},
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
    users = users_by_id(ids)
    submitted = submissions_of(interview)
    points: dict[int, dict[int, Decimal]] = {}
    for s in scores_of(interview):
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
        "aggregate": num(to_cent(aggregate)),
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
    return to_cent(aggregate * stage_max / maximum)


def member_view(interview: Interview, user, locale: str = "th") -> dict:
    """A member's own scores; the other members' only once every scoring member submitted."""
    own = {
        str(s.criterion_id): {"points": num(s.points), "seq": s.seq} for s in scores_of(interview, user.id)
    }
    mine = submissions_of(interview).get(user.id)
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
    users = users_by_id({e.actor_id for e in entries if e.actor_id})
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
