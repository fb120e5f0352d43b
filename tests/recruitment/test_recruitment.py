"""Recruitment: HR's positions and creating rounds with their stages, and the pages in Thai.
(Browsing and the API: test_round_browsing.py; a round's life: test_round_life.py;
eligibility: test_eligibility.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.audit.services import entries_for
from app.recruitment.models import Accommodation, Mode, Position, Round, StageKind
from tests.support.round_forms import NOW, audit_actions, hr_setup, round_form, stages_of

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- HR: positions -----------------------------------------------------------------------


def test_hr_creates_a_position_of_its_agency(client, make, db):
    agency, hr, _ = hr_setup(make)
    other = make.agency()
    make.position(other, title_th="ตำแหน่งหน่วยงานอื่น", title_en="Other agency's job")
    make.login(client, hr)
    resp = client.post(
        "/hr/positions",
        data={
            "title_th": "นักวิชาการคอมพิวเตอร์",
            "title_en": "Computer Technical Officer",
            "level": "ปฏิบัติการ / Operational",
            "qualifications_th": "ปริญญาตรีวิทยาการคอมพิวเตอร์",
            "qualifications_en": "Bachelor in computer science",
        },
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "The position นักวิชาการคอมพิวเตอร์ has been created." in resp.text
    assert "Computer Technical Officer" in resp.text and "Bachelor in computer science" in resp.text
    assert "Other agency&#39;s job" not in resp.text
    pos = db.session.scalar(select(Position).where(Position.title_th == "นักวิชาการคอมพิวเตอร์"))
    assert pos.agency_id == agency.id and pos.level == "ปฏิบัติการ / Operational"
    assert [e.action for e in entries_for("positions", pos.id)] == ["position.create"]
    assert entries_for("positions", pos.id)[0].actor_id == hr.id


def test_position_needs_a_thai_title_and_a_level(client, make, db):
    _, hr, _ = hr_setup(make)
    make.login(client, hr)
    before = db.session.scalar(select(func.count(Position.id)))
    resp = client.post("/hr/positions", data={"title_th": "", "level": ""})
    assert resp.status_code == 422
    assert "This field is required." in resp.text
    assert db.session.scalar(select(func.count(Position.id))) == before


# ---- HR: creating rounds -----------------------------------------------------------------

EXPECTED_STAGES = {
    Mode.COMPETITIVE_EXAM: [
        (StageKind.PART_A, 200, False),
        (StageKind.PART_B, 200, True),
        (StageKind.PART_C, 100, True),
    ],
    Mode.SELECTION_EXAM: [(StageKind.PART_B, 200, True), (StageKind.PART_C, 100, True)],
    Mode.SELECTION: [(StageKind.QUALIFICATIONS, 100, True), (StageKind.PART_C, 100, True)],
    Mode.SHORTAGE: [(StageKind.QUALIFICATIONS, 100, True), (StageKind.PART_C, 100, True)],
    Mode.DISABILITY: [(StageKind.PART_B, 200, True), (StageKind.PART_C, 100, True)],
}


@pytest.mark.parametrize("mode", Mode.ALL)
def test_hr_creates_a_draft_round_of_every_mode_with_its_standard_stages(client, make, db, mode):
    agency, hr, pos = hr_setup(make)
    make.login(client, hr)
    extra = {
        Mode.SELECTION_EXAM: {"eligible_headcount": "260", "vacancies": ""},
        Mode.SHORTAGE: {"shortage_degrees": "แพทยศาสตรบัณฑิต\n\nDoctor of Medicine\n"},
        Mode.DISABILITY: {},
        Mode.SELECTION: {"min_gpa": "2.5", "fields_of_study": "นิติศาสตร์\nรัฐศาสตร์"},
        Mode.COMPETITIVE_EXAM: {"accommodations_offered": ["extra_time", "large_text"]},
    }[mode]
    data = round_form(pos, mode, use_default_stages="y", **extra)
    # the rows say otherwise, but "use the standard stages" wins
    data.update({"part_a-included": "y", "part_a-max_score": "50"})
    resp = client.post("/hr/rounds/new", data=data, follow_redirects=True)
    assert resp.status_code == 200, resp.text
    assert f"The round {data['code']} has been saved as a draft." in resp.text

    r = db.session.scalar(select(Round).where(Round.code == data["code"]))
    assert (r.agency_id, r.position_id, r.mode, r.status) == (agency.id, pos.id, mode, "draft")
    assert r.created_by_id == hr.id
    assert (r.title_th, r.title_en) == ("ประกาศรับสมัครทดสอบ", "Test announcement")
    # typed in Bangkok time, stored in UTC
    assert r.opens_at == datetime(2026, 6, 10, 2, 0, tzinfo=UTC)
    assert r.closes_at == datetime(2026, 6, 30, 9, 30, tzinfo=UTC)
    assert (r.min_education_level, r.min_age, r.max_age) == ("bachelor", 18, 35)
    assert [(k, int(m), rank) for k, m, rank, _ in stages_of(r)] == EXPECTED_STAGES[mode]
    assert all(p == Decimal("60") for *_, p in stages_of(r))
    assert audit_actions(r.id) == ["round.create"]
    created = entries_for("rounds", r.id)[0]
    assert created.actor_id == hr.id and created.after["mode"] == mode

    if mode == Mode.SELECTION_EXAM:
        assert (r.eligible_headcount, r.quota_percent) == (260, Decimal("4"))
        assert r.vacancies == 10  # 4% of 260 = 10.4, rounded down
        assert r.min_service_years == 5
    else:
        assert r.eligible_headcount is None and r.quota_percent is None
        assert r.vacancies == 5
    if mode == Mode.DISABILITY:
        assert r.requires_disability_registration
        assert r.accommodations_offered == list(Accommodation.ALL)
    else:
        assert not r.requires_disability_registration
    if mode == Mode.SHORTAGE:
        assert r.shortage_degrees == ["แพทยศาสตรบัณฑิต", "Doctor of Medicine"]
    if mode == Mode.SELECTION:
        assert r.min_gpa == Decimal("2.50") and r.fields_of_study == ["นิติศาสตร์", "รัฐศาสตร์"]
    if mode == Mode.COMPETITIVE_EXAM:
        assert r.accommodations_offered == ["extra_time", "large_text"]

    # HR's page of the round shows what was stored
    page = client.get(f"/hr/rounds/{r.id}").text
    assert "draft" in page and "Open for applications" in page
    if mode == Mode.SELECTION_EXAM:
        assert "4% of 260 eligible employees, rounded down" in page


def test_new_round_form_starts_from_the_standard_stages_of_the_chosen_mode(client, make):
    _, hr, _ = hr_setup(make)
    make.login(client, hr)
    page = client.get(f"/hr/rounds/new?mode={Mode.SELECTION_EXAM}").text
    assert f'<option selected value="{Mode.SELECTION_EXAM}">' in page
    assert 'id="part_a-included" name="part_a-included" type="checkbox"' in page  # not ticked
    assert 'checked id="part_b-included"' in page
    assert 'name="part_b-max_score" step="0.01" type="number" value="200.00"' in page
    assert 'checked id="part_c-counts_for_ranking"' in page
    assert 'name="qualifications-max_score" step="0.01" type="number" value=""' in page
    default = client.get("/hr/rounds/new").text
    assert f'<option selected value="{Mode.COMPETITIVE_EXAM}">' in default
    assert 'checked id="part_a-included"' in default


def test_hr_sets_its_own_stages_row_by_row(client, make, db):
    _, hr, pos = hr_setup(make)
    make.login(client, hr)
    data = round_form(
        pos,
        Mode.SELECTION,
        **{
            "part_c-max_score": "50",
            "part_c-weight": "2",
            "part_c-pass_percent": "70",
            "part_b-included": "y",
            "part_b-max_score": "150",
            "part_b-pass_percent": "",
        },
    )
    resp = client.post("/hr/rounds/new", data=data)
    assert resp.status_code == 302
    r = db.session.scalar(select(Round).where(Round.code == data["code"]))
    assert [
        (s.kind, s.seq, s.max_score, s.weight, s.pass_percent, s.counts_for_ranking) for s in r.stages
    ] == [
        ("part_b", 1, Decimal("150"), Decimal("1"), Decimal("60"), False),
        ("part_c", 2, Decimal("50"), Decimal("2"), Decimal("70"), True),
        ("qualifications", 3, Decimal("100"), Decimal("1"), Decimal("60"), True),
    ]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"closes_at": "2026-06-05T09:00"}, "Applications must close after they open."),
        ({"min_age": "40", "max_age": "30"}, "The minimum age is above the maximum age."),
        ({"min_gpa": "4.5"}, "GPA is between 0.00 and 4.00."),
        (
            {"mode": Mode.SHORTAGE, "stages_mode": Mode.SHORTAGE, "shortage_degrees": ""},
            "A shortage round needs its list of shortage degrees.",
        ),
        (
            {
                "mode": Mode.SHORTAGE,
                "stages_mode": Mode.COMPETITIVE_EXAM,
                "shortage_degrees": "แพทยศาสตรบัณฑิต",
            },
            "A shortage-qualification round has no Part A.",
        ),
        (
            {"part_a-included": None, "part_b-included": None, "part_c-included": None},
            "A round needs at least one stage.",
        ),
        (
            {"part_b-counts_for_ranking": None, "part_c-counts_for_ranking": None},
            "At least one stage must count for the ranking.",
        ),
        ({"part_b-max_score": "0"}, "Above zero, please."),
        ({"vacancies": ""}, "Give the number of vacancies (0 or more)."),
        ({"opens_at": "not a date"}, "Not a valid datetime value."),
    ],
)
def test_round_form_refuses_bad_input_and_saves_nothing(client, make, db, fields, message):
    _, hr, pos = hr_setup(make)
    make.login(client, hr)
    resp = client.post("/hr/rounds/new", data=round_form(pos, **fields))
    assert resp.status_code == 422
    assert message in resp.text
    assert db.session.scalar(select(func.count(Round.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_round_codes_are_unique_and_positions_must_be_the_agencys(client, make, db):
    agency, hr, pos = hr_setup(make)
    existing = make.round_(agency, code="DUP-01")
    foreign = make.position(make.agency())
    make.login(client, hr)
    resp = client.post("/hr/rounds/new", data=round_form(pos, code="DUP-01"))
    assert resp.status_code == 422
    assert "Another round already uses the code DUP-01." in resp.text
    resp = client.post("/hr/rounds/new", data=round_form(pos, position_id=str(foreign.id)))
    assert resp.status_code == 422 and "Not a valid choice." in resp.text
    assert db.session.scalar(select(func.count(Round.id))) == 1 and existing.code == "DUP-01"


def test_hr_and_candidate_pages_render_in_thai(client_th, make):
    agency, hr, pos = hr_setup(make)
    r = make.round_(agency, mode=Mode.DISABILITY, position=pos, title_th="คัดเลือกคนพิการ")
    make.login(client_th, hr)
    for url in ("/hr/rounds", "/hr/positions", "/hr/rounds/new", f"/hr/rounds/{r.id}", f"/rounds/{r.id}"):
        resp = client_th.get(url)
        assert resp.status_code == 200, url
        assert '<html lang="th">' in resp.text
    assert "11 มิถุนายน 2569 10:00 น." in client_th.get(f"/hr/rounds/{r.id}").text
    client_th.post("/accounts/logout")
    make.login(client_th, make.candidate(disability_card_no="1234567890"))
    page = client_th.get(f"/rounds/{r.id}").text
    assert "คัดเลือกคนพิการ" in page and f'href="/rounds/{r.id}/apply"' in page
