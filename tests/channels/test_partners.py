"""The MOU channel through the views: HR records a partner, an agreement and a round under it; the
partner nominates within its places (beyond them, outside the agreement's validity or for another
organisation's round it is refused); the nominee accepts with consent and applies themselves;
HR decides, scores and publishes the list, which the public verifies like any other."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.applications.models import Application, ApplicationStatus
from app.audit.models import AuditEntry
from app.common.clock import now, today_bangkok
from app.notifications.models import OutboxEmail
from app.partners import agreements, organisations
from app.partners.models import Nomination, NominationStatus, PartnerMember
from app.recruitment.models import Round
from tests.factories import client_for
from tests.factories.applications import post_apply
from tests.factories.channels import setup_agreement


def actions(db, prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like(prefix + "%")).order_by(AuditEntry.seq)
        )
    )


def nominate(client, round_id, person, **extra):
    data = {
        "national_id": person.national_id if hasattr(person, "national_id") else person,
        "email": f"nominee{person.id}@example.com",
        "first_name_th": "สมชาย",
        "last_name_th": "ใจดี",
        "first_name_en": "Somchai",
        "last_name_en": "Jaidee",
        "statement": "Top of the class",
    }
    data.update(extra)
    return client.post(f"/partner/rounds/{round_id}/nominate", data=data)


def test_partner_nominates_within_places_and_is_refused_beyond(app, db, make):
    _agency, _hr, _hc, agreement, round_, partner = setup_agreement(app, db, make, places=2)
    pc = client_for(app, partner)
    home = pc.get("/partner").get_data(as_text=True)
    assert "Test University" in home and "MOU-R1" in home and "0 of 2 places taken" in home
    a, b, c = make.candidate(), make.candidate(), make.candidate()
    assert nominate(pc, round_.id, a).status_code == 302
    assert nominate(pc, round_.id, b).status_code == 302
    r = nominate(pc, round_.id, c)
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "allows 2 places in fiscal year" in page and "all of them are taken" in page
    assert db.session.scalar(select(Nomination).where(Nomination.national_id == c.national_id)) is None
    # The same person twice for one round is refused too.
    assert "already been nominated" in nominate(pc, round_.id, a).get_data(as_text=True)
    # Each invitation went through the outbox, to the nominee, with the link to answer.
    mails = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
    assert [m.to_address for m in mails] == [f"nominee{a.id}@example.com", f"nominee{b.id}@example.com"]
    assert re.search(r"/nominations/invitation/[\w-]+", mails[0].body_text)
    # Withdrawing one frees its place, with a reason, audited.
    n_b = db.session.scalar(select(Nomination).where(Nomination.national_id == b.national_id))
    r = pc.post(f"/partner/nominations/{n_b.id}/withdraw", data={"reason": ""})
    assert db.session.get(Nomination, n_b.id).status == NominationStatus.INVITED
    r = pc.post(f"/partner/nominations/{n_b.id}/withdraw", data={"reason": "Moved abroad"})
    assert r.status_code == 302
    assert nominate(pc, round_.id, c).status_code == 302
    assert actions(db, "partner.nomination") == [
        "partner.nomination.create",
        "partner.nomination.create",
        "partner.nomination.withdraw",
        "partner.nomination.create",
    ]
    assert agreements.places_left(agreement, agreements.fiscal_year(today_bangkok())) == 0


def test_partner_cannot_act_outside_its_organisation_or_agreement(app, db, make):
    _agency, _hr, hr_client, agreement, round_, partner = setup_agreement(app, db, make)
    # Another organisation's partner account: refused on the round and on the nominations.
    hr_client.post("/hr/partners/organisations", data={"name_th": "โรงพยาบาลอื่น", "kind": "hospital"})
    other_org = next(o for o in organisations.organisations() if o.name_th == "โรงพยาบาลอื่น")
    stranger = make.user(Role.PARTNER, email="other@hospital.test")
    db.session.add(PartnerMember(user_id=stranger.id, organisation_id=other_org.id))
    db.session.commit()
    sc = client_for(app, stranger)
    r = nominate(sc, round_.id, make.candidate())
    assert r.status_code == 403
    assert "another organisation" in r.get_data(as_text=True)
    pc = client_for(app, partner)
    nominate(pc, round_.id, make.candidate())
    n = db.session.scalar(select(Nomination))
    assert sc.post(f"/partner/nominations/{n.id}/withdraw", data={"reason": "x"}).status_code == 403
    assert db.session.get(Nomination, n.id).status == NominationStatus.INVITED
    # A round not opened under an agreement takes no nomination.
    plain = make.round_(make.agency())
    r = nominate(pc, plain.id, make.candidate())
    assert r.status_code in (403, 409)
    # A candidate or HR account is not a partner.
    assert client_for(app, make.candidate()).get("/partner").status_code == 403


def test_nominations_outside_the_agreements_validity_are_refused(app, db, make):
    _agency, _hr, _hc, agreement, round_, partner = setup_agreement(app, db, make)
    agreement.valid_until = today_bangkok() - timedelta(days=1)
    db.session.commit()
    r = nominate(client_for(app, partner), round_.id, make.candidate())
    assert r.status_code == 409
    assert "no nomination can be made outside that period" in r.get_data(as_text=True)
    assert db.session.scalar(select(Nomination)) is None


def test_a_round_under_an_agreement_must_fit_its_validity_and_places(app, db, make):
    _agency, _hr, hr_client, agreement, _round, _partner = setup_agreement(app, db, make, places=1)
    position = agreement.positions[0]
    r = hr_client.post(
        f"/hr/agreements/{agreement.id}/rounds",
        data={
            "code": "MOU-R2",
            "position_id": position.id,
            "title_th": "รอบสอง",
            "opens_at": (today_bangkok() + timedelta(days=800)).isoformat() + "T09:00",
            "closes_at": (today_bangkok() + timedelta(days=810)).isoformat() + "T16:00",
            "vacancies": 1,
        },
    )
    assert r.status_code == 422
    assert "within the agreement&#39;s validity" in r.get_data(as_text=True)
    r = hr_client.post(
        f"/hr/agreements/{agreement.id}/rounds",
        data={
            "code": "MOU-R3",
            "position_id": position.id,
            "title_th": "รอบสาม",
            "opens_at": today_bangkok().isoformat() + "T09:00",
            "closes_at": (today_bangkok() + timedelta(days=5)).isoformat() + "T16:00",
            "vacancies": 3,
        },
    )
    assert r.status_code == 422 and "1 places a year" in r.get_data(as_text=True)
    assert db.session.scalar(select(Round).where(Round.code.in_(["MOU-R2", "MOU-R3"]))) is None
    # HR of another agency cannot see the agreement.
    assert client_for(app, make.hr(make.agency())).get(f"/hr/agreements/{agreement.id}").status_code == 403


def test_nominee_consents_applies_hr_decides_and_the_list_is_published_and_verified(app, db, make):
    agency, hr, hr_client, agreement, round_, partner = setup_agreement(app, db, make)
    pc = client_for(app, partner)
    nominee, outsider, impostor = make.candidate(), make.candidate(), make.candidate()
    nominate(pc, round_.id, nominee)
    token = re.search(
        r"/nominations/invitation/([\w-]+)", db.session.scalar(select(OutboxEmail)).body_text
    ).group(1)
    # Someone who was not nominated cannot apply to the reserved round.
    r = post_apply(client_for(app, outsider), round_)
    assert r.status_code == 409 and "reserved for people nominated" in r.get_data(as_text=True)
    # The link does not let another person answer in the nominee's place.
    ic = client_for(app, impostor)
    r = ic.get(f"/nominations/invitation/{token}", follow_redirects=True)
    assert r.status_code == 403 and "for another person" in r.get_data(as_text=True)
    # The nominee sees the nomination on their pages with the next step.
    nc = client_for(app, nominee)
    assert "Answer the nomination" in nc.get("/applications").get_data(as_text=True)
    r = nc.get(f"/nominations/invitation/{token}", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Test University" in page and "MOU-001/2569" in page and "Accept and complete" in page
    n = db.session.scalar(select(Nomination))
    # Accepting needs the consent box.
    r = nc.post(f"/my/nominations/{n.id}/answer", data={"decision": "accept"})
    assert r.status_code == 422 and "give your consent" in r.get_data(as_text=True)
    r = nc.post(f"/my/nominations/{n.id}/answer", data={"decision": "accept", "consent": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/rounds/{round_.id}/apply")
    assert db.session.get(Nomination, n.id).consent_at is not None
    assert "Complete your application" in nc.get("/").get_data(as_text=True)
    # The nominee completes the application themselves.
    r = post_apply(nc, round_)
    assert r.status_code == 302, r.get_data(as_text=True)
    app_ = db.session.scalar(select(Application).where(Application.round_id == round_.id))
    assert app_.candidate_id == nominee.id
    assert "is with HR" in nc.get(f"/my/nominations/{n.id}").get_data(as_text=True)
    # HR decides, scores both stages and publishes the round's list (two people).
    assert hr_client.post(f"/applications/{app_.id}/approve", data={"confirm": "yes"}).status_code == 302
    assert db.session.get(Application, app_.id).status == ApplicationStatus.APPROVED
    for stage, score in (("qualifications", "85"), ("part_c", "78")):
        r = hr_client.post(
            f"/hr/rounds/{round_.id}/scores",
            data={"stage_kind": stage, "application_number": app_.number, "score": score},
        )
        assert r.status_code == 302, r.get_data(as_text=True)
    # The list waits for the round: its application window closes first (merit/readiness.py).
    round_.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    r = hr_client.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert r.status_code == 302, r.get_data(as_text=True)
    list_id = int(r.headers["Location"].rsplit("/", 1)[1])
    approver = client_for(app, make.hr(agency, approver=True))
    assert (
        approver.post(
            f"/hr/lists/{list_id}/approve", data={"confirm": "yes", "approve-changes_seen": "y"}
        ).status_code
        == 302
    )
    assert approver.post(f"/hr/lists/{list_id}/publish", data={"confirm": "yes"}).status_code == 302
    from app.merit.models import MeritList

    ml = db.session.get(MeritList, list_id)
    assert ml.digest and ml.entries[0].application_id == app_.id
    public = client_for(app).get(f"/lists/{list_id}").get_data(as_text=True)
    assert app_.number in public and "MOU doctors" in public
    verified = client_for(app).get(f"/verify/list/{ml.digest}").get_data(as_text=True)
    assert "MOU doctors" in verified
    assert actions(db, "partner.") == [
        "partner.organisation.create",
        "partner.agreement.create",
        "partner.member.add",
        "partner.round.open",
        "partner.nomination.create",
        "partner.nomination.accept",
    ]


def test_nominee_may_decline(app, db, make):
    _agency, _hr, _hc, _agreement, round_, partner = setup_agreement(app, db, make)
    nominee = make.candidate()
    nominate(client_for(app, partner), round_.id, nominee)
    n = db.session.scalar(select(Nomination))
    nc = client_for(app, nominee)
    assert "Decline the nomination" in nc.get(f"/my/nominations/{n.id}").get_data(as_text=True)
    r = nc.post(f"/my/nominations/{n.id}/answer", data={"decision": "decline", "reason": "ไม่สะดวก"})
    assert r.status_code == 302
    assert db.session.get(Nomination, n.id).status == NominationStatus.DECLINED
    # Declined: the place is free and the round still refuses the person.
    assert post_apply(client_for(app, nominee), round_).status_code == 409
