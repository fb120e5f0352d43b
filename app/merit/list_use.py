"""List use across agencies (การขอใช้บัญชี): another agency asks to hire from a published list.

HR of another agency browses the usable lists, requests one for a position of its own with a
number of vacancies and a justification; HR of the list's agency approves or rejects (a reason
is required to reject). Once approved, the requesting agency calls candidates through
`offers.call_next(..., list_use=request)`, in rank order from those still available, never more
at a time than the approved vacancies not yet held by a pending or accepted offer.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from ..accounts.models import User
from ..agencies.models import Agency
from ..audit.services import record
from ..common.access import is_hr_of
from ..common.clock import now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import current_locale, writing_locale
from ..common.lookup import get_or_not_found
from ..common.thai import format_date
from ..extensions import db
from ..notifications.services import queue_email
from ..recruitment.models import Position, Round
from . import labels, offers
from .models import ListKind, ListStatus, ListUseRequest, MeritList
from .services import get_list

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
VACANCIES_MAX = 500
JUSTIFICATION_MAX = 2000


def status_label(status: str) -> str:
    names = {PENDING: _("Awaiting decision"), APPROVED: _("Approved"), REJECTED: _("Rejected")}
    return names.get(status, status)


def _snapshot(req: ListUseRequest) -> dict:
    return {
        "list_id": req.list_id,
        "agency_id": req.agency_id,
        "position_id": req.position_id,
        "vacancies": req.vacancies,
        "justification": req.justification,
        "status": req.status,
        "decided_by_id": req.decided_by_id,
        "decision_reason": req.decision_reason,
    }


def _require_hr(actor: User) -> None:
    if not is_hr_of(actor, actor.agency_id):
        raise Forbidden(_("Only HR staff of an agency may do this."))


# ---- browsing -------------------------------------------------------------------------------


def _mentions(text: str, *columns):
    """Any of `columns` contains `text` (case-insensitive; % and _ are plain characters)."""
    return or_(*(c.icontains(text, autoescape=True) for c in columns))


def browse_usable_lists(
    *,
    position: str = "",
    qualification: str = "",
    agency_id: int | None = None,
    exclude_agency_id: int | None = None,
) -> list[MeritList]:
    """Published, valid final merit lists, filtered by position title or level, by the
    position's qualifications, and by owner agency; newest first."""
    query = (
        select(MeritList)
        .join(Round, MeritList.round_id == Round.id)
        .join(Position, Round.position_id == Position.id)
        .where(
            MeritList.status == ListStatus.PUBLISHED,
            MeritList.kind == ListKind.MERIT,
            MeritList.published_at.is_not(None),
            MeritList.cancelled_at.is_(None),
            MeritList.valid_until >= today_bangkok(),
        )
    )
    position = (position or "").strip()
    if position:
        query = query.where(
            _mentions(
                position,
                Position.title_th,
                Position.title_en,
                Position.level,
                MeritList.title_th,
                MeritList.title_en,
            )
        )
    qualification = (qualification or "").strip()
    if qualification:
        query = query.where(_mentions(qualification, Position.qualifications_th, Position.qualifications_en))
    if agency_id:
        query = query.where(Round.agency_id == agency_id)
    if exclude_agency_id:
        query = query.where(Round.agency_id != exclude_agency_id)
    query = query.order_by(MeritList.published_at.desc(), MeritList.id.desc())
    return [ml for ml in db.session.scalars(query) if offers.usable(ml)]


def owner_agencies() -> list[Agency]:
    """Agencies that own at least one usable list (the browse filter's choices)."""
    ids = {offers.owner_agency_id(ml) for ml in browse_usable_lists()}
    if not ids:
        return []
    return list(db.session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.name_th)))


def usable_list(list_id: int) -> MeritList:
    return get_list(list_id)


# ---- requesting and deciding ------------------------------------------------------------------


def request_list_use(
    merit_list: MeritList,
    actor: User,
    position_id: int | None,
    vacancies: int | None,
    justification: str,
    ip: str = "",
) -> ListUseRequest:
    """HR of another agency asks to use the list for one of its positions."""
    _require_hr(actor)
    if actor.agency_id == offers.owner_agency_id(merit_list):
        raise NotAllowed(_("This is your own agency's list: call candidates from it directly."))
    if merit_list.kind != ListKind.MERIT or not offers.usable(merit_list):
        raise NotAllowed(
            _(
                "This list can no longer be used: it is not published, has expired, "
                "was superseded or was cancelled."
            )
        )
    position = db.session.get(Position, position_id) if position_id else None
    if position is None:
        raise ValidationFailed(_("Choose the position to fill."), "position_id")
    if position.agency_id != actor.agency_id:
        raise Forbidden(_("The position must belong to your agency."), "position_id")
    if not isinstance(vacancies, int) or not 1 <= vacancies <= VACANCIES_MAX:
        raise ValidationFailed(_("Enter from 1 to %(max)s vacancies.", max=VACANCIES_MAX), "vacancies")
    justification = (justification or "").strip()
    if not justification:
        raise ValidationFailed(_("Explain why your agency needs this list."), "justification")
    if len(justification) > JUSTIFICATION_MAX:
        raise ValidationFailed(_("Keep the justification under 2,000 characters."), "justification")
    duplicate = db.session.scalar(
        select(ListUseRequest.id).where(
            ListUseRequest.list_id == merit_list.id,
            ListUseRequest.agency_id == actor.agency_id,
            ListUseRequest.position_id == position.id,
            ListUseRequest.status == PENDING,
        )
    )
    if duplicate:
        raise NotAllowed(
            _("Your agency already has a request for this list and position awaiting a decision.")
        )
    try:
        req = ListUseRequest(
            list_id=merit_list.id,
            agency_id=actor.agency_id,
            position_id=position.id,
            vacancies=vacancies,
            justification=justification,
            status=PENDING,
            requested_by_id=actor.id,
            requested_at=now(),
        )
        db.session.add(req)
        db.session.flush()
        record("list_use.request", req, actor=actor, ip=ip, after=_snapshot(req))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return req


