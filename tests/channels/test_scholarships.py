"""The scholarship channel through the views: HR records a contract (years owed default to twice
the years funded), opens a placement round reserved for scholars, reviews the scholar's
qualifications and publishes the list; the scholar is appointed (elsewhere only with a reason),
the obligation is tracked, an early departure is flagged for repayment, HR is reminded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.applications.models import Application
from app.audit.models import AuditEntry
from app.common.clock import BANGKOK, now, today_bangkok
from app.merit.models import EntryStatus, MeritList
from app.notifications.models import OutboxEmail
from app.recruitment.models import Round
from app.scholarships import services
from app.scholarships.models import ContractStatus, ScholarshipContract, ScholarshipReminder
from tests.factories import client_for
from tests.factories.applications import post_apply

FMT = "%Y-%m-%dT%H:%M"


def record_contract(hr_client, scholar, **extra):
    data = {
        "number": "TUN-01/2566",
        "national_id": scholar.national_id,
        "email": "scholar@example.com",
        "first_name_th": "สมหญิง",
        "last_name_th": "เรียนดี",
        "first_name_en": "Somying",
        "last_name_en": "Riandee",
        "field_of_study": "พยาบาลศาสตร์",
        "degree": "พยาบาลศาสตรบัณฑิต",
        "institution": "วิทยาลัยพยาบาลเกื้อการุณย์",
        "study_start": (today_bangkok() - timedelta(days=4 * 365)).isoformat(),
        "expected_graduation": (today_bangkok() + timedelta(days=30)).isoformat(),
        "years_funded": "4",
    }
    data.update(extra)
    return hr_client.post("/hr/scholarships/contracts", data=data)


def placed_scholar(app, db, make):
    agency = make.agency()
    hr = make.hr(agency)
    hc = client_for(app, hr)
    scholar = make.candidate()
    assert record_contract(hc, scholar).status_code == 302
    contract = db.session.scalar(select(ScholarshipContract))
    position = make.position(agency, title_th="พยาบาลวิชาชีพ", title_en="Registered Nurse")
    r = hc.post(
        "/hr/scholarships/rounds",
        data={
            "code": "TUN-P1",
            "position_id": position.id,
            "title_th": "บรรจุนักเรียนทุนพยาบาล",
            "title_en": "Placement of nursing scholars",
            "opens_at": (now() - timedelta(hours=1)).astimezone(BANGKOK).strftime(FMT),
            "closes_at": (now() + timedelta(days=7)).astimezone(BANGKOK).strftime(FMT),
            "vacancies": 2,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    round_ = db.session.scalar(select(Round).where(Round.code == "TUN-P1"))
    assert (
        hc.post(f"/hr/rounds/{round_.id}/status", data={"status": "open", "confirm": "yes"}).status_code
        == 302
    )
    return agency, hr, hc, scholar, contract, round_


def publish_placement(app, make, db, agency, hc, scholar, round_):
    sc = client_for(app, scholar)
    assert "Apply to the placement round TUN-P1" in sc.get("/my/scholarship").get_data(as_text=True)
    assert "A placement round for scholars is open" in sc.get("/").get_data(as_text=True)
    assert post_apply(sc, round_).status_code == 302
    app_ = db.session.scalar(select(Application).where(Application.round_id == round_.id))
    assert hc.post(f"/applications/{app_.id}/approve", data={"confirm": "yes"}).status_code == 302
    assert (
        hc.post(
            f"/hr/rounds/{round_.id}/scores",
            data={"stage_kind": "qualifications", "application_number": app_.number, "score": "80"},
        ).status_code
        == 302
    )
    # The list waits for the round: its application window closes first (merit/readiness.py).
    round_.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    r = hc.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit"})
    assert r.status_code == 302, r.get_data(as_text=True)
    list_id = int(r.headers["Location"].rsplit("/", 1)[1])
    approver = client_for(app, make.hr(agency, approver=True))
    approver.post(f"/hr/lists/{list_id}/approve", data={"confirm": "yes", "approve-changes_seen": "y"})
    approver.post(f"/hr/lists/{list_id}/publish", data={"confirm": "yes"})
    ml = db.session.get(MeritList, list_id)
    assert ml.digest
    assert "Placement of nursing scholars" in client_for(app).get(f"/verify/list/{ml.digest}").get_data(
        as_text=True
    )
    return ml, sc


def test_years_owed_default_to_twice_the_years_funded_and_can_be_set(app, db, make):
    hc = client_for(app, make.hr(make.agency()))
    assert record_contract(hc, make.candidate()).status_code == 302
    assert db.session.scalar(select(ScholarshipContract)).years_owed == Decimal("8.0")
    r = record_contract(hc, make.candidate(), number="TUN-02", years_owed="5")
    assert r.status_code == 302
    assert db.session.scalar(
        select(ScholarshipContract).where(ScholarshipContract.number == "TUN-02")
    ).years_owed == Decimal("5.0")
    r = record_contract(hc, make.candidate(), number="TUN-03", national_id="1234567890123")
    assert r.status_code == 422 and "valid 13-digit national ID" in r.get_data(as_text=True)


def test_placement_round_is_reserved_for_scholars(app, db, make):
    _agency, _hr, _hc, _scholar, _contract, round_ = placed_scholar(app, db, make)
    r = client_for(app, make.candidate()).post(f"/rounds/{round_.id}/apply", data={"declaration": "y"})
    assert r.status_code == 409 and "reserved for BMA scholarship students" in r.get_data(as_text=True)
    assert db.session.scalar(select(Application)) is None


def test_scholar_is_placed_appointed_and_the_obligation_tracked_with_early_departure(app, db, make):
    agency, _hr, hc, scholar, contract, round_ = placed_scholar(app, db, make)
    # Not appointable before the placement list is published.
    r = hc.post(
        f"/hr/scholarships/{contract.id}/appoint",
        data={"agency_id": agency.id, "on": today_bangkok().isoformat()},
    )
    assert r.status_code == 409 and "not on a published placement list" in r.get_data(as_text=True)
    ml, sc = publish_placement(app, make, db, agency, hc, scholar, round_)
    # Another agency than the contract's needs a reason.
    other = make.agency()
    appointed_on = today_bangkok() - timedelta(days=400)
    r = hc.post(
        f"/hr/scholarships/{contract.id}/appoint",
        data={"agency_id": other.id, "on": appointed_on.isoformat()},
    )
    assert r.status_code == 422 and "Give the reason" in r.get_data(as_text=True)
    r = hc.post(
        f"/hr/scholarships/{contract.id}/appoint",
        data={
            "agency_id": other.id,
            "on": appointed_on.isoformat(),
            "reason": "The district hospital has no nurse in this field",
        },
    )
    assert r.status_code == 302
    contract = db.session.get(ScholarshipContract, contract.id)
    assert contract.status == ContractStatus.SERVING and contract.appointed_agency_id == other.id
    assert ml.entries[0].status == EntryStatus.APPOINTED
    page = hc.get(f"/hr/scholarships/{contract.id}").get_data(as_text=True)
    assert "1 years 1 months" in page and "8 years 0 months" in page
    assert "6 years 11 months" in page  # still owed
    assert "still owed" in sc.get("/my/scholarship").get_data(as_text=True)
    # Leaving early is flagged for the repayment rule, and HR is reminded once.
    r = hc.post(
        f"/hr/scholarships/{contract.id}/departure",
        data={"on": today_bangkok().isoformat(), "reason": "Moved to a private hospital"},
    )
    assert r.status_code == 302
    contract = db.session.get(ScholarshipContract, contract.id)
    assert contract.status == ContractStatus.DEPARTED_EARLY and contract.repayment_flagged
    assert "flagged for the repayment rule" in hc.get(f"/hr/scholarships/{contract.id}").get_data(
        as_text=True
    )
    actions = list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("scholarship.%")).order_by(AuditEntry.seq)
        )
    )
    assert actions == [
        "scholarship.contract.record",
        "scholarship.round.open",
        "scholarship.appoint",
        "scholarship.depart",
    ]
    assert services.send_reminders() == {"reminders": 1}
    assert services.send_reminders() == {"reminders": 0}
    mail = db.session.scalar(select(OutboxEmail))
    assert "TUN-01/2566" in mail.subject


def test_hr_is_reminded_of_graduation_by_the_cli(app, db, make, runner):
    agency = make.agency()
    hr = make.hr(agency)
    assert record_contract(client_for(app, hr), make.candidate()).status_code == 302
    result = runner.invoke(args=["scholarships", "remind"])
    assert "reminders queued for HR: 1" in result.output
    assert db.session.scalar(select(OutboxEmail)).to_address == hr.email
    assert db.session.scalar(select(ScholarshipReminder)).kind == services.GRADUATION
    assert "reminders queued for HR: 0" in runner.invoke(args=["scholarships", "remind"]).output


def test_hr_of_another_agency_cannot_see_or_act_on_a_contract(app, db, make):
    _agency, _hr, _hc, _scholar, contract, _round = placed_scholar(app, db, make)
    other = client_for(app, make.hr(make.agency()))
    assert other.get(f"/hr/scholarships/{contract.id}").status_code == 403
    assert (
        other.post(
            f"/hr/scholarships/{contract.id}/departure",
            data={"on": today_bangkok().isoformat(), "reason": "x"},
        ).status_code
        == 403
    )


def test_demo_data_has_a_partner_nomination_in_progress_and_a_scholar_near_graduation(app, db):
    from app.main import demo
    from app.partners.models import Nomination, NominationStatus

    demo.load()
    nomination = db.session.scalar(select(Nomination))
    assert nomination.status == NominationStatus.INVITED and nomination.round.is_accepting()
    contract = db.session.scalar(select(ScholarshipContract))
    assert contract.status == ContractStatus.STUDYING
    assert 0 < (contract.expected_graduation - today_bangkok()).days <= 90
    assert services.send_reminders() == {"reminders": 1}  # HR hears of the graduation
