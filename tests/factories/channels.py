"""The MOU channel set up as HR does it, through the pages: partner, agreement, liaison, round."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.common.clock import BANGKOK, now, today_bangkok
from app.partners import organisations
from app.partners.models import Agreement
from app.recruitment.models import Round, StageKind
from tests.factories.accounts import client_for


def setup_agreement(app, db, make, places=2, valid_from=None, valid_until=None):
    """HR of an agency records a partner, an agreement, links a partner account and prepares and
    opens a round under the agreement, all through the pages."""
    agency = make.agency()
    hr = make.hr(agency)
    position = make.position(agency, title_th="แพทย์", title_en="Medical Officer")
    hr_client = client_for(app, hr)
    r = hr_client.post(
        "/hr/partners/organisations",
        data={"name_th": "มหาวิทยาลัยทดสอบ", "name_en": "Test University", "kind": "university"},
    )
    assert r.status_code == 302
    org_id = organisations.organisations()[0].id
    valid_from = valid_from or today_bangkok() - timedelta(days=30)
    valid_until = valid_until or today_bangkok() + timedelta(days=700)
    r = hr_client.post(
        "/hr/partners/agreements",
        data={
            "number": "MOU-001/2569",
            "organisation_id": org_id,
            "title_th": "ความร่วมมือผลิตแพทย์",
            "title_en": "Doctors for Bangkok",
            "position_ids": [position.id],
            "places_per_year": places,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "qualifications_th": "แพทยศาสตรบัณฑิต",
            "min_education_level": "",
            "stages": ["qualifications", "part_c"],
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    agreement = db.session.scalar(select(Agreement))
    partner = make.user(Role.CANDIDATE, email="liaison@university.test")
    r = hr_client.post(f"/hr/agreements/{agreement.id}/members", data={"email": "liaison@university.test"})
    assert r.status_code == 302
    opens = now() - timedelta(hours=1)
    closes = now() + timedelta(days=10)
    fmt = "%Y-%m-%dT%H:%M"
    r = hr_client.post(
        f"/hr/agreements/{agreement.id}/rounds",
        data={
            "code": "MOU-R1",
            "position_id": position.id,
            "title_th": "คัดเลือกแพทย์ตาม MOU",
            "title_en": "MOU doctors",
            "opens_at": opens.astimezone(BANGKOK).strftime(fmt),
            "closes_at": closes.astimezone(BANGKOK).strftime(fmt),
            "vacancies": 1,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    round_ = db.session.scalar(select(Round).where(Round.code == "MOU-R1"))
    assert [s.kind for s in round_.stages] == [StageKind.QUALIFICATIONS, StageKind.PART_C]
    r = hr_client.post(f"/hr/rounds/{round_.id}/status", data={"status": "open", "confirm": "yes"})
    assert r.status_code == 302
    return agency, hr, hr_client, agreement, round_, partner
