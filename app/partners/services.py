"""The MOU channel's rules: partner organisations and their accounts, agreements, rounds opened
under an agreement, and nominations within the agreement's places and validity.

A nominee completes the application themselves: the partner gives a name, a national ID and an
email; the nominee gets an invitation (the outbox), logs in with the account whose national ID
was nominated, gives consent, and applies through the ordinary application form. Only a
nominee who accepted may apply to a round opened under an agreement (`refuse_non_nominees`,
connected to applications' `application_refusal`). HR then reviews, scores and publishes the
round's list with the ordinary pages.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Role, User
from ..accounts.services import grant_role
from ..applications.models import Application, ApplicationStatus
from ..applications.services import application_refusal
from ..audit.services import record
from ..common import national_id as nid
from ..common.access import HR_ROLES, is_hr, need_hr_of
from ..common.clock import BANGKOK, now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..common.i18n import labeller
from ..common.thai import be_year, format_date
from ..extensions import db
from ..notifications.services import queue_email
from ..recruitment import services as recruitment
from ..recruitment.models import Mode, Position, Round, StageKind
from .models import (
    Agreement,
    AgreementRound,
    AgreementStatus,
    Nomination,
    NominationStatus,
    OrganisationKind,
    PartnerMember,
    PartnerOrganisation,
)

# A round under an agreement runs, unless the agreement says otherwise, a scored qualifications
# review then an interview (Part C), both ranking parts.
DEFAULT_AGREEMENT_STAGES = [StageKind.QUALIFICATIONS, StageKind.PART_C]
STAGE_MAX_SCORE = {
    StageKind.PART_A: 200,
    StageKind.PART_B: 200,
    StageKind.PART_C: 100,
    StageKind.QUALIFICATIONS: 100,
}


# ---- who may act ---------------------------------------------------------------------------


def organisation_of(user) -> PartnerOrganisation | None:
    """The organisation a partner account acts for (None: not a partner, or not linked yet)."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.PARTNER):
        return None
    member = db.session.scalar(select(PartnerMember).where(PartnerMember.user_id == user.id))
    return member.organisation if member else None


def _need_partner(user) -> PartnerOrganisation:
    org = organisation_of(user)
    if org is None:
        raise Forbidden(
            _(
                "Your account is not linked to a partner organisation. Ask the HR "
                "office that signed your agreement to link it."
            )
        )
    return org


def _need_hr_of(user, agency_id: int) -> None:
    need_hr_of(user, agency_id, _("This agreement belongs to another agency."))


# ---- organisations and their accounts --------------------------------------------------------


def create_organisation(
    actor, *, name_th: str, name_en: str = "", kind: str = OrganisationKind.OTHER
) -> PartnerOrganisation:
    if not is_hr(actor):
        raise Forbidden(_("Only HR can record partner organisations."))
    name_th = (name_th or "").strip()
    if not name_th:
        raise ValidationFailed(_("A Thai name is required."), "name_th")
    if kind not in OrganisationKind.ALL:
        raise ValidationFailed(_("Choose the kind of organisation."), "kind")
    if db.session.scalar(select(PartnerOrganisation).where(PartnerOrganisation.name_th == name_th)):
        raise ValidationFailed(_("A partner organisation with this name already exists."), "name_th")
    org = PartnerOrganisation(
        name_th=name_th, name_en=(name_en or "").strip(), kind=kind, created_by_id=actor.id
    )
    db.session.add(org)
    db.session.flush()
    record(
        "partner.organisation.create",
        org,
        actor=actor,
        after={"name_th": org.name_th, "name_en": org.name_en, "kind": kind},
    )
    db.session.commit()
    return org


def organisations() -> list[PartnerOrganisation]:
    return list(db.session.scalars(select(PartnerOrganisation).order_by(PartnerOrganisation.name_th)))


def get_organisation(org_id: int) -> PartnerOrganisation:
    org = db.session.get(PartnerOrganisation, org_id)
    if org is None:
        raise NotFound(_("No such partner organisation."))
    return org


