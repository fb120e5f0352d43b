"""Agreements (MOUs) with a partner organisation: recording and ending one, who may see it, its
validity and its places per fiscal year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..common.access import is_hr, need_hr_of
from ..common.clock import today_bangkok
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.lookup import get_or_not_found
from ..common.thai import be_year
from ..extensions import db
from ..recruitment.models import Position, StageKind
from .models import Agreement, AgreementStatus, Nomination, NominationStatus, PartnerOrganisation
from .organisations import get_organisation, need_partner

# A round under an agreement runs, unless the agreement says otherwise, a scored qualifications
# review then an interview (Part C), both ranking parts.
DEFAULT_AGREEMENT_STAGES = [StageKind.QUALIFICATIONS, StageKind.PART_C]


def need_hr_of_agency(user, agency_id: int) -> None:
    need_hr_of(user, agency_id, _("This agreement belongs to another agency."))


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
    need_hr_of_agency(actor, agreement.agency_id)
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
    return get_or_not_found(Agreement, agreement_id, _("No such agreement."))


def agreement_for_hr(agreement_id: int, user) -> Agreement:
    agreement = get_agreement(agreement_id)
    need_hr_of_agency(user, agreement.agency_id)
    return agreement


def agreement_for_partner(agreement_id: int, user) -> Agreement:
    org = need_partner(user)
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
