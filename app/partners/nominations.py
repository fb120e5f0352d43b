"""Nominations by the partner: within the agreement's places and validity, the invitation to the
nominee, withdrawal, and the lists of nominations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.integrity import flush_or_refuse
from ..common.lookup import get_or_not_found
from ..common.thai import format_date
from ..extensions import db
from ..notifications.services import queue_email
from ..recruitment.models import Round
from .agreements import places_used
from .models import (
    Agreement,
    AgreementRound,
    AgreementStatus,
    Nomination,
    NominationStatus,
    PartnerOrganisation,
)
from .organisations import need_partner, organisation_of
from .rounds import agreement_round


@dataclass
class NomineeInput:
    national_id: str
    email: str
    first_name_th: str
    last_name_th: str
    first_name_en: str = ""
    last_name_en: str = ""
    statement: str = ""


def nomination_snapshot(n: Nomination) -> dict:
    return {
        "agreement": n.agreement_id,
        "round": n.round_id,
        "fiscal_year": n.fiscal_year,
        "nominee": nid.masked(n.national_id),
        "email": n.email,
        "status": n.status,
        "candidate": n.candidate_id,
    }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def nomination_refusal(round_: Round, user, *, on: date | None = None) -> Exception | None:
    """Why `user` (a partner account) may not nominate for `round_` now, or None."""
    org = organisation_of(user)
    if org is None:
        return Forbidden(_("Only a partner organisation's account can nominate."))
    link = agreement_round(round_)
    if link is None:
        return NotAllowed(_("This round was not opened under an agreement: nobody can be nominated for it."))
    agreement = link.agreement
    if agreement.organisation_id != org.id:
        return Forbidden(_("This round was opened under another organisation's agreement."))
    on = on or today_bangkok()
    if agreement.status != AgreementStatus.ACTIVE:
        return NotAllowed(
            _("Agreement %(number)s has ended: nominations are closed.", number=agreement.number)
        )
    if not agreement.valid_from <= on <= agreement.valid_until:
        return NotAllowed(
            _(
                "Agreement %(number)s is valid from %(start)s to %(end)s: no "
                "nomination can be made outside that period.",
                number=agreement.number,
                start=format_date(agreement.valid_from),
                end=format_date(agreement.valid_until),
            )
        )
    if not round_.is_accepting():
        return NotAllowed(_("The round is not accepting applications, so nominations are closed."))
    return None


def nominate(
    round_: Round, actor, nominee: NomineeInput, *, invitation_link: Callable[[str], str]
) -> Nomination:
    """Nominate one person for a round under the partner's agreement, within its places for the
    fiscal year and its validity; the nominee gets an invitation by email.
    `invitation_link(token)` gives the link the email carries."""
    refusal = nomination_refusal(round_, actor)
    if refusal is not None:
        raise refusal
    link = agreement_round(round_)
    agreement = link.agreement
    person_id = nid.normalize(nominee.national_id)
    if not nid.is_valid(person_id):
        raise ValidationFailed(_("Enter a valid 13-digit national ID."), "national_id")
    email = (nominee.email or "").strip()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed(_("Enter the nominee's email address."), "email")
    if not (nominee.first_name_th or "").strip() or not (nominee.last_name_th or "").strip():
        raise ValidationFailed(_("Enter the nominee's name in Thai."), "first_name_th")
    if db.session.scalar(
        select(Nomination.id).where(Nomination.round_id == round_.id, Nomination.national_id == person_id)
    ):
        raise NotAllowed(_("This person has already been nominated for this round."), "national_id")
    # Places are counted under a lock on the agreement (PostgreSQL), so that two partner
    # accounts nominating at once cannot both take the last place; SQLite serializes writers.
    db.session.execute(select(Agreement.id).where(Agreement.id == agreement.id).with_for_update())
    year = link.fiscal_year
    used = places_used(agreement, year)
    if used >= agreement.places_per_year:
        raise NotAllowed(
            _(
                "Agreement %(number)s allows %(places)s places in fiscal year "
                "%(year)s and all of them are taken: withdraw a nomination to free "
                "a place.",
                number=agreement.number,
                places=agreement.places_per_year,
                year=year,
            )
        )
    token = secrets.token_urlsafe(32)
    nomination = Nomination(
        agreement_id=agreement.id,
        round_id=round_.id,
        fiscal_year=year,
        national_id=person_id,
        email=email,
        first_name_th=nominee.first_name_th.strip(),
        last_name_th=nominee.last_name_th.strip(),
        first_name_en=(nominee.first_name_en or "").strip(),
        last_name_en=(nominee.last_name_en or "").strip(),
        statement=(nominee.statement or "").strip(),
        status=NominationStatus.INVITED,
        token_hash=token_hash(token),
        nominated_by_id=actor.id,
        nominated_at=now(),
    )
    db.session.add(nomination)
    flush_or_refuse(NotAllowed(_("This person has already been nominated for this round."), "national_id"))
    record(
        "partner.nomination.create",
        nomination,
        actor=actor,
        after=nomination_snapshot(nomination)
        | {"places_used": used + 1, "places_per_year": agreement.places_per_year},
    )
    _queue_invitation(nomination, invitation_link(token))
    db.session.commit()
    return nomination


def _queue_invitation(nomination: Nomination, link: str) -> None:
    agreement, round_ = nomination.agreement, nomination.round
    org = agreement.organisation
    with force_locale("th"):
        subject = _("Nomination for %(round)s: complete your application", round=round_.title_th)
        body = _(
            "Dear %(name)s,\n\n%(org)s has nominated you, under agreement %(number)s with "
            'the Bangkok Metropolitan Administration, for the round "%(round)s" '
            "(%(code)s), which accepts applications until %(closes)s.\n\n"
            "Your data and your consent are yours: nothing is submitted in your name. To "
            "accept the nomination and complete your application yourself, log in (or "
            "register) with the account of your national ID and open:\n%(link)s\n\n"
            "If you do not wish to be nominated, you may decline on the same page.",
            name=nomination.full_name("th"),
            org=org.name_th,
            number=agreement.number,
            round=round_.title_th,
            code=round_.code,
            closes=format_date(round_.closes_at, "th"),
            link=link,
        )
    queue_email(
        to=nomination.email, subject=subject, body=body, dedupe_key=f"nomination-invite-{nomination.id}"
    )


def withdraw_nomination(nomination: Nomination, actor, reason: str) -> Nomination:
    """The partner takes a nomination back (with a reason); its place is freed. An application
    already submitted stays the candidate's: they may withdraw it themselves."""
    _need_own_nomination(nomination, need_partner(actor))
    if nomination.status not in NominationStatus.HOLDING:
        raise NotAllowed(_("This nomination is no longer active."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for withdrawing the nomination."), "reason")
    before = nomination_snapshot(nomination)
    nomination.status = NominationStatus.WITHDRAWN
    nomination.withdrawn_at, nomination.withdrawal_reason = now(), reason.strip()
    record(
        "partner.nomination.withdraw",
        nomination,
        actor=actor,
        before=before,
        after=nomination_snapshot(nomination) | {"reason": nomination.withdrawal_reason},
    )
    db.session.commit()
    return nomination


def _need_own_nomination(nomination: Nomination, org: PartnerOrganisation) -> None:
    if nomination.agreement.organisation_id != org.id:
        raise Forbidden(_("This nomination is another organisation's."))


def get_nomination(nomination_id: int) -> Nomination:
    return get_or_not_found(Nomination, nomination_id, _("No such nomination."))


def nomination_for_partner(nomination_id: int, user) -> Nomination:
    org = need_partner(user)
    nomination = get_nomination(nomination_id)
    _need_own_nomination(nomination, org)
    return nomination


def nominations_of_organisation(org: PartnerOrganisation) -> list[Nomination]:
    return list(
        db.session.scalars(
            select(Nomination)
            .join(Agreement)
            .where(Agreement.organisation_id == org.id)
            .order_by(Nomination.nominated_at.desc())
        )
    )


def nominations_of_agreement(agreement: Agreement) -> list[Nomination]:
    return list(
        db.session.scalars(
            select(Nomination)
            .where(Nomination.agreement_id == agreement.id)
            .order_by(Nomination.nominated_at.desc())
        )
    )


def nominations_of_round(round_: Round) -> list[Nomination]:
    return list(
        db.session.scalars(
            select(Nomination).where(Nomination.round_id == round_.id).order_by(Nomination.nominated_at)
        )
    )


def open_rounds_for_partner(org: PartnerOrganisation) -> list[AgreementRound]:
    """Rounds under the organisation's agreements that accept nominations now."""
    links = db.session.scalars(
        select(AgreementRound)
        .join(Agreement)
        .where(Agreement.organisation_id == org.id)
        .order_by(AgreementRound.id.desc())
    )
    return [link for link in links if link.round.is_accepting()]