def link_partner_account(org: PartnerOrganisation, email: str, actor) -> PartnerMember:
    """HR of an agency with an agreement with `org` links an existing account to it and gives
    it the partner role. An account acts for one organisation only."""
    if not is_hr(actor):
        raise Forbidden(_("Only HR can link partner accounts."))
    if not db.session.scalar(
        select(Agreement.id).where(
            Agreement.organisation_id == org.id, Agreement.agency_id == actor.agency_id
        )
    ):
        raise Forbidden(_("Your agency has no agreement with this organisation."))
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        raise ValidationFailed(
            _("No account has this email address: the person must register first."), "email"
        )
    if user.has_role(*HR_ROLES, Role.ADMIN):
        raise ValidationFailed(_("A BMA staff account cannot act for a partner."), "email")
    member = db.session.scalar(select(PartnerMember).where(PartnerMember.user_id == user.id))
    if member is not None:
        if member.organisation_id == org.id:
            raise ValidationFailed(_("This account is already linked to the organisation."), "email")
        raise ValidationFailed(_("This account already acts for another partner organisation."), "email")
    member = PartnerMember(user_id=user.id, organisation_id=org.id, added_by_id=actor.id)
    db.session.add(member)
    db.session.flush()
    record(
        "partner.member.add",
        member,
        actor=actor,
        after={"user": user.id, "email": user.email, "organisation": org.id},
    )
    grant_role(user, Role.PARTNER, actor)  # commits the link with the role
    return member


def members_of(org: PartnerOrganisation) -> list[PartnerMember]:
    return list(
        db.session.scalars(
            select(PartnerMember).where(PartnerMember.organisation_id == org.id).order_by(PartnerMember.id)
        )
    )


# ---- agreements ------------------------------------------------------------------------------


@dataclass
class AgreementInput:
    number: str
    organisation_id: int
    title_th: str
    position_ids: list[int]
    places_per_year: int
    valid_from: date
    valid_until: date
    title_en: str = ""
    qualifications_th: str = ""
    qualifications_en: str = ""
    min_education_level: str | None = None
    fields_of_study: list[str] | None = None
    stages: list[str] | None = None


def _snapshot(a: Agreement) -> dict:
    return {
        "number": a.number,
        "agency": a.agency_id,
        "organisation": a.organisation_id,
        "positions": [p.id for p in a.positions],
        "places_per_year": a.places_per_year,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "stages": a.stages,
        "min_education_level": a.min_education_level,
        "fields_of_study": a.fields_of_study,
        "status": a.status,
    }


def create_agreement(actor, data: AgreementInput) -> Agreement:
    if not is_hr(actor):
        raise Forbidden(_("Only HR can record agreements."))
    number = (data.number or "").strip()
    if not number:
        raise ValidationFailed(_("The agreement's number is required."), "number")
    if db.session.scalar(select(Agreement.id).where(Agreement.number == number)):
        raise ValidationFailed(_("Another agreement already has this number."), "number")
    if not (data.title_th or "").strip():
        raise ValidationFailed(_("A Thai title is required."), "title_th")
    get_organisation(data.organisation_id)
    if not isinstance(data.places_per_year, int) or data.places_per_year < 1:
        raise ValidationFailed(_("An agreement offers at least one place a year."), "places_per_year")
    if data.valid_from is None or data.valid_until is None or data.valid_until < data.valid_from:
        raise ValidationFailed(_("The agreement must end on or after the day it starts."), "valid_until")
    positions = [db.session.get(Position, pid) for pid in data.position_ids or []]
    if not positions or any(p is None or p.agency_id != actor.agency_id for p in positions):
        raise ValidationFailed(_("Choose at least one position of your agency."), "position_ids")
    stages = list(data.stages or DEFAULT_AGREEMENT_STAGES)
    if any(s not in StageKind.ALL for s in stages) or len(set(stages)) != len(stages):
        raise ValidationFailed(_("Choose each selection stage once."), "stages")
    agreement = Agreement(
        number=number,
        agency_id=actor.agency_id,
        organisation_id=data.organisation_id,
        title_th=data.title_th.strip(),
        title_en=(data.title_en or "").strip(),
        places_per_year=data.places_per_year,
        qualifications_th=data.qualifications_th or "",
        qualifications_en=data.qualifications_en or "",
        min_education_level=data.min_education_level or None,
        fields_of_study=[f.strip() for f in data.fields_of_study or [] if f.strip()],
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        stages=stages,
        created_by_id=actor.id,
    )
    agreement.positions = positions
    db.session.add(agreement)
    db.session.flush()
    record("partner.agreement.create", agreement, actor=actor, after=_snapshot(agreement))
    db.session.commit()
    return agreement


def terminate_agreement(agreement: Agreement, actor, reason: str) -> Agreement:
    _need_hr_of(actor, agreement.agency_id)
    if agreement.status != AgreementStatus.ACTIVE:
        raise NotAllowed(_("This agreement has already ended."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for ending the agreement."), "reason")
    before = _snapshot(agreement)
    agreement.status = AgreementStatus.TERMINATED
    agreement.termination_reason = reason.strip()
    record(
        "partner.agreement.terminate",
        agreement,
        actor=actor,
        before=before,
        after=_snapshot(agreement) | {"reason": agreement.termination_reason},
    )
    db.session.commit()
    return agreement


def agreements_of_agency(agency_id: int) -> list[Agreement]:
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.agency_id == agency_id)
            .order_by(Agreement.valid_until.desc(), Agreement.id)
        )
    )


