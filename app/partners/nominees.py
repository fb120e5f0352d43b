"""The nominee's side of a nomination: the invitation link, consent or refusal, the next step, and
the rule that a round under an agreement takes applications only from nominees who accepted.

A nominee completes the application themselves: the partner gives a name, a national ID and an
email; the nominee gets an invitation (the outbox), logs in with the account whose national ID
was nominated, gives consent, and applies through the ordinary application form. Only a
nominee who accepted may apply to a round opened under an agreement (`refuse_non_nominees`,
connected to applications' `application_refusal`). HR then reviews, scores and publishes the
round's list with the ordinary pages.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..accounts.models import Role
from ..applications.models import Application, ApplicationStatus
from ..applications.services import application_refusal
from ..audit.services import record
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..extensions import db
from ..recruitment.models import Round
from .models import Nomination, NominationStatus
from .nominations import get_nomination, nomination_snapshot, token_hash
from .rounds import agreement_round


def nomination_by_token(token: str) -> Nomination:
    nomination = db.session.scalar(select(Nomination).where(Nomination.token_hash == token_hash(token or "")))
    if nomination is None:
        raise NotFound(_("This invitation link is not valid."))
    return nomination


def _need_nominee(nomination: Nomination, user) -> None:
    if not user.has_role(Role.CANDIDATE) or user.national_id != nomination.national_id:
        raise Forbidden(
            _(
                "This nomination is for another person: log in with the account "
                "registered with the national ID that was nominated."
            )
        )


def nominations_of_person(user) -> list[Nomination]:
    """The nominations made for this person (by their national ID), newest first."""
    if not getattr(user, "national_id", None):
        return []
    return list(
        db.session.scalars(
            select(Nomination)
            .where(or_(Nomination.national_id == user.national_id, Nomination.candidate_id == user.id))
            .order_by(Nomination.nominated_at.desc())
        )
    )


def nomination_for_nominee(nomination_id: int, user) -> Nomination:
    nomination = get_nomination(nomination_id)
    _need_nominee(nomination, user)
    return nomination


def accept_nomination(nomination: Nomination, user, *, consent: bool, ip: str = "") -> Nomination:
    """The nominee consents: to the nomination, and to HR and the partner seeing the progress of
    the application. They then apply themselves, while the round accepts applications."""
    _need_unanswered(nomination, user)
    if not nomination.round.is_accepting():
        raise NotAllowed(_("The round no longer accepts applications."))
    if not consent:
        raise ValidationFailed(_("Tick the box to give your consent."), "consent")
    at = now()
    return _record_answer(
        nomination,
        user,
        "partner.nomination.accept",
        ip,
        logged={"consent_at": at},
        status=NominationStatus.ACCEPTED,
        responded_at=at,
        consent_at=at,
    )


def decline_nomination(nomination: Nomination, user, reason: str = "", ip: str = "") -> Nomination:
    _need_unanswered(nomination, user)
    reason = (reason or "").strip()
    return _record_answer(
        nomination,
        user,
        "partner.nomination.decline",
        ip,
        logged={"reason": reason},
        status=NominationStatus.DECLINED,
        responded_at=now(),
        decline_reason=reason,
    )


def _need_unanswered(nomination: Nomination, user) -> None:
    _need_nominee(nomination, user)
    if nomination.status != NominationStatus.INVITED:
        raise NotAllowed(_("This nomination has already been answered or withdrawn."))


def _record_answer(
    nomination: Nomination, user, action: str, ip: str, *, logged: dict, **answer
) -> Nomination:
    """Store the nominee's answer (accept or decline) the one way both take: the answer's columns
    in `answer`, the nominee as the candidate, and an audit entry whose snapshot adds `logged`."""
    before = nomination_snapshot(nomination)
    nomination.candidate_id = user.id
    for column, value in answer.items():
        setattr(nomination, column, value)
    record(
        action, nomination, actor=user, before=before, after=nomination_snapshot(nomination) | logged, ip=ip
    )
    db.session.commit()
    return nomination


def application_of(nomination: Nomination) -> Application | None:
    if nomination.candidate_id is None:
        return None
    return db.session.scalar(
        select(Application).where(
            Application.round_id == nomination.round_id, Application.candidate_id == nomination.candidate_id
        )
    )


NEXT_ACCEPT, NEXT_APPLY, NEXT_WAIT, NEXT_NONE = "accept", "apply", "wait", "none"


def next_step(nomination: Nomination) -> str:
    """What the nominee has to do next: answer, apply, wait for HR, or nothing."""
    if nomination.status == NominationStatus.INVITED:
        return NEXT_ACCEPT if nomination.round.is_accepting() else NEXT_NONE
    if nomination.status != NominationStatus.ACCEPTED:
        return NEXT_NONE
    app_ = application_of(nomination)
    if app_ is None or app_.status == ApplicationStatus.WITHDRAWN:
        return NEXT_APPLY if nomination.round.is_accepting() else NEXT_NONE
    return NEXT_WAIT


def refuse_non_nominees(round_: Round, user=None, **_extra):
    """applications' `application_refusal`: a round under an agreement takes applications only
    from nominees who accepted their nomination."""
    link = agreement_round(round_)
    if link is None:
        return None
    accepted = db.session.scalar(
        select(Nomination.id).where(
            Nomination.round_id == round_.id,
            Nomination.candidate_id == user.id,
            Nomination.status == NominationStatus.ACCEPTED,
        )
    )
    if accepted:
        return None
    return NotAllowed(
        _(
            "This round is reserved for people nominated by %(org)s under agreement "
            "%(number)s who have accepted their nomination.",
            org=link.agreement.organisation.name_th,
            number=link.agreement.number,
        )
    )


application_refusal.connect(refuse_non_nominees)
