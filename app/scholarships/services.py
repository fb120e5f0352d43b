"""The scholarship channel's rules: contracts recorded by HR, placement rounds reserved for
scholars, the appointment (to the contract's agency, or another with a reason), the service
obligation counted from the appointment, early departure flagged for the repayment rule, and
reminders to HR through the outbox.

The obligation is counted in whole months: served = full months from the appointment to today
(or to the departure), owed = years owed × 12; it ends on appointment + owed months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..agencies.models import Agency
from ..applications.services import application_refusal
from ..audit.services import record
from ..common import national_id as nid
from ..common.access import HR_ROLES, is_hr, need_hr_of
from ..common.clock import now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..common.lookup import get_or_not_found
from ..common.thai import format_date
from ..extensions import db
from ..merit.models import EntryStatus, ListKind, ListStatus, MeritEntry, MeritList
from ..notifications.services import queue_email
from ..recruitment import services as recruitment
from ..recruitment.models import Round, StageKind
from .models import ContractStatus, PlacementRound, ScholarshipContract, ScholarshipReminder


def service_multiplier() -> Decimal:
    return Decimal(str(current_app.config["SCHOLARSHIP_SERVICE_MULTIPLIER"]))


def default_years_owed(years_funded: Decimal) -> Decimal:
    return (Decimal(years_funded) * service_multiplier()).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _need_hr_of(user, agency_id: int) -> None:
    need_hr_of(user, agency_id, _("This scholarship contract belongs to another agency."))


def _snapshot(c: ScholarshipContract) -> dict:
    return {
        "number": c.number,
        "agency": c.agency_id,
        "scholar": nid.masked(c.national_id),
        "field_of_study": c.field_of_study,
        "institution": c.institution,
        "years_funded": c.years_funded,
        "years_owed": c.years_owed,
        "status": c.status,
        "expected_graduation": c.expected_graduation,
        "appointed_agency": c.appointed_agency_id,
        "appointed_on": c.appointed_on,
        "departed_on": c.departed_on,
        "repayment_flagged": c.repayment_flagged,
    }


# ---- contracts -------------------------------------------------------------------------------


@dataclass
class ContractInput:
    number: str
    national_id: str
    email: str
    first_name_th: str
    last_name_th: str
    field_of_study: str
    institution: str
    study_start: date
    expected_graduation: date
    years_funded: Decimal
    years_owed: Decimal | None = None  # None: the default multiple of the years funded
    degree: str = ""
    first_name_en: str = ""
    last_name_en: str = ""


def record_contract(actor, data: ContractInput) -> ScholarshipContract:
    if not is_hr(actor):
        raise Forbidden(_("Only HR can record scholarship contracts."))
    number = (data.number or "").strip()
    if not number:
        raise ValidationFailed(_("The contract's number is required."), "number")
    if db.session.scalar(select(ScholarshipContract.id).where(ScholarshipContract.number == number)):
        raise ValidationFailed(_("Another contract already has this number."), "number")
    person = nid.normalize(data.national_id)
    if not nid.is_valid(person):
        raise ValidationFailed(_("Enter a valid 13-digit national ID."), "national_id")
    if db.session.scalar(select(ScholarshipContract.id).where(ScholarshipContract.national_id == person)):
        raise ValidationFailed(_("This person already has a scholarship contract."), "national_id")
    if "@" not in (data.email or ""):
        raise ValidationFailed(_("Enter the scholar's email address."), "email")
    for name in ("first_name_th", "last_name_th", "field_of_study", "institution"):
        if not (getattr(data, name) or "").strip():
            raise ValidationFailed(_("This field is required."), name)
    if (
        data.study_start is None
        or data.expected_graduation is None
        or data.expected_graduation <= data.study_start
    ):
        raise ValidationFailed(_("Graduation must come after the start of studies."), "expected_graduation")
    try:
        funded = Decimal(str(data.years_funded))
    except Exception:
        funded = Decimal(0)
    if not Decimal("0.5") <= funded <= Decimal(15):
        raise ValidationFailed(_("Years funded must be between 0.5 and 15."), "years_funded")
    owed = default_years_owed(funded) if data.years_owed in (None, "") else Decimal(str(data.years_owed))
    if not Decimal(0) <= owed <= Decimal(40):
        raise ValidationFailed(_("Years of service owed must be between 0 and 40."), "years_owed")
    contract = ScholarshipContract(
        number=number,
        agency_id=actor.agency_id,
        national_id=person,
        email=data.email.strip(),
        first_name_th=data.first_name_th.strip(),
        last_name_th=data.last_name_th.strip(),
        first_name_en=(data.first_name_en or "").strip(),
        last_name_en=(data.last_name_en or "").strip(),
        field_of_study=data.field_of_study.strip(),
        degree=(data.degree or "").strip(),
        institution=data.institution.strip(),
        study_start=data.study_start,
        expected_graduation=data.expected_graduation,
        years_funded=funded,
        years_owed=owed,
        status=ContractStatus.STUDYING,
        recorded_by_id=actor.id,
    )
    db.session.add(contract)
    db.session.flush()
    record(
        "scholarship.contract.record",
        contract,
        actor=actor,
        after=_snapshot(contract) | {"default_owed": owed == default_years_owed(funded)},
    )
    db.session.commit()
    return contract


def contracts_of_agency(agency_id: int) -> list[ScholarshipContract]:
    return list(
        db.session.scalars(
            select(ScholarshipContract)
            .where(ScholarshipContract.agency_id == agency_id)
            .order_by(ScholarshipContract.expected_graduation, ScholarshipContract.id)
        )
    )


def contract_for_hr(contract_id: int, user) -> ScholarshipContract:
    contract = get_or_not_found(ScholarshipContract, contract_id, _("No such scholarship contract."))
    _need_hr_of(user, contract.agency_id)
    return contract


def contract_of_person(user) -> ScholarshipContract | None:
    if not getattr(user, "national_id", None):
        return None
    return db.session.scalar(
        select(ScholarshipContract).where(ScholarshipContract.national_id == user.national_id)
    )


def scholar_account(contract: ScholarshipContract) -> User | None:
    return db.session.scalar(select(User).where(User.national_id == contract.national_id))


# ---- placement rounds ------------------------------------------------------------------------


def open_placement_round(
    actor, draft: recruitment.ChannelRound, fields_of_study: list[str] | None = None
) -> Round:
    """A draft selection round reserved for scholars, with a scored qualifications review (HR
    opens it with the round's own pages)."""
    if not is_hr(actor):
        raise Forbidden(_("Only HR can open placement rounds."))
    values = dict(
        fields_of_study=[f.strip() for f in fields_of_study or [] if f.strip()],
        description_th="รอบบรรจุนักเรียนทุนของกรุงเทพมหานคร เฉพาะผู้ที่มีสัญญารับทุนและยังไม่ได้"
        "รับการบรรจุ คัดเลือกโดยการประเมินคุณสมบัติ",
        description_en="Placement of BMA scholarship students: open only to holders of a "
        "scholarship contract not yet appointed; selection by a qualifications "
        "review.",
    )
    stages = [recruitment.StageSpec(StageKind.QUALIFICATIONS, Decimal(100), counts_for_ranking=True)]
    round_ = recruitment.create_channel_round(actor.agency_id, actor, draft, stages, **values)
    link = PlacementRound(round_id=round_.id)
    db.session.add(link)
    db.session.flush()
    record("scholarship.round.open", link, actor=actor, after={"round": round_.id, "code": round_.code})
    db.session.commit()
    return round_


def is_placement_round(round_: Round) -> bool:
    return (
        db.session.scalar(select(PlacementRound.id).where(PlacementRound.round_id == round_.id)) is not None
    )


def placement_rounds_of_agency(agency_id: int) -> list[Round]:
    return list(
        db.session.scalars(
            select(Round).join(PlacementRound).where(Round.agency_id == agency_id).order_by(Round.id.desc())
        )
    )


def open_placement_rounds() -> list[Round]:
    rounds = db.session.scalars(select(Round).join(PlacementRound).order_by(Round.closes_at))
    return [r for r in rounds if r.is_accepting()]


def refuse_non_scholars(round_: Round, user=None, **_extra):
    """applications' `application_refusal`: a placement round takes applications only from
    holders of a scholarship contract who have not been appointed yet."""
    if not is_placement_round(round_):
        return None
    contract = contract_of_person(user)
    if contract is None:
        return NotAllowed(
            _(
                "This placement round is reserved for BMA scholarship students: "
                "no scholarship contract is recorded for your national ID."
            )
        )
    if contract.status != ContractStatus.STUDYING:
        return NotAllowed(_("Your scholarship contract has already led to an appointment."))
    return None


application_refusal.connect(refuse_non_scholars)


# ---- appointment and the obligation ----------------------------------------------------------


def placement_entry(contract: ScholarshipContract) -> tuple[MeritList, MeritEntry] | None:
    """The scholar's place on a published merit list of a placement round, if any."""
    user = scholar_account(contract)
    if user is None:
        return None
    row = db.session.execute(
        select(MeritList, MeritEntry)
        .join(MeritEntry, MeritEntry.list_id == MeritList.id)
        .join(PlacementRound, PlacementRound.round_id == MeritList.round_id)
        .where(
            MeritEntry.candidate_id == user.id,
            MeritList.kind == ListKind.MERIT,
            MeritList.status == ListStatus.PUBLISHED,
        )
        .order_by(MeritList.published_at.desc())
    ).first()
    return (row[0], row[1]) if row else None


def appoint(
    contract: ScholarshipContract, actor, *, agency_id: int, on: date, reason: str = ""
) -> ScholarshipContract:
    """Record the scholar's appointment, from a published placement list: to the contract's
    agency, or to another agency with a reason. The obligation runs from `on`."""
    _need_hr_of(actor, contract.agency_id)
    if contract.status != ContractStatus.STUDYING:
        raise NotAllowed(_("This scholar has already been appointed."))
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise ValidationFailed(_("Choose the agency of the appointment."), "agency_id")
    reason = (reason or "").strip()
    if agency.id != contract.agency_id and not reason:
        raise ValidationFailed(
            _("Give the reason for appointing the scholar to an agency other than the one in the contract."),
            "reason",
        )
    if not isinstance(on, date):
        raise ValidationFailed(_("Give the date of the appointment."), "on")
    placed = placement_entry(contract)
    if placed is None:
        raise NotAllowed(
            _("The scholar is not on a published placement list: publish the placement round's list first.")
        )
    merit_list, entry = placed
    if entry.status == EntryStatus.CALLED:
        raise NotAllowed(_("The scholar has an open offer from the placement list: wait for their answer."))
    if entry.status in (EntryStatus.WAIVED, EntryStatus.LAPSED):
        raise NotAllowed(_("The scholar waived or let lapse their place on the placement list."))
    before = _snapshot(contract)
    contract.status = ContractStatus.SERVING
    contract.appointed_agency_id, contract.appointed_on = agency.id, on
    contract.appointment_reason, contract.placement_list_id = reason, merit_list.id
    if entry.status == EntryStatus.AVAILABLE:
        entry.status = EntryStatus.APPOINTED  # an appointed candidate leaves the list
    record(
        "scholarship.appoint",
        contract,
        actor=actor,
        before=before,
        after=_snapshot(contract)
        | {"reason": reason, "list": merit_list.id, "list_digest": merit_list.digest, "rank": entry.rank},
    )
    db.session.commit()
    return contract


def months_between(start: date, end: date) -> int:
    """Full months from `start` to `end` (0 if end is before start)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


@dataclass
class Obligation:
    owed_months: int
    served_months: int
    remaining_months: int
    ends_on: date | None
    fulfilled: bool
    early_departure: bool


def obligation(contract: ScholarshipContract, on: date | None = None) -> Obligation:
    owed = int((Decimal(contract.years_owed) * 12).to_integral_value(ROUND_HALF_UP))
    if contract.appointed_on is None:
        return Obligation(owed, 0, owed, None, False, False)
    on = on or today_bangkok()
    until = min(on, contract.departed_on) if contract.departed_on else on
    served = min(owed, months_between(contract.appointed_on, until))
    ends = add_months(contract.appointed_on, owed)
    fulfilled = served >= owed
    return Obligation(
        owed, served, owed - served, ends, fulfilled, contract.status == ContractStatus.DEPARTED_EARLY
    )


def record_departure(contract: ScholarshipContract, actor, *, on: date, reason: str) -> ScholarshipContract:
    """The scholar leaves BMA service. Before the obligation is served the departure is flagged
    for the repayment rule (the unserved share is recorded); after, the contract is complete."""
    _need_hr_of(actor, contract.agency_id)
    if contract.status != ContractStatus.SERVING:
        raise NotAllowed(_("Only a scholar who is serving can leave."))
    if not isinstance(on, date) or on < contract.appointed_on:
        raise ValidationFailed(_("The departure cannot come before the appointment."), "on")
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for the departure."), "reason")
    before = _snapshot(contract)
    contract.departed_on, contract.departure_reason = on, reason.strip()
    ob = obligation(contract, on)
    if ob.fulfilled:
        contract.status = ContractStatus.COMPLETED
    else:
        contract.status = ContractStatus.DEPARTED_EARLY
        contract.repayment_flagged = True
    record(
        "scholarship.depart",
        contract,
        actor=actor,
        before=before,
        after=_snapshot(contract)
        | {
            "reason": contract.departure_reason,
            "served_months": ob.served_months,
            "owed_months": ob.owed_months,
            "unserved_months": ob.remaining_months,
        },
    )
    db.session.commit()
    return contract


# ---- reminders to HR -------------------------------------------------------------------------

GRADUATION, OBLIGATION_END, REPAYMENT = "graduation", "obligation_end", "repayment"


def _hr_of(agency_id: int) -> list[User]:
    users = db.session.scalars(select(User).where(User.agency_id == agency_id, User.active))
    return [u for u in users if u.has_role(*HR_ROLES)]


def _due(contract: ScholarshipContract, today: date) -> tuple[str, date] | None:
    if contract.status == ContractStatus.STUDYING:
        days = int(current_app.config["SCHOLARSHIP_GRADUATION_NOTICE_DAYS"])
        if contract.expected_graduation <= today + timedelta(days=days):
            return GRADUATION, contract.expected_graduation
    elif contract.status == ContractStatus.SERVING:
        ends = obligation(contract, today).ends_on
        days = int(current_app.config["SCHOLARSHIP_OBLIGATION_NOTICE_DAYS"])
        if ends is not None and ends <= today + timedelta(days=days):
            return OBLIGATION_END, ends
    elif contract.status == ContractStatus.DEPARTED_EARLY and contract.repayment_flagged:
        return REPAYMENT, contract.departed_on
    return None


def _reminder_text(kind: str, c: ScholarshipContract, due: date) -> tuple[str, str]:
    name = f"{c.full_name('th')} ({c.number})"
    if kind == GRADUATION:
        return (
            _(
                "Scholar %(name)s graduates on %(date)s: plan the placement",
                name=name,
                date=format_date(due, "th"),
            ),
            _(
                "The scholar %(name)s (%(field)s, %(institution)s) is expected to graduate on "
                "%(date)s. Open or check a placement round so that they can apply, and appoint "
                "them from its published list.",
                name=name,
                field=c.field_of_study,
                institution=c.institution,
                date=format_date(due, "th"),
            ),
        )
    if kind == OBLIGATION_END:
        return (
            _(
                "Scholar %(name)s completes the service obligation on %(date)s",
                name=name,
                date=format_date(due, "th"),
            ),
            _(
                "The service obligation of %(name)s (%(years)s years) ends on %(date)s. "
                "Record the completion when it comes.",
                name=name,
                years=c.years_owed,
                date=format_date(due, "th"),
            ),
        )
    return (
        _("Scholar %(name)s left before the end of the obligation: repayment", name=name),
        _(
            "%(name)s left BMA service on %(date)s before serving the years owed. The contract "
            "is flagged for the repayment rule: start the repayment procedure.",
            name=name,
            date=format_date(due, "th"),
        ),
    )


def send_reminders(today: date | None = None) -> dict:
    """Queue one email per HR user of the contract's agency for each thing due (graduation
    coming, obligation ending, early departure to recover), once per contract, kind and date.
    Run by the scheduler and by `flask scholarships remind`."""
    today = today or today_bangkok()
    sent = 0
    contracts = db.session.scalars(
        select(ScholarshipContract).where(ScholarshipContract.status != ContractStatus.COMPLETED)
    )
    for contract in contracts:
        due = _due(contract, today)
        if due is None:
            continue
        kind, due_on = due
        if db.session.scalar(
            select(ScholarshipReminder.id).where(
                ScholarshipReminder.contract_id == contract.id,
                ScholarshipReminder.kind == kind,
                ScholarshipReminder.due_on == due_on,
            )
        ):
            continue
        recipients = _hr_of(contract.agency_id)
        with force_locale("th"):
            subject, body = _reminder_text(kind, contract, due_on)
        for hr in recipients:
            queue_email(
                to=hr.email,
                subject=subject,
                body=body,
                user_id=hr.id,
                dedupe_key=f"scholarship-{kind}-{contract.id}-{due_on}-{hr.id}",
            )
        reminder = ScholarshipReminder(contract_id=contract.id, kind=kind, due_on=due_on, sent_at=now())
        db.session.add(reminder)
        db.session.flush()
        record(
            "scholarship.reminder",
            contract,
            after={"kind": kind, "due_on": due_on, "recipients": [u.id for u in recipients]},
        )
        db.session.commit()
        sent += 1
    return {"reminders": sent}


# ---- words -----------------------------------------------------------------------------------

contract_status_label = labeller(
    {
        ContractStatus.STUDYING: lambda: _("studying"),
        ContractStatus.SERVING: lambda: _("serving the obligation"),
        ContractStatus.COMPLETED: lambda: _("obligation completed"),
        ContractStatus.DEPARTED_EARLY: lambda: _("left early: repayment due"),
    }
)


def months_label(months: int) -> str:
    years, rest = divmod(months, 12)
    return _("%(y)s years %(m)s months", y=years, m=rest)
