"""Conflicts of interest declared per candidate, the quorum of members left to score, the chair's
substitutes, and the acting chair HR names when the chair is the one recused."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..accounts.models import Role, User
from ..audit.services import record
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import (
    ConflictDeclaration,
    Interview,
    InterviewSlot,
    MemberSubmission,
    Panel,
    PanelMember,
    Substitute,
)
from .services import CHAIR, CLOSED_STATES, chair_of, panel_of, panel_role, substitutes_of


def conflict_of(interview: Interview, user) -> ConflictDeclaration | None:
    return db.session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.interview_id == interview.id,
            ConflictDeclaration.user_id == getattr(user, "id", user),
        )
    )


def conflicted_user_ids(interview: Interview) -> set[int]:
    return set(
        db.session.scalars(
            select(ConflictDeclaration.user_id).where(
                ConflictDeclaration.interview_id == interview.id, ConflictDeclaration.has_conflict.is_(True)
            )
        )
    )


def declare_conflict(interview: Interview, user, has_conflict: bool, note: str = "") -> ConflictDeclaration:
    """A member's (or substitute's) declaration for this candidate, before scoring them.

    A declared conflict recuses the member for this candidate and stands: it cannot be taken
    back. "No conflict" may later turn into a conflict (something comes to light), until the
    member has submitted their scores.
    """
    if panel_role(interview, user) is None:
        raise Forbidden(_("Only the panel's members declare conflicts for its candidates."))
    if interview.status in CLOSED_STATES:
        raise NotAllowed(_("This interview is closed."))
    note = (note or "").strip()
    if has_conflict and not note:
        raise ValidationFailed(_("Say what the conflict of interest is."), "note")
    if len(note) > 2000:
        raise ValidationFailed(_("The note is at most 2,000 characters."), "note")
    existing = conflict_of(interview, user)
    if existing is not None:
        if existing.has_conflict:
            raise NotAllowed(_("You have declared a conflict for this candidate; it stands."))
        if not has_conflict:
            return existing  # the same declaration again
        submitted = db.session.scalar(
            select(
                exists().where(
                    MemberSubmission.interview_id == interview.id, MemberSubmission.user_id == user.id
                )
            )
        )
        if submitted:
            raise NotAllowed(_("You have submitted your scores for this candidate."))
        before = {"has_conflict": False, "note": existing.note}
        existing.has_conflict, existing.note = True, note
        record(
            "interview.conflict_declare",
            existing,
            actor=user,
            before=before,
            after={"interview": interview.id, "has_conflict": True, "note": note},
        )
        db.session.commit()
        return existing
    declaration = ConflictDeclaration(
        interview_id=interview.id, user_id=user.id, has_conflict=bool(has_conflict), note=note
    )
    db.session.add(declaration)
    db.session.flush()
    record(
        "interview.conflict_declare",
        declaration,
        actor=user,
        after={"interview": interview.id, "has_conflict": bool(has_conflict), "note": note},
    )
    db.session.commit()
    return declaration


def scoring_members(interview: Interview) -> list[User]:
    """Who scores this candidate: the panel's members (chair first) without a declared
    conflict, then the substitutes the chair named, also without one."""
    conflicted = conflicted_user_ids(interview)
    panel = panel_of(interview)
    members = sorted(panel.members, key=lambda m: (m.role != CHAIR, m.id))
    users = [m.user for m in members if m.user_id not in conflicted]
    subs = [s.user_id for s in substitutes_of(interview) if s.user_id not in conflicted]
    users += [db.session.get(User, uid) for uid in subs]
    return users


def quorum_met(interview: Interview) -> bool:
    return len(scoring_members(interview)) >= panel_of(interview).quorum


def busy_elsewhere(user_id: int, slot: InterviewSlot) -> bool:
    """Whether the user sits, at the slot's time, in a booked slot of another panel (as a member
    or as a substitute)."""
    overlapping = (InterviewSlot.starts_at < slot.ends_at) & (InterviewSlot.ends_at > slot.starts_at)
    as_member = select(
        exists().where(
            Interview.slot_id == InterviewSlot.id,
            InterviewSlot.cancelled.is_(False),
            Interview.status != "cancelled",
            overlapping,
            InterviewSlot.panel_id != slot.panel_id,
            InterviewSlot.panel_id.in_(select(PanelMember.panel_id).where(PanelMember.user_id == user_id)),
        )
    )
    as_substitute = select(
        exists().where(
            Substitute.user_id == user_id,
            Substitute.interview_id == Interview.id,
            Interview.slot_id == InterviewSlot.id,
            InterviewSlot.cancelled.is_(False),
            Interview.status != "cancelled",
            overlapping,
            InterviewSlot.id != slot.id,
        )
    )
    return bool(db.session.scalar(as_member) or db.session.scalar(as_substitute))


def name_substitute(interview: Interview, chair, user: User) -> Substitute:
    """The chair names a substitute for this interview (when recusals leave the panel short):
    a panel-role user, not already scoring, not conflicted, and free at that time."""
    panel = panel_of(interview)
    if presiding_chair_id(interview) != getattr(chair, "id", None):
        raise Forbidden(_("Only the chair presiding over this interview names substitutes."))
    if interview.status in CLOSED_STATES:
        raise NotAllowed(_("This interview is closed."))
    if user is None:
        raise ValidationFailed(_("Choose the substitute."), "user_id")
    if not user.has_role(Role.PANEL) or not user.active:
        raise ValidationFailed(_("A substitute must be an active user with the panel role."), "user_id")
    if user.id in conflicted_user_ids(interview):
        raise NotAllowed(
            _("%(name)s has declared a conflict for this candidate.", name=user.full_name_th), "user_id"
        )
    if panel_role(interview, user) is not None:
        raise NotAllowed(_("%(name)s already sits on this panel.", name=user.full_name_th), "user_id")
    if user.id == interview.application.candidate_id:
        raise NotAllowed(_("The candidate cannot judge their own interview."), "user_id")
    if busy_elsewhere(user.id, interview.slot):
        raise NotAllowed(_("%(name)s sits on another panel at that time.", name=user.full_name_th), "user_id")
    sub = Substitute(interview_id=interview.id, user_id=user.id, named_by_id=chair.id)
    db.session.add(sub)
    db.session.flush()
    record(
        "interview.substitute",
        sub,
        actor=chair,
        after={"interview": interview.id, "user": user.id, "panel": panel.id},
    )
    db.session.commit()
    return sub


def presiding_chair_id(interview: Interview) -> int | None:
    """Who presides over this interview (finalizes, corrects, names substitutes): the acting
    chair HR named for it, else the panel's chair."""
    if interview.acting_chair_id is not None:
        return interview.acting_chair_id
    chair = chair_of(panel_of(interview))
    return chair.id if chair else None


def chair_recused(interview: Interview) -> bool:
    chair = chair_of(panel_of(interview))
    return chair is not None and chair.id in conflicted_user_ids(interview)


def chair_recusals(round_: Round) -> list[Interview]:
    """The round's interviews (not cancelled, not no-show) whose panel chair declared a
    conflict: an open one needs an acting chair before its score can be finalized; a finalized
    one shows who presided."""
    interviews = db.session.scalars(
        select(Interview)
        .join(InterviewSlot, InterviewSlot.id == Interview.slot_id)
        .join(Panel, Panel.id == InterviewSlot.panel_id)
        .join(PanelMember, (PanelMember.panel_id == Panel.id) & (PanelMember.role == CHAIR))
        .join(
            ConflictDeclaration,
            (ConflictDeclaration.interview_id == Interview.id)
            & (ConflictDeclaration.user_id == PanelMember.user_id)
            & ConflictDeclaration.has_conflict.is_(True),
        )
        .where(Panel.round_id == round_.id, Interview.status.not_in(("cancelled", "no_show")))
        .order_by(InterviewSlot.starts_at, Interview.id)
    )
    return list(interviews)