def agreements_of_organisation(org: PartnerOrganisation) -> list[Agreement]:
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.organisation_id == org.id)
            .order_by(Agreement.valid_until.desc(), Agreement.id)
        )
    )


def get_agreement(agreement_id: int) -> Agreement:
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(_("No such agreement."))
    return agreement


def agreement_for_hr(agreement_id: int, user) -> Agreement:
    agreement = get_agreement(agreement_id)
    _need_hr_of(user, agreement.agency_id)
    return agreement


def agreement_for_partner(agreement_id: int, user) -> Agreement:
    org = _need_partner(user)
    agreement = get_agreement(agreement_id)
    if agreement.organisation_id != org.id:
        raise Forbidden(_("This agreement is another organisation's."))
    return agreement


def in_force(agreement: Agreement, on: date | None = None) -> bool:
    on = on or today_bangkok()
    return agreement.status == AgreementStatus.ACTIVE and agreement.valid_from <= on <= agreement.valid_until


def fiscal_year(on: date) -> int:
    """The Thai government's fiscal year (Buddhist Era) of a day: 1 October to 30 September,
    named after the year in which it ends."""
    return be_year(on) + (1 if on.month >= 10 else 0)


def places_used(agreement: Agreement, year: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Nomination.id)).where(
                Nomination.agreement_id == agreement.id,
                Nomination.fiscal_year == year,
                Nomination.status.in_(NominationStatus.HOLDING),
            )
        )
        or 0
    )


def places_left(agreement: Agreement, year: int) -> int:
    return max(0, agreement.places_per_year - places_used(agreement, year))


# ---- rounds under an agreement ---------------------------------------------------------------


def _bangkok_day(value: datetime) -> date:
    return value.astimezone(BANGKOK).date() if value.tzinfo else value.date()


def open_round(
    agreement: Agreement,
    actor,
    *,
    code: str,
    position_id: int,
    title_th: str,
    opens_at: datetime,
    closes_at: datetime,
    vacancies: int,
    title_en: str = "",
    description_th: str = "",
    description_en: str = "",
) -> Round:
    """A draft selection round under the agreement (HR opens it with the round's own pages):
    one of its positions, its qualifications and stages, a window inside its validity, no more
    vacancies than its places a year."""
    _need_hr_of(actor, agreement.agency_id)
    if agreement.status != AgreementStatus.ACTIVE:
        raise NotAllowed(_("This agreement has ended: no round can be opened under it."))
    if position_id not in {p.id for p in agreement.positions}:
        raise ValidationFailed(_("The agreement does not cover this position."), "position_id")
    if not isinstance(opens_at, datetime) or not isinstance(closes_at, datetime):
        raise ValidationFailed(_("The application window needs a start and an end."), "opens_at")
    first, last = _bangkok_day(opens_at), _bangkok_day(closes_at)
    if first < agreement.valid_from or last > agreement.valid_until:
        raise ValidationFailed(
            _(
                "The application window must lie within the agreement's validity (%(start)s to %(end)s).",
                start=format_date(agreement.valid_from),
                end=format_date(agreement.valid_until),
            ),
            "opens_at",
        )
    if not isinstance(vacancies, int) or not 1 <= vacancies <= agreement.places_per_year:
        raise ValidationFailed(
            _(
                "Vacancies must be between 1 and the agreement's %(n)s places a year.",
                n=agreement.places_per_year,
            ),
            "vacancies",
        )
    stages = [
        recruitment.StageSpec(
            kind, Decimal(STAGE_MAX_SCORE[kind]), counts_for_ranking=kind != StageKind.PART_A
        )
        for kind in agreement.stages or DEFAULT_AGREEMENT_STAGES
    ]
    org = agreement.organisation
    values = dict(
        code=code,
        position_id=position_id,
        mode=Mode.SELECTION,
        title_th=title_th,
        title_en=title_en,
        opens_at=opens_at,
        closes_at=closes_at,
        vacancies=vacancies,
        description_th=(description_th or "").strip()
        or (
            f"คัดเลือกตามบันทึกข้อตกลงความร่วมมือเลขที่ {agreement.number} กับ{org.name_th} "
            f"เฉพาะผู้ที่ได้รับการเสนอชื่อจากหน่วยงานคู่สัญญาและยืนยันการเสนอชื่อแล้ว\n"
            f"คุณสมบัติ: {agreement.qualifications_th}"
        ),
        description_en=(description_en or "").strip()
        or (
            f"Selection under agreement (MOU) no. {agreement.number} with "
            f"{org.name_en or org.name_th}, open only to people nominated by the partner who "
            f"have accepted their nomination.\nQualifications: {agreement.qualifications_en}"
        ),
        min_education_level=agreement.min_education_level,
        fields_of_study=list(agreement.fields_of_study or []),
    )
    round_ = recruitment.create_round(agreement.agency_id, actor, values, stages)
    link = AgreementRound(round_id=round_.id, agreement_id=agreement.id, fiscal_year=fiscal_year(first))
    db.session.add(link)
    db.session.flush()
    record(
        "partner.round.open",
        link,
        actor=actor,
        after={
            "round": round_.id,
            "code": round_.code,
            "agreement": agreement.number,
            "fiscal_year": link.fiscal_year,
        },
    )
    db.session.commit()
    return round_


