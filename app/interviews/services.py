"""Part C panels: who sits on a round's interview panels, in what mode and where, with what quorum
and aggregate; who may act on them. The rubric they score against is in rubrics.py; conflicts
of interest, the quorum left, substitutes and the acting chair in conflicts.py.

Plain functions over the models; each change is audited in its own transaction and refusals are
domain errors with a message the user can read. Live scoring (scoring.py) builds on these and
on conflicts.py.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..accounts.models import Role, User, UserRole
from ..applications.models import Application
from ..audit.services import record
from ..common.access import need_hr_of_round
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..recruitment.models import Round, StageKind
from .models import (
    ConflictDeclaration,
    CriterionScore,
    Interview,
    InterviewSlot,
    Panel,
    PanelMember,
    Substitute,
)

CHAIR, MEMBER, SUBSTITUTE = "chair", "member", "substitute"
MEAN, MEDIAN = "mean", "median"
ONLINE, ONSITE = "online", "onsite"
DEFAULT_QUORUM = 3
MAX_QUORUM = 15
DEFAULT_SPREAD = Decimal("15")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LINK_RE = re.compile(r"^https?://\S+$")
# An interview past these states has no more use for conflict declarations or substitutes.
CLOSED_STATES = ("finalized", "cancelled", "no_show")


# ---- who may ----------------------------------------------------------------------------

# HR of the round's agency, or Forbidden: the one rule of app/common/access.py.
need_hr = need_hr_of_round


def part_c_stage(round_: Round):
    """The round's Part C stage, or NotAllowed if it has none (no panel or rubric without it)."""
    stage = round_.stage(StageKind.PART_C)
    if stage is None:
        raise NotAllowed(_("This round has no Part C (interview) stage."))
    return stage


def get_panel(panel_id: int) -> Panel:
    return get_or_not_found(Panel, panel_id, _("No such interview panel."))


def panel_for_hr(panel_id: int, user) -> Panel:
    panel = get_panel(panel_id)
    need_hr(user, panel.round)
    return panel


def get_interview(interview_id: int) -> Interview:
    return get_or_not_found(Interview, interview_id, _("No such interview."))


def panels_of_round(round_: Round) -> list[Panel]:
    return list(db.session.scalars(select(Panel).where(Panel.round_id == round_.id).order_by(Panel.id)))


def panel_of(interview: Interview) -> Panel:
    return interview.slot.panel


def chair_of(panel: Panel) -> User | None:
    return next((m.user for m in panel.members if m.role == CHAIR), None)


def membership(panel: Panel, user) -> PanelMember | None:
    user_id = getattr(user, "id", user)
    return next((m for m in panel.members if m.user_id == user_id), None)


def substitutes_of(interview: Interview) -> list[Substitute]:
    return list(
        db.session.scalars(
            select(Substitute).where(Substitute.interview_id == interview.id).order_by(Substitute.id)
        )
    )


def panel_role(interview: Interview, user) -> str | None:
    """ "chair", "member" or "substitute" for this interview, else None."""
    m = membership(panel_of(interview), user)
    if m is not None:
        return m.role
    user_id = getattr(user, "id", user)
    if any(s.user_id == user_id for s in substitutes_of(interview)):
        return SUBSTITUTE
    return None


def slot_link(slot: InterviewSlot) -> str:
    """An online slot's meeting link: its own, else the panel's."""
    return (slot.meeting_link or slot.panel.meeting_link) if slot.mode == ONLINE else ""


def slot_room(slot: InterviewSlot) -> str:
    """An on-site slot's room: its own, else the panel's."""
    return (slot.room or slot.panel.room) if slot.mode == ONSITE else ""


def slot_location(slot: InterviewSlot) -> str:
    return slot_link(slot) or slot_room(slot)


