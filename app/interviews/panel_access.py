"""What a panel member may open and the lists they work from: the candidate's documents and the
score sheet (the panel, except a member who declared a conflict for the candidate, and HR of
the round's agency), the interview behind a page or a /panel event, my interviews and today's
panels, each panel's waiting list, and the words for an interview's status on the panel's
pages. The scoring itself is in scoring.py.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..applications.models import Document
from ..common.access import is_hr_of
from ..common.clock import BANGKOK, now
from ..common.errors import Forbidden, NotFound
from ..common.i18n import labeller
from ..common.lookup import get_or_not_found
from ..extensions import db
from . import schedule
from .models import Interview, InterviewSlot, Panel, PanelMember, Substitute
from .scoring import declaration_of, get_interview, is_recused, role_of

# ---- documents and pages ----------------------------------------------------------------


def can_view_candidate_documents(user, interview: Interview) -> bool:
    """The panel (chair, members, substitutes) of the candidate's interview — except a member
    who declared a conflict for them — and HR of the round's agency."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_hr_of(user, interview.application.round.agency_id):
        return True
    if role_of(interview, user) is None:
        return False
    declaration = declaration_of(interview, user)
    return not (declaration is not None and declaration.has_conflict)


def candidate_document(interview: Interview, user, doc_id: int) -> Document:
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.application_id != interview.application_id:
        raise NotFound(_("No such document for this candidate."))
    if not can_view_candidate_documents(user, interview):
        raise Forbidden(_("You may not see this candidate's documents."))
    return doc


def can_view_score_sheet(user, interview: Interview) -> bool:
    """HR of the round's agency, and the panel — except a member who declared a conflict for
    the candidate: they see nothing of this interview's scores."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_hr_of(user, interview.application.round.agency_id):
        return True
    return role_of(interview, user) is not None and not is_recused(interview, user)


def interview_for(user, interview_id: int) -> Interview:
    """The interview, if `user` sits on its panel (chair, member or named substitute)."""
    interview = get_interview(interview_id)
    if role_of(interview, user) is None:
        raise Forbidden(_("You are not on the panel for this interview."))
    return interview


# ---- my interviews, today's panels, the waiting list -------------------------------------


def day_bounds(day) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=BANGKOK)
    return start, start + timedelta(days=1)


def my_interviews(user, at: datetime | None = None) -> dict[str, list[Interview]]:
    """A panel member's interviews: earlier ones still open, today's, and upcoming ones."""
    at = at or now()
    today = at.astimezone(BANGKOK).date()
    start, end = day_bounds(today)
    panel_ids = select(PanelMember.panel_id).where(PanelMember.user_id == user.id)
    named = select(Substitute.interview_id).where(Substitute.user_id == user.id)
    interviews = list(
        db.session.scalars(
            select(Interview)
            .join(InterviewSlot, InterviewSlot.id == Interview.slot_id)
            .where(
                or_(InterviewSlot.panel_id.in_(panel_ids), Interview.id.in_(named)),
                Interview.status != "cancelled",
                or_(InterviewSlot.starts_at >= start, Interview.status.not_in(("finalized", "no_show"))),
            )
            .order_by(InterviewSlot.starts_at)
        )
    )
    groups: dict[str, list[Interview]] = {"earlier": [], "today": [], "upcoming": []}
    for iv in interviews:
        starts = iv.slot.starts_at
        groups["earlier" if starts < start else "today" if starts < end else "upcoming"].append(iv)
    return groups


def my_panels_today(user, at: datetime | None = None) -> list[Panel]:
    """The panels `user` sits on that interview someone today (for the live waiting list)."""
    start, end = day_bounds((at or now()).astimezone(BANGKOK).date())
    return list(
        db.session.scalars(
            select(Panel)
            .join(PanelMember, PanelMember.panel_id == Panel.id)
            .where(
                PanelMember.user_id == user.id,
                Panel.id.in_(
                    select(InterviewSlot.panel_id).where(
                        InterviewSlot.starts_at >= start, InterviewSlot.starts_at < end
                    )
                ),
            )
            .order_by(Panel.id)
        )
    )


def panel_for_waiting(user, panel_id: int) -> Panel:
    panel = get_or_not_found(Panel, panel_id, _("No such panel."))
    if not db.session.scalar(
        select(PanelMember.id).where(PanelMember.panel_id == panel.id, PanelMember.user_id == user.id)
    ):
        raise Forbidden(_("You are not on this panel."))
    return panel


def waiting_interviews(panel: Panel, day) -> list[Interview]:
    """Candidates of `panel` checked in on `day` (Bangkok) and not yet being interviewed."""
    return schedule.waiting_candidates(panel, day)


def waiting_row(interview: Interview) -> dict:
    app_ = interview.application
    return {
        "interview_id": interview.id,
        "panel_id": interview.slot.panel_id,
        "name": app_.candidate.full_name_th,
        "application_number": app_.number,
        "starts_at": interview.slot.starts_at.isoformat(),
        "checked_in_at": interview.checked_in_at.isoformat() if interview.checked_in_at else None,
    }


# ---- words for the codes ----------------------------------------------------------------------

STATUS_LABELS = {
    "scheduled": lambda: _("scheduled"),
    "confirmed": lambda: _("confirmed by the candidate"),
    "checked_in": lambda: _("candidate waiting"),
    "scoring": lambda: _("scoring"),
    "finalized": lambda: _("finalized"),
    "no_show": lambda: _("did not attend"),
    "cancelled": lambda: _("cancelled"),
}


status_label = labeller(STATUS_LABELS)
