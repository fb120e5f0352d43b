"""Applying to a round, withdrawing, HR review, accommodations, documents and who may see what."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Role, User
from ..audit.services import record
from ..common.access import is_hr_of
from ..common.clock import now
from ..common.errors import DomainError, Forbidden, NotAllowed, ValidationFailed
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..recruitment import eligibility
from ..recruitment.models import Accommodation, Mode, Round, RoundStatus
from ..recruitment.services import candidate_application, round_application_counts
from ..uploads import services as uploads
from .models import (
    AccommodationRequest,
    AccommodationStatus,
    Application,
    ApplicationStatus,
    Document,
    DocumentKind,
)

# Asked with (application, agency_id=…): may HR of that agency, which does not run the round, see
# the application's documents? Receivers answer True to grant; merit grants an agency that
# called the candidate from a list (app/merit/offers.py). Capabilities that build on
# applications answer here rather than being imported by it.
signals = Namespace()
agency_may_see_application = signals.signal("application-agency-may-see")
# Asked with (round, user=…) before anything is checked or stored: a capability that reserves
# rounds for some people (partners' nominees, scholarship holders) answers with the refusal
# (a DomainError) when `user` may not apply to that round, None otherwise.
application_refusal = signals.signal("application-refusal")

ACTIVE = (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED)
REVIEWABLE_ROUND_STATES = (RoundStatus.OPEN, RoundStatus.CLOSED)
WITHDRAWABLE_ROUND_STATES = (RoundStatus.OPEN, RoundStatus.CLOSED)
MAX_EXTRA_TIME_PERCENT = 100


class NotEligible(NotAllowed):
    code = "not_eligible"

    def __init__(self, unmet: list[eligibility.Criterion]):
        reasons = "; ".join(eligibility.describe(c) for c in unmet)
        super().__init__(_("You do not meet the round's criteria: %(reasons)s", reasons=reasons))
        self.unmet = unmet


@dataclass
class Upload:
    kind: str
    data: bytes
    filename: str


def _snapshot(app: Application) -> dict:
    return {
        "number": app.number,
        "status": app.status,
        "round_id": app.round_id,
        "candidate_id": app.candidate_id,
        "rejection_reason": app.rejection_reason,
    }


def existing_application(round_: Round, user: User) -> Application | None:
    return db.session.scalar(
        select(Application).where(Application.round_id == round_.id, Application.candidate_id == user.id)
    )


def active_application(round_: Round, user: User) -> Application | None:
    """The user's application to the round unless it was rejected or withdrawn."""
    application = existing_application(round_, user)
    return application if application is not None and application.status in ACTIVE else None