def panel_users() -> list[User]:
    """Active users holding the panel role, by Thai name (who HR can put on a panel)."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.PANEL, User.active.is_(True))
            .order_by(User.first_name_th, User.last_name_th, User.id)
        )
    )


def panels_of_member(user) -> list[Panel]:
    """The panels a user sits on, newest first (for the panel member's own pages)."""
    return list(
        db.session.scalars(
            select(Panel)
            .join(PanelMember, PanelMember.panel_id == Panel.id)
            .where(PanelMember.user_id == getattr(user, "id", user))
            .order_by(Panel.created_at.desc(), Panel.id.desc())
        )
    )


# ---- panels -----------------------------------------------------------------------------


def _panel_snapshot(panel: Panel) -> dict:
    return {
        "round": panel.round_id,
        "name": panel.name,
        "quorum": panel.quorum,
        "aggregate": panel.aggregate,
        "spread_threshold": panel.spread_threshold,
        "mode": panel.mode,
        "meeting_link": panel.meeting_link,
        "room": panel.room,
    }


def _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the panel a name."), "name")
    if len(name) > 200:
        raise ValidationFailed(_("The name is at most 200 characters."), "name")
    try:
        quorum = int(quorum)
    except (TypeError, ValueError):
        quorum = 0
    if not 1 <= quorum <= MAX_QUORUM:
        raise ValidationFailed(
            _("The quorum is from 1 to %(max)s scoring members.", max=MAX_QUORUM), "quorum"
        )
    if aggregate not in (MEAN, MEDIAN):
        raise ValidationFailed(_("Choose the mean or the median."), "aggregate")
    try:
        spread = Decimal(str(spread_threshold))
    except (InvalidOperation, ValueError):
        spread = Decimal(-1)
    if not Decimal(0) <= spread <= Decimal(1000):
        raise ValidationFailed(_("The spread threshold is from 0 to 1,000 points."), "spread_threshold")
    if mode not in (ONLINE, ONSITE):
        raise ValidationFailed(_("Choose online or on site."), "mode")
    meeting_link, room = (meeting_link or "").strip(), (room or "").strip()
    if meeting_link and not LINK_RE.match(meeting_link):
        raise ValidationFailed(_("The meeting link must start with https:// or http://."), "meeting_link")
    if len(meeting_link) > 500:
        raise ValidationFailed(_("The meeting link is at most 500 characters."), "meeting_link")
    if len(room) > 200:
        raise ValidationFailed(_("The room is at most 200 characters."), "room")
    return dict(
        name=name,
        quorum=quorum,
        aggregate=aggregate,
        spread_threshold=spread.quantize(Decimal("0.01")),
        mode=mode,
        meeting_link=meeting_link,
        room=room,
    )


def create_panel(
    round_: Round,
    actor,
    *,
    name: str,
    quorum: int = DEFAULT_QUORUM,
    aggregate: str = MEAN,
    spread_threshold=DEFAULT_SPREAD,
    mode: str = ONLINE,
    meeting_link: str = "",
    room: str = "",
) -> Panel:
    """A panel for the round's Part C, set up by HR of the round's agency."""
    need_hr(actor, round_)
    part_c_stage(round_)
    values = _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room)
    panel = Panel(round_id=round_.id, created_by_id=actor.id, **values)
    db.session.add(panel)
    db.session.flush()
    record("panel.create", panel, actor=actor, after=_panel_snapshot(panel))
    db.session.commit()
    return panel