def check_decision(request: ListUseRequest, owner_actor: User, approve: bool, reason: str = "") -> str:
    """Every rule of deciding on a request, checked before anything changes (the page asks for
    confirmation only of a decision that can be taken); the reason, stripped."""
    _require_hr(owner_actor)
    merit_list = request.merit_list
    if owner_actor.agency_id != offers.owner_agency_id(merit_list):
        raise Forbidden(_("Only HR of the list's agency may decide on requests to use it."))
    if request.status != PENDING:
        raise NotAllowed(_("This request has already been decided."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed(_("Give the reason for rejecting the request."), "reason")
    if len(reason) > JUSTIFICATION_MAX:
        raise ValidationFailed(_("Keep the reason under 2,000 characters."), "reason")
    if approve and not offers.usable(merit_list):
        raise NotAllowed(
            _(
                "This list can no longer be used: it is not published, has expired, "
                "was superseded or was cancelled."
            )
        )
    return reason


def decide_list_use(
    request: ListUseRequest, owner_actor: User, approve: bool, reason: str = "", ip: str = ""
) -> ListUseRequest:
    """HR of the list's agency approves or rejects (with a reason) a pending request."""
    reason = check_decision(request, owner_actor, approve, reason)
    status = APPROVED if approve else REJECTED
    try:
        before = _snapshot(request)
        at = now()
        moved = db.session.execute(
            update(ListUseRequest)
            .where(ListUseRequest.id == request.id, ListUseRequest.status == PENDING)
            .values(status=status, decided_by_id=owner_actor.id, decided_at=at, decision_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise NotAllowed(_("This request has already been decided."))
        db.session.refresh(request)
        _queue_decision_email(request)
        record(
            "list_use.approve" if approve else "list_use.reject",
            request,
            actor=owner_actor,
            ip=ip,
            before=before,
            after=_snapshot(request),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return request


def _queue_decision_email(req: ListUseRequest) -> None:
    requester = db.session.get(User, req.requested_by_id)
    if requester is None:
        return
    locale = writing_locale(requester)
    with force_locale(locale):
        list_title = labels.list_title(req.merit_list, locale)
        if req.status == APPROVED:
            subject = _("Your request to use a list was approved")
            body = _(
                'The request of %(date)s to use the list "%(list)s" for %(vacancies)s '
                "vacancies (%(position)s) was approved. You may now call candidates.",
                date=format_date(req.requested_at, locale),
                list=list_title,
                vacancies=req.vacancies,
                position=req.position.title(locale),
            )
        else:
            subject = _("Your request to use a list was rejected")
            body = _(
                'The request of %(date)s to use the list "%(list)s" for %(position)s '
                "was rejected. Reason: %(reason)s",
                date=format_date(req.requested_at, locale),
                list=list_title,
                position=req.position.title(locale),
                reason=req.decision_reason,
            )
    queue_email(
        to=requester.email,
        subject=subject,
        body=body,
        dedupe_key=f"list-use:{req.id}:{req.status}",
        user_id=requester.id,
    )


# ---- what each side sees ----------------------------------------------------------------------


def requests_for_list(merit_list: MeritList) -> list[ListUseRequest]:
    return list(
        db.session.scalars(
            select(ListUseRequest)
            .where(ListUseRequest.list_id == merit_list.id)
            .order_by(ListUseRequest.requested_at.desc(), ListUseRequest.id.desc())
        )
    )


def requests_of_agency(agency_id: int) -> list[ListUseRequest]:
    return list(
        db.session.scalars(
            select(ListUseRequest)
            .where(ListUseRequest.agency_id == agency_id)
            .order_by(ListUseRequest.requested_at.desc(), ListUseRequest.id.desc())
        )
    )


def _get_request(request_id: int) -> ListUseRequest:
    return get_or_not_found(ListUseRequest, request_id, _("No such request."))


def request_for_requester(request_id: int, actor: User) -> ListUseRequest:
    req = _get_request(request_id)
    if not is_hr_of(actor, req.agency_id):
        raise Forbidden(_("This is another agency's request."))
    return req


def request_for_owner(request_id: int, actor: User) -> ListUseRequest:
    req = _get_request(request_id)
    if not is_hr_of(actor, offers.owner_agency_id(req.merit_list)):
        raise Forbidden(_("Only HR of the list's agency may decide on requests to use it."))
    return req


def can_call(req: ListUseRequest) -> bool:
    return req.status == APPROVED and offers.usable(req.merit_list) and offers.remaining_vacancies(req) > 0


# ---- what a decision will do (the confirmation dialog and page name it) ------------------------


def approve_consequence(req: ListUseRequest) -> str:
    locale = current_locale()
    return _(
        "%(agency)s will be allowed to call up to %(n)s candidates from this list for the position "
        "%(position)s, and is told by e-mail. The decision cannot be changed afterwards.",
        agency=req.agency.name(locale),
        n=req.vacancies,
        position=req.position.title(locale),
    )


def reject_consequence(req: ListUseRequest) -> str:
    return _(
        "The request of %(agency)s will be rejected with the reason you gave, and the agency is "
        "told by e-mail. The decision cannot be changed afterwards.",
        agency=req.agency.name(current_locale()),
    )