def counts_by_status(round_ids: list[int]) -> dict[int, dict[str, int]]:
    """{round id: {application status: how many}} (rounds without applications left out)."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        select(Application.round_id, Application.status, func.count())
        .where(Application.round_id.in_(round_ids))
        .group_by(Application.round_id, Application.status)
    )
    for round_id, status, n in rows:
        counts.setdefault(round_id, {})[status] = n
    return counts


# Recruitment's round pages ask through its signals (recruitment may not import applications).
round_application_counts.connect(lambda _sender, round_ids: counts_by_status(round_ids), weak=False)
candidate_application.connect(lambda round_, user: active_application(round_, user), weak=False)


def _next_number(round_: Round) -> str:
    # Atomic on both databases: the row lock (PostgreSQL) or the write lock (SQLite) serializes it.
    seq = db.session.execute(
        update(Round)
        .where(Round.id == round_.id)
        # updated_at kept as is: a new application is not an edit of the round
        .values(application_seq=Round.application_seq + 1, updated_at=Round.updated_at)
        .returning(Round.application_seq)
    ).scalar_one()
    return f"{round_.code}-{seq:05d}"


def _accommodation_requests(round_: Round, requested: dict[str, int | bool | None]):
    out = []
    for kind, value in (requested or {}).items():
        if not value:
            continue
        if kind not in Accommodation.ALL:
            raise ValidationFailed(_("Unknown accommodation: %(name)s", name=kind), "accommodations")
        if kind not in (round_.accommodations_offered or []):
            raise ValidationFailed(_("This round does not offer that accommodation."), "accommodations")
        amount = None
        if kind == Accommodation.EXTRA_TIME:
            try:
                amount = int(value)
            except (TypeError, ValueError):
                raise ValidationFailed(_("Extra time is a whole percentage."), "extra_time") from None
            if not 1 <= amount <= MAX_EXTRA_TIME_PERCENT:
                raise ValidationFailed(
                    _("Extra time must be between 1 and %(max)s percent.", max=MAX_EXTRA_TIME_PERCENT),
                    "extra_time",
                )
        out.append(AccommodationRequest(kind=kind, requested_value=amount))
    return out


def check_application(
    round_: Round,
    user: User,
    *,
    disability_type: str = "",
    disability_card_no: str = "",
    accommodations: dict | None = None,
) -> None:
    """Every check `apply` makes before it stores anything, for the answers the candidate is
    about to review ("check your answers"): raises the same DomainError `apply` would."""
    _checked(round_, user, disability_type, disability_card_no, accommodations)


def _checked(round_: Round, user: User, disability_type: str, disability_card_no: str, accommodations):
    """(previous application, eligibility results, disability type, card number, accommodation
    requests) once every rule of applying is met; the refusal otherwise."""
    disability_type, disability_card_no = disability_type or "", disability_card_no or ""
    if not user.has_role(Role.CANDIDATE):
        raise Forbidden(_("Only candidate accounts can apply."))
    if not round_.is_accepting():
        raise NotAllowed(_("This round is not accepting applications."))
    for _receiver, refusal in application_refusal.send(round_, user=user):
        if refusal is not None:
            raise refusal
    previous = existing_application(round_, user)
    if previous is not None and previous.status != ApplicationStatus.WITHDRAWN:
        raise NotAllowed(
            _("You have already applied to this round (application %(number)s).", number=previous.number)
        )
    results = eligibility.check_candidate(round_, user)
    unmet = [c for c in results if not c.met]
    if unmet:
        raise NotEligible(unmet)
    profile = user.profile
    if round_.mode == Mode.DISABILITY or round_.requires_disability_registration:
        disability_card_no = disability_card_no or (profile.disability_card_no if profile else "")
        disability_type = disability_type or (profile.disability_type if profile else "")
        if not disability_card_no.strip():
            raise ValidationFailed(_("Enter your disability registration card number."), "disability_card_no")
        if not disability_type.strip():
            raise ValidationFailed(_("Enter the type of disability."), "disability_type")
    requests = _accommodation_requests(round_, accommodations or {})
    return previous, results, disability_type, disability_card_no, requests


def apply(
    round_: Round,
    user: User,
    *,
    disability_type: str = "",
    disability_card_no: str = "",
    accommodations: dict | None = None,
    uploads_: list[Upload] | None = None,
    documents: list[Document] | None = None,
    ip: str = "",
) -> Application:
    """Submit an application. Everything is checked first; nothing is half-saved.

    `uploads_` are files to store with it; `documents` are files the candidate already
    uploaded while applying (`keep_for_application`), attached to it now."""
    previous, results, disability_type, disability_card_no, requests = _checked(
        round_, user, disability_type, disability_card_no, accommodations
    )
    for up in uploads_ or []:
        if up.kind not in DocumentKind.ALL:
            raise ValidationFailed(_("Unknown document type."), "documents")
    for doc in documents or []:
        if doc.owner_id != user.id or doc.application_id is not None:
            raise ValidationFailed(_("That document cannot be attached to this application."), "documents")

    stored: list[tuple[str, uploads.StoredFile]] = []
    try:
        for up in uploads_ or []:
            stored.append((up.kind, uploads.store(up.data, up.filename)))
        quals = eligibility.Qualifications.of(user)
        if previous is not None:  # re-applying after a withdrawal keeps the number
            app_ = previous
            before = _snapshot(app_)
            app_.status = ApplicationStatus.SUBMITTED
            app_.withdrawn_at = None
            app_.submitted_at = now()
            app_.accommodations.clear()
            db.session.flush()
        else:
            before = None
            app_ = Application(
                round_id=round_.id, candidate_id=user.id, number=_next_number(round_), submitted_at=now()
            )
            db.session.add(app_)
        app_.qualifications = quals.to_dict()
        app_.eligibility = [c.to_dict() for c in results]
        app_.disability_type = disability_type.strip()
        app_.disability_card_no = disability_card_no.strip()
        app_.shortage_degree = quals.degree_name if round_.mode == Mode.SHORTAGE else ""
        app_.accommodations.extend(requests)
        db.session.flush()
        for kind, sf in stored:
            db.session.add(new_document(user, app_, kind, sf))
        for doc in documents or []:
            doc.application_id = app_.id
        record(
            "application.submit",
            app_,
            actor=user,
            before=before,
            after=_snapshot(app_)
            | {
                "accommodations": {r.kind: r.requested_value for r in requests},
                "documents": [d.original_name for d in documents or []]
                + [sf.original_name for _k, sf in stored],
            },
            ip=ip,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        for _k, sf in stored:
            uploads.remove(sf.stored_name)
        raise NotAllowed(_("You have already applied to this round.")) from None
    except Exception:
        db.session.rollback()
        for _k, sf in stored:
            uploads.remove(sf.stored_name)
        raise
    return app_


def new_document(user: User, app_: Application | None, kind: str, sf: uploads.StoredFile) -> Document:
    return Document(
        owner_id=user.id,
        application_id=app_.id if app_ else None,
        kind=kind,
        original_name=sf.original_name,
        stored_name=sf.stored_name,
        content_type=sf.content_type,
        size=sf.size,
        sha256=sf.sha256,
    )


def withdraw_refusal(app_: Application, user: User) -> DomainError | None:
    """Why `user` may not withdraw `app_` now, or None if they may."""
    if app_.candidate_id != user.id:
        return Forbidden(_("This is not your application."))
    if app_.status not in ACTIVE:
        return NotAllowed(_("This application is not active."))
    if app_.round.status not in WITHDRAWABLE_ROUND_STATES:
        return NotAllowed(_("The round is under way; the application can no longer be withdrawn."))
    return None


def withdraw(app_: Application, user: User, reason: str = "", ip: str = "") -> Application:
    refusal = withdraw_refusal(app_, user)
    if refusal:
        raise refusal
    before = _snapshot(app_)
    app_.status = ApplicationStatus.WITHDRAWN
    app_.withdrawn_at = now()
    record(
        "application.withdraw",
        app_,
        actor=user,
        before=before,
        after=_snapshot(app_) | {"reason": (reason or "").strip()},
        ip=ip,
    )
    db.session.commit()
    return app_


def review_refusal(app_: Application, reviewer: User) -> DomainError | None:
    """Why `reviewer` may not decide on `app_` (or its accommodations) now, or None."""
    if not is_hr_of(reviewer, app_.round.agency_id):
        return Forbidden(_("Only HR of the round's agency can review its applications."))
    if app_.round.status not in REVIEWABLE_ROUND_STATES:
        return NotAllowed(_("Applications can be reviewed only while the round is open or closed."))
    if app_.status == ApplicationStatus.WITHDRAWN:
        return NotAllowed(_("The candidate has withdrawn this application."))
    return None


def _check_reviewer(app_: Application, reviewer: User) -> None:
    refusal = review_refusal(app_, reviewer)
    if refusal:
        raise refusal


def mark_approved(app_: Application, reviewer: User, ip: str = "", how: str = "") -> Application:
    """Approve and audit one application in the caller's transaction (the caller commits):
    one at a time (`approve`) or many in one go (`search.approve_many`, `how="bulk"`)."""
    _check_reviewer(app_, reviewer)
    before = _snapshot(app_)
    app_.status = ApplicationStatus.APPROVED
    app_.rejection_reason = ""
    app_.decided_at, app_.decided_by_id = now(), reviewer.id
    after = _snapshot(app_) | ({"how": how} if how else {})
    record("application.approve", app_, actor=reviewer, before=before, after=after, ip=ip)
    return app_


def approve(app_: Application, reviewer: User, ip: str = "") -> Application:
    mark_approved(app_, reviewer, ip=ip)
    db.session.commit()
    return app_


def reject(app_: Application, reviewer: User, reason: str, ip: str = "") -> Application:
    _check_reviewer(app_, reviewer)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for rejecting the application."), "reason")
    before = _snapshot(app_)
    app_.status = ApplicationStatus.REJECTED
    app_.rejection_reason = reason.strip()
    app_.decided_at, app_.decided_by_id = now(), reviewer.id
    record("application.reject", app_, actor=reviewer, before=before, after=_snapshot(app_), ip=ip)
    db.session.commit()
    return app_


def decide_accommodation(
    req: AccommodationRequest,
    reviewer: User,
    status: str,
    approved_value: int | None = None,
    note: str = "",
    ip: str = "",
) -> AccommodationRequest:
    """HR approves, adjusts (e.g. 25% extra time instead of 50%) or denies a request."""
    _check_reviewer(req.application, reviewer)
    if status not in (AccommodationStatus.APPROVED, AccommodationStatus.ADJUSTED, AccommodationStatus.DENIED):
        raise ValidationFailed(_("Choose approve, adjust or deny."), "status")
    if status == AccommodationStatus.DENIED and not (note or "").strip():
        raise ValidationFailed(_("Give the reason for denying the accommodation."), "note")
    note = (note or "").strip()
    value = None
    if req.kind == Accommodation.EXTRA_TIME and status != AccommodationStatus.DENIED:
        value = req.requested_value if status == AccommodationStatus.APPROVED else approved_value
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
        if value is None or not 0 <= value <= MAX_EXTRA_TIME_PERCENT:
            raise ValidationFailed(
                _("Extra time must be between 0 and %(max)s percent.", max=MAX_EXTRA_TIME_PERCENT),
                "approved_value",
            )
    before = {"status": req.status, "approved_value": req.approved_value, "note": req.note}
    req.approved_value = value
    req.status, req.note = status, note
    req.decided_by_id, req.decided_at = reviewer.id, now()
    record(
        "accommodation.decide",
        req,
        actor=reviewer,
        before=before,
        ip=ip,
        after={
            "application": req.application.number,
            "kind": req.kind,
            "status": status,
            "approved_value": req.approved_value,
            "note": req.note,
        },
    )
    db.session.commit()
    return req


# ---- reading -----------------------------------------------------------------------------


def applications_of(user: User) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.candidate_id == user.id)
            .order_by(Application.submitted_at.desc())
        )
    )


def applications_of_round(round_: Round, status: str | None = None) -> list[Application]:
    stmt = select(Application).where(Application.round_id == round_.id)
    if status:
        stmt = stmt.where(Application.status == status)
    return list(db.session.scalars(stmt.order_by(Application.number)))


def get_application(app_id: int) -> Application:
    return get_or_not_found(Application, app_id, _("No such application."))


def get_accommodation_request(req_id: int) -> AccommodationRequest:
    return get_or_not_found(AccommodationRequest, req_id, _("No such accommodation request."))


def get_document(doc_id: int) -> Document:
    return get_or_not_found(Document, doc_id, _("No such document."))


def can_view_application(viewer: User, app_: Application) -> bool:
    return viewer.id == app_.candidate_id or is_hr_of(viewer, app_.round.agency_id)


def can_see_national_id(viewer: User | None, person: User) -> bool:
    """The owner, and HR of an agency the person applied to; nobody else (admins included)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.id == person.id:
        return True
    if not is_hr_of(viewer, viewer.agency_id):
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.candidate_id == person.id,
                    Application.round_id == Round.id,
                    Round.agency_id == viewer.agency_id,
                )
            )
        )
    )


def can_view_document(viewer: User, doc: Document) -> bool:
    """The owner, HR of the round's agency, and HR of another agency that a capability built on
    applications vouches for (merit: an agency holding an offer for the application)."""
    if viewer.id == doc.owner_id:
        return True
    if doc.application is None:
        return False
    if is_hr_of(viewer, doc.application.round.agency_id):
        return True
    if viewer.agency_id is None or not is_hr_of(viewer, viewer.agency_id):
        return False
    return any(
        granted
        for _receiver, granted in agency_may_see_application.send(doc.application, agency_id=viewer.agency_id)
    )


def pending_accommodations(app_: Application) -> int:
    return sum(1 for r in app_.accommodations if r.status == AccommodationStatus.REQUESTED)


# ---- words for the codes ----------------------------------------------------------------


# ---- what happens next, and what an irreversible step will do ----------------------------