def scoring_started(panel: Panel) -> bool:
    """Whether any member has entered a score for an interview of this panel."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CriterionScore.interview_id == Interview.id,
                    Interview.slot_id == InterviewSlot.id,
                    InterviewSlot.panel_id == panel.id,
                )
            )
        )
    )


def update_panel(
    panel: Panel,
    actor,
    *,
    name: str,
    quorum: int,
    aggregate: str,
    spread_threshold,
    mode: str,
    meeting_link: str = "",
    room: str = "",
) -> Panel:
    """HR edits the panel; how scores combine (quorum, mean/median, spread) is fixed once any
    member has scored, so that no candidate is judged by rules changed halfway."""
    need_hr(actor, panel.round)
    values = _clean_panel_values(name, quorum, aggregate, spread_threshold, mode, meeting_link, room)
    before = _panel_snapshot(panel)
    if scoring_started(panel) and any(
        values[k] != before[k] for k in ("quorum", "aggregate", "spread_threshold")
    ):
        raise NotAllowed(
            _("Scoring has begun: the quorum, aggregate and spread threshold can no longer change.")
        )
    for key, value in values.items():
        setattr(panel, key, value)
    record("panel.update", panel, actor=actor, before=before, after=_panel_snapshot(panel))
    db.session.commit()
    return panel


def add_member(panel: Panel, actor, user: User, role: str = MEMBER) -> PanelMember:
    """Put a panel-role user on the panel; a panel has exactly one chair."""
    need_hr(actor, panel.round)
    if user is None:
        raise ValidationFailed(_("Choose the member."), "user_id")
    if role not in (CHAIR, MEMBER):
        raise ValidationFailed(_("Choose chair or member."), "role")
    if not user.has_role(Role.PANEL) or not user.active:
        raise ValidationFailed(_("Only active users with the panel role can sit on a panel."), "user_id")
    if membership(panel, user) is not None:
        raise NotAllowed(_("%(name)s is already on this panel.", name=user.full_name_th), "user_id")
    if role == CHAIR and chair_of(panel) is not None:
        raise NotAllowed(_("The panel already has a chair."), "role")
    applied = db.session.scalar(
        select(exists().where(Application.round_id == panel.round_id, Application.candidate_id == user.id))
    )
    if applied:
        raise NotAllowed(
            _("%(name)s has applied to this round and cannot judge it.", name=user.full_name_th), "user_id"
        )
    member = PanelMember(panel_id=panel.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.flush()
    db.session.refresh(panel)
    record("panel.add_member", member, actor=actor, after={"panel": panel.id, "user": user.id, "role": role})
    db.session.commit()
    return member


def remove_member(panel: Panel, actor, member: PanelMember) -> None:
    """Take a member off the panel, unless they already declared or scored for a candidate."""
    need_hr(actor, panel.round)
    if member is None or member.panel_id != panel.id:
        raise NotFound(_("No such panel member."))
    acted = db.session.scalar(
        select(
            exists().where(
                Interview.slot_id == InterviewSlot.id,
                InterviewSlot.panel_id == panel.id,
                (
                    exists().where(
                        CriterionScore.interview_id == Interview.id, CriterionScore.user_id == member.user_id
                    )
                )
                | (
                    exists().where(
                        ConflictDeclaration.interview_id == Interview.id,
                        ConflictDeclaration.user_id == member.user_id,
                    )
                ),
            )
        )
    )
    if acted:
        raise NotAllowed(_("This member has already taken part in interviews and stays on the record."))
    record(
        "panel.remove_member",
        member,
        actor=actor,
        before={"panel": panel.id, "user": member.user_id, "role": member.role},
    )
    db.session.delete(member)
    db.session.commit()
    db.session.refresh(panel)


def panel_problems(panel: Panel) -> list[str]:
    """What keeps the panel from interviewing, in words (empty when ready)."""
    problems = []
    if chair_of(panel) is None:
        problems.append(_("The panel has no chair."))
    if len(panel.members) < panel.quorum:
        problems.append(
            _(
                "The panel has %(n)s members, fewer than its quorum of %(q)s.",
                n=len(panel.members),
                q=panel.quorum,
            )
        )
    return problems


# ---- rubric -----------------------------------------------------------------------------


# ---- conflicts of interest, quorum and substitutes -----------------------------------------


# ---- the acting chair ---------------------------------------------------------------------
# A chair who declared a conflict for a candidate may not decide that candidate's score. As in
# any Thai committee whose chair cannot act for a matter (พ.ร.บ.วิธีปฏิบัติราชการทางปกครอง
# มาตรา 80), another member presides over it: HR of the round's agency records which scoring
# member that is (chairing.name_acting_chair).
