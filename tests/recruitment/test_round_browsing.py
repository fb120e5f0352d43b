"""Recruitment as the public and candidates see it: browsing announcements (filters, Buddhist-Era
dates, criteria and stages), drafts not found, the JSON API with a candidate's eligibility."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from app.accounts.models import EducationLevel
from app.recruitment.models import Accommodation, Mode, RoundStatus
from tests.support.round_forms import NOW

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


def test_browse_lists_open_rounds_of_every_agency_but_not_drafts_or_closed(client, make):
    east = make.agency(name_en="Bang Kapi District Office")
    west = make.agency(name_en="Thon Buri District Office")
    make.round_(east, title_en="Open east engineer", vacancies=12)
    make.round_(west, mode=Mode.SHORTAGE, title_en="Open west doctor")
    make.round_(east, status=RoundStatus.DRAFT, title_en="Secret draft")
    make.round_(east, status=RoundStatus.CLOSED, title_en="Closed round")
    make.round_(west, status=RoundStatus.IN_PROGRESS, title_en="Round in progress")
    make.round_(
        east, title_en="Opens next week", opens_at=NOW + timedelta(days=7), closes_at=NOW + timedelta(days=20)
    )
    make.round_(
        west, title_en="Window over", opens_at=NOW - timedelta(days=20), closes_at=NOW - timedelta(hours=1)
    )

    page = client.get("/rounds")
    assert page.status_code == 200
    text = page.text
    assert "Open east engineer" in text and "Open west doctor" in text
    for hidden in ("Secret draft", "Closed round", "Round in progress", "Opens next week", "Window over"):
        assert hidden not in text
    assert "2 rounds are accepting applications." in text
    # a card: agency, position and level, mode in words, vacancies, closing date in Bangkok time
    assert "Bang Kapi District Office" in text and "Thon Buri District Office" in text
    assert "Civil Engineer · Operational" in text  # the level in the reader's language
    assert "Competitive exam (สอบแข่งขัน)" in text and "Shortage-qualification selection" in text
    assert "<dd>12</dd>" in text
    assert "11 June 2026, 10:00" in text  # closes NOW + 10 days, 10:00 in Bangkok


def test_browse_filters_by_agency_and_mode(client, make):
    east, west = make.agency(), make.agency()
    make.round_(east, title_en="East exam")
    make.round_(east, mode=Mode.DISABILITY, title_en="East disability")
    make.round_(west, title_en="West exam")

    by_agency = client.get(f"/rounds?agency={east.id}").text
    assert "East exam" in by_agency and "East disability" in by_agency
    assert "West exam" not in by_agency
    assert f'<option selected value="{east.id}">' in by_agency

    by_mode = client.get(f"/rounds?mode={Mode.COMPETITIVE_EXAM}").text
    assert "East exam" in by_mode and "West exam" in by_mode
    assert "East disability" not in by_mode

    both = client.get(f"/rounds?agency={west.id}&mode={Mode.DISABILITY}").text
    assert "No open round matches these filters." in both

    # nonsense filters are ignored rather than failing
    junk = client.get("/rounds?agency=abc&mode=lottery")
    assert junk.status_code == 200 and "West exam" in junk.text and "East disability" in junk.text


def test_browse_in_thai_shows_buddhist_era_dates(client_th, make):
    make.round_(make.agency(), title_th="สอบแข่งขันวิศวกร")
    text = client_th.get("/rounds").text
    assert "สอบแข่งขันวิศวกร" in text
    assert "11 มิถุนายน 2569" in text


def test_announcement_shows_criteria_stages_and_accommodations(client, make):
    agency = make.agency()
    r = make.round_(
        agency,
        title_en="Civil engineer 2569",
        description_en="Report at City Hall.",
        min_education_level=EducationLevel.BACHELOR,
        fields_of_study=["วิศวกรรมโยธา"],
        min_gpa=Decimal("2.50"),
        min_age=18,
        max_age=35,
        accommodations_offered=[Accommodation.EXTRA_TIME],
    )
    page = client.get(f"/rounds/{r.id}")
    assert page.status_code == 200
    text = page.text
    assert "Civil engineer 2569" in text and "Report at City Hall." in text
    assert "Civil Engineer" in text and "Operational" in text and "ปฏิบัติการ /" not in text
    assert "Competitive exam (สอบแข่งขัน)" in text
    # criteria in words
    assert "Education: at least Bachelor&#39;s degree" in text
    assert "Field of study: one of วิศวกรรมโยธา" in text
    assert "GPA at least 2.50" in text
    assert "Age 18–35 years on the closing date" in text
    # stages table: label, maximum, pass mark, ranking
    assert '<th scope="row">Part A (general knowledge)</th>' in text
    assert "Part B (knowledge for the position)" in text and "Part C (suitability: interview)" in text
    assert "60% (120 points)" in text  # Part A and B: 60% of 200
    assert "60% (60 points)" in text  # Part C: 60% of 100
    assert "Extra time" in text
    # anonymous: invited to log in, no apply link
    assert "Log in to check your eligibility and apply." in text
    assert f"/accounts/login?next=/rounds/{r.id}" in text
    assert f"/rounds/{r.id}/apply" not in text


def test_drafts_and_unknown_rounds_are_not_found_for_the_public(client, make):
    agency = make.agency()
    draft = make.round_(agency, status=RoundStatus.DRAFT, title_en="Hidden draft")
    assert client.get(f"/rounds/{draft.id}").status_code == 404
    assert client.get("/rounds/999999").status_code == 404
    # a candidate cannot see it either; its own agency's HR gets a preview
    make.login(client, make.candidate())
    assert client.get(f"/rounds/{draft.id}").status_code == 404
    client.post("/accounts/logout")
    make.login(client, make.hr(agency))
    preview = client.get(f"/rounds/{draft.id}")
    assert preview.status_code == 200 and "Preview of a draft" in preview.text


def test_api_lists_open_rounds(client, make):
    agency = make.agency(code="BKP", name_en="Bang Kapi")
    r = make.round_(agency, code="BKP-01", title_th="รอบเปิด", title_en="Open one", vacancies=4)
    make.round_(agency, status=RoundStatus.DRAFT)
    make.round_(agency, status=RoundStatus.CLOSED)
    data = client.get("/api/rounds").get_json()
    assert data["ok"] is True
    assert [x["code"] for x in data["rounds"]] == ["BKP-01"]
    item = data["rounds"][0]
    assert item["id"] == r.id and item["title_th"] == "รอบเปิด" and item["title_en"] == "Open one"
    assert item["agency"] == {"code": "BKP", "name_th": agency.name_th, "name_en": agency.name_en}
    assert item["mode"] == "competitive_exam" and item["vacancies"] == 4
    assert datetime.fromisoformat(item["closes_at"]) == NOW + timedelta(days=10)
    assert datetime.fromisoformat(item["opens_at"]) == NOW - timedelta(days=1)


def test_api_round_detail_has_stages_and_criteria_and_hides_drafts(client, make):
    agency = make.agency()
    r = make.round_(
        agency,
        mode=Mode.SELECTION_EXAM,
        eligible_headcount=100,
        min_education_level=EducationLevel.HIGH_VOCATIONAL,
        min_age=18,
    )
    draft = make.round_(agency, status=RoundStatus.DRAFT)
    data = client.get(f"/api/rounds/{r.id}").get_json()["round"]
    assert data["vacancies"] == 4 and data["quota_percent"] == 4.0
    assert data["criteria"]["min_education_level"] == "high_vocational"
    assert data["criteria"]["min_service_years"] == 5 and data["criteria"]["min_age"] == 18
    assert [
        (s["kind"], s["max_score"], s["pass_percent"], s["pass_score"], s["counts_for_ranking"])
        for s in data["stages"]
    ] == [("part_b", 200.0, 60.0, 120.0, True), ("part_c", 100.0, 60.0, 60.0, True)]
    assert data["position"]["title_en"] == "Civil Engineer"
    missing = client.get(f"/api/rounds/{draft.id}")
    assert missing.status_code == 404
    assert missing.get_json() == {"ok": False, "error": "not_found", "message": "No such recruitment round."}
    assert client.get("/api/rounds/424242").status_code == 404


def test_api_eligibility_for_the_logged_in_candidate(client, make):
    r = make.round_(make.agency(), min_gpa=Decimal("3.00"), min_age=18, max_age=35)
    draft = make.round_(make.agency(), status=RoundStatus.DRAFT)
    anon = client.get(f"/api/rounds/{r.id}/eligibility")
    assert anon.status_code == 401 and anon.get_json()["ok"] is False

    make.login(client, make.candidate(gpa=Decimal("2.80")))
    data = client.get(f"/api/rounds/{r.id}/eligibility").get_json()
    assert data["eligible"] is False
    assert data["criteria"] == [
        {
            "code": "min_gpa",
            "met": False,
            "required": "3.00",
            "actual": "2.80",
            "text": "GPA at least 3.00 (yours: 2.80)",
        },
        {
            "code": "age",
            "met": True,
            "required": [18, 35],
            "actual": 31,
            "text": "Age 18–35 years on the closing date (yours: 31)",
        },
    ]
    assert client.get(f"/api/rounds/{draft.id}/eligibility").status_code == 404
    client.post("/accounts/logout")
    make.login(client, make.candidate(gpa=Decimal("3.50")))
    assert client.get(f"/api/rounds/{r.id}/eligibility").get_json()["eligible"] is True
    client.post("/accounts/logout")
    make.login(client, make.hr(make.agency()))
    staff = client.get(f"/api/rounds/{r.id}/eligibility")
    assert staff.status_code == 403 and staff.get_json()["error"] == "forbidden"
