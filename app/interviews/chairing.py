"""What the chair of an interview does: name a substitute, finalize the scores into Part C, correct
a final score (audited, with a reason); HR names an acting chair."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..accounts.models import User
from ..audit.services import record
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import StageKind
from ..scores.recording import record_stage_score
from . import conflicts, invitations
from . import services as panels
from .models import (
    Interview,
)
from .scoreboard import part_c_max, side_by_side
from .scoring import (
    Finalized,
    NotReady,
    Recused,
    check_open,
    declaration_of,
    interview_closed,
    is_chair,
    lock_interview,
    num,
    panel_of,
    scoring_ids,
    submissions_of,
    to_cent,
    users_by_id,
)


def require_chair(interview: Interview, user) -> None:
    declaration = declaration_of(interview, user)
    if declaration is not None and declaration.has_conflict:
        raise Recused(
            _("You declared a conflict of interest for this candidate: you cannot decide their score.")
        )
    if not is_chair(interview, user):
        raise Forbidden(_("Only the chair of the panel may do this."))


def name_substitute(interview: Interview, chair, user) -> None:
    lock_interview(interview)
    check_open(interview)
    require_chair(interview, chair)
    conflicts.name_substitute(interview, chair, user)
    db.session.commit()


def name_acting_chair(interview: Interview, actor, user: User | None) -> Interview:
    """HR names the scoring member who presides over this interview in place of a chair who
    declared a conflict for the candidate (or replaces an acting chair who can no longer act).
    Audited; the member is told by email."""
    lock_interview(interview)
    panels.need_hr(actor, interview.application.round)
    check_open(interview)
    if not conflicts.chair_recused(interview):
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
    conflicted = conflicts.conflicted_user_ids(interview)
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
    lock_interview(interview)
    if interview.status == "finalized":
        raise Finalized(_("This interview has already been finalized."))
    check_open(interview)
    require_chair(interview, chair)
    if not conflicts.quorum_met(interview):
        raise NotReady(_("The panel has no quorum for this candidate: name a substitute first."))
    ids = scoring_ids(interview)
    pending = [uid for uid in ids if uid not in submissions_of(interview)]
    if pending or not ids:
        users = users_by_id(pending)
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
    lock_interview(interview)
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
    if value != to_cent(value):
        raise ValidationFailed(_("The score has at most 2 decimal places."), "score")
    value = to_cent(value)
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