def agreement_round(round_: Round) -> AgreementRound | None:
    return db.session.scalar(select(AgreementRound).where(AgreementRound.round_id == round_.id))


def rounds_of_agreement(agreement: Agreement) -> list[AgreementRound]:
    return list(
        db.session.scalars(
            select(AgreementRound)
            .where(AgreementRound.agreement_id == agreement.id)
            .order_by(AgreementRound.id.desc())
        )
    )


# ---- nominations -----------------------------------------------------------------------------


@dataclass
class NomineeInput:
    national_id: str
    email: str
    first_name_th: str
    last_name_th: str
    first_name_en: str = ""
    last_name_en: str = ""
    statement: str = ""


def _nomination_snapshot(n: Nomination) -> dict:
    return {
        "agreement": n.agreement_id,
        "round": n.round_id,
        "fiscal_year": n.fiscal_year,
        "nominee": nid.masked(n.national_id),
        "email": n.email,
        "status": n.status,
        "candidate": n.candidate_id,
    }


def _token_hash(token: str) -> str:
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
        token_hash=_token_hash(token),
        nominated_by_id=actor.id,
        nominated_at=now(),
    )
    db.session.add(nomination)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("This person has already been nominated for this round."), "national_id") from None
    record(
        "partner.nomination.create",
        nomination,
        actor=actor,
        after=_nomination_snapshot(nomination)
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
    _need_own_nomination(nomination, _need_partner(actor))
    if nomination.status not in NominationStatus.HOLDING:
        raise NotAllowed(_("This nomination is no longer active."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for withdrawing the nomination."), "reason")
    before = _nomination_snapshot(nomination)
    nomination.status = NominationStatus.WITHDRAWN
    nomination.withdrawn_at, nomination.withdrawal_reason = now(), reason.strip()
    record(
        "partner.nomination.withdraw",
        nomination,
        actor=actor,
        before=before,
        after=_nomination_snapshot(nomination) | {"reason": nomination.withdrawal_reason},
    )
    db.session.commit()
    return nomination


def _need_own_nomination(nomination: Nomination, org: PartnerOrganisation) -> None:
    if nomination.agreement.organisation_id != org.id:
        raise Forbidden(_("This nomination is another organisation's."))


def _get_nomination(nomination_id: int) -> Nomination:
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound(_("No such nomination."))
    return nomination


def nomination_for_partner(nomination_id: int, user) -> Nomination:
    org = _need_partner(user)
    nomination = _get_nomination(nomination_id)
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


# ---- the nominee -----------------------------------------------------------------------------


def nomination_by_token(token: str) -> Nomination:
    nomination = db.session.scalar(
        select(Nomination).where(Nomination.token_hash == _token_hash(token or ""))
    )
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
    nomination = _get_nomination(nomination_id)
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
    before = _nomination_snapshot(nomination)
    nomination.candidate_id = user.id
    for column, value in answer.items():
        setattr(nomination, column, value)
    record(
        action, nomination, actor=user, before=before, after=_nomination_snapshot(nomination) | logged, ip=ip
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


# ---- words -----------------------------------------------------------------------------------

nomination_status_label = labeller(
    {
        NominationStatus.INVITED: lambda: _("invited, awaiting the nominee's answer"),
        NominationStatus.ACCEPTED: lambda: _("accepted by the nominee"),
        NominationStatus.DECLINED: lambda: _("declined by the nominee"),
        NominationStatus.WITHDRAWN: lambda: _("withdrawn by the partner"),
    }
)
organisation_kind_label = labeller(
    {
        OrganisationKind.UNIVERSITY: lambda: _("University"),
        OrganisationKind.HOSPITAL: lambda: _("Hospital"),
        OrganisationKind.PUBLIC_BODY: lambda: _("Public body"),
        OrganisationKind.OTHER: lambda: _("Other organisation"),
    }
)
agreement_status_label = labeller(
    {
        AgreementStatus.ACTIVE: lambda: _("active"),
        AgreementStatus.TERMINATED: lambda: _("ended"),
    }
)
