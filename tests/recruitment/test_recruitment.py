"""Recruitment: browsing announcements, HR's positions and rounds, the JSON API. (Eligibility
is in test_eligibility.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.accounts.models import EducationLevel
from app.applications.models import Application
from app.audit.models import AuditEntry
from app.audit.services import entries_for
from app.recruitment.models import Accommodation, Mode, Position, Round, RoundStatus, StageKind
from app.recruitment.services import default_stages

# 10:00 in Bangkok on 1 June 2026; the factories' windows are relative to it.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- helpers -----------------------------------------------------------------------------


def stage_rows(mode: str) -> dict:
    """The stage rows of the round form, filled as the mode's standard stages."""
    data = {}
    for spec in default_stages(mode):
        data.update(
            {
                f"{spec.kind}-included": "y",
                f"{spec.kind}-max_score": str(spec.max_score),
                f"{spec.kind}-weight": "1",
                f"{spec.kind}-pass_percent": "60",
            }
        )
        if spec.counts_for_ranking:
            data[f"{spec.kind}-counts_for_ranking"] = "y"
    return data


def round_form(position: Position, mode: str = Mode.COMPETITIVE_EXAM, **fields) -> dict:
    """What HR types into the round form (Bangkok local times)."""
    data = {
        "code": f"NEW-{mode[:6].upper()}",
        "position_id": str(position.id),
        "mode": mode,
        "title_th": "ประกาศรับสมัครทดสอบ",
        "title_en": "Test announcement",
        "description_th": "รายละเอียด",
        "description_en": "Details",
        "opens_at": "2026-06-10T09:00",
        "closes_at": "2026-06-30T16:30",
        "vacancies": "5",
        "quota_percent": "4",
        "eligible_headcount": "",
        "min_education_level": "bachelor",
        "fields_of_study": "",
        "min_gpa": "",
        "min_age": "18",
        "max_age": "35",
        "min_service_years": "",
        "shortage_degrees": "",
    }
    data.update(stage_rows(fields.pop("stages_mode", mode)))
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def audit_actions(round_id: int) -> list[str]:
    return [e.action for e in entries_for("rounds", round_id)]


def stages_of(round_: Round) -> list[tuple]:
    return [(s.kind, s.max_score, s.counts_for_ranking, s.pass_percent) for s in round_.stages]


def hr_setup(make):
    agency = make.agency()
    hr = make.hr(agency)
    return agency, hr, make.position(agency)


# ---- public browsing ---------------------------------------------------------------------


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


# ---- HR: the life of a round -------------------------------------------------------------


def test_hr_edits_a_draft_opens_it_and_criteria_freeze(client, make, db):
    agency, hr, pos = hr_setup(make)
    make.login(client, hr)
    client.post("/hr/rounds/new", data=round_form(pos, code="LIFE-01"))
    r = db.session.scalar(select(Round).where(Round.code == "LIFE-01"))
    rid = r.id

    # the edit form shows the stored values in Bangkok time
    form_page = client.get(f"/hr/rounds/{rid}/edit").text
    assert 'value="2026-06-10T09:00"' in form_page and 'value="LIFE-01"' in form_page

    edited = round_form(
        pos,
        code="LIFE-01",
        title_en="Edited title",
        min_gpa="2.75",
        vacancies="8",
        closes_at="2026-07-15T16:30",
    )
    resp = client.post(f"/hr/rounds/{rid}/edit", data=edited, follow_redirects=True)
    assert resp.status_code == 200 and "The round LIFE-01 has been saved." in resp.text
    db.session.expire_all()
    r = db.session.get(Round, rid)
    assert (r.title_en, r.min_gpa, r.vacancies) == ("Edited title", Decimal("2.75"), 8)
    assert r.closes_at == datetime(2026, 7, 15, 9, 30, tzinfo=UTC)
    update = entries_for("rounds", rid)[-1]
    assert update.action == "round.update"
    assert update.before["title_en"] == "Test announcement"
    assert update.after["title_en"] == "Edited title"

    # open it: first the confirmation, saying the criteria freeze; nothing changes yet
    asked = client.post(f"/hr/rounds/{rid}/status", data={"status": "open", "note": "Announcement signed"})
    assert asked.status_code == 200 and "frozen for good" in asked.text
    assert 'name="note" value="Announcement signed"' in asked.text  # sent again on "yes"
    db.session.expire_all()
    assert db.session.get(Round, rid).status == RoundStatus.DRAFT
    resp = client.post(
        f"/hr/rounds/{rid}/status",
        data={"status": "open", "note": "Announcement signed", "confirm": "yes"},
        follow_redirects=True,
    )
    assert "The round is now open." in resp.text
    db.session.expire_all()
    assert db.session.get(Round, rid).status == RoundStatus.OPEN
    opened = entries_for("rounds", rid)[-1]
    assert opened.before == {"status": "draft"}
    assert opened.after == {"status": "open", "reason": "Announcement signed"}
    assert opened.actor_id == hr.id

    # once open, the criteria cannot change
    entries_before = len(entries_for("rounds", rid))
    frozen = client.post(
        f"/hr/rounds/{rid}/edit", data=round_form(pos, code="LIFE-01", title_en="Sneaky", min_gpa="3.50")
    )
    assert frozen.status_code == 409
    assert "criteria are frozen once open" in frozen.text
    db.session.expire_all()
    r = db.session.get(Round, rid)
    assert (r.title_en, r.min_gpa) == ("Edited title", Decimal("2.75"))
    assert len(entries_for("rounds", rid)) == entries_before
    shown = client.get(f"/hr/rounds/{rid}/edit", follow_redirects=True)
    assert "criteria are frozen once open" in shown.text
    assert "Edit the round" not in shown.text

    # the closing date can still move, with a reason
    moved = client.post(
        f"/hr/rounds/{rid}/window",
        data={"closes_at": "2026-07-31T16:30", "reason": "Few applicants"},
        follow_redirects=True,
    )
    assert "The closing date has been moved." in moved.text
    db.session.expire_all()
    assert db.session.get(Round, rid).closes_at == datetime(2026, 7, 31, 9, 30, tzinfo=UTC)
    window = entries_for("rounds", rid)[-1]
    assert window.action == "round.window" and window.after["reason"] == "Few applicants"
    no_reason = client.post(f"/hr/rounds/{rid}/window", data={"closes_at": "2026-08-31T16:30", "reason": ""})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.text
    before_opening = client.post(
        f"/hr/rounds/{rid}/window", data={"closes_at": "2026-06-01T09:00", "reason": "Oops"}
    )
    assert before_opening.status_code == 422
    assert "Applications must close after they open." in before_opening.text

    # close, start, complete
    for status, words in (("closed", "closed"), ("in_progress", "in progress"), ("completed", "completed")):
        resp = client.post(
            f"/hr/rounds/{rid}/status", data={"status": status, "confirm": "yes"}, follow_redirects=True
        )
        assert f"The round is now {words}." in resp.text
        db.session.expire_all()
        assert db.session.get(Round, rid).status == status
    assert audit_actions(rid) == [
        "round.create",
        "round.update",
        "round.status",
        "round.window",
        "round.status",
        "round.status",
        "round.status",
    ]
    done = client.get(f"/hr/rounds/{rid}").text
    assert "Change the status" not in done and "Move the closing date" not in done


def test_illegal_transitions_are_refused(client, make, db):
    agency, hr, _ = hr_setup(make)
    draft = make.round_(agency, status=RoundStatus.DRAFT)
    done = make.round_(agency, status=RoundStatus.COMPLETED)
    make.login(client, hr)
    resp = client.post(f"/hr/rounds/{draft.id}/status", data={"status": "completed"})
    assert resp.status_code == 409
    assert "A round that is draft cannot become completed." in resp.text
    resp = client.post(f"/hr/rounds/{done.id}/status", data={"status": "open"})
    assert resp.status_code == 409
    assert "A round that is completed cannot become open." in resp.text
    resp = client.post(f"/hr/rounds/{draft.id}/status", data={"status": "party"})
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Round, draft.id).status == RoundStatus.DRAFT
    assert db.session.get(Round, done.id).status == RoundStatus.COMPLETED
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_round_whose_window_ended_cannot_open_until_the_date_moves(client, make, db):
    agency, hr, _ = hr_setup(make)
    late = make.round_(
        agency,
        status=RoundStatus.CLOSED,
        opens_at=NOW - timedelta(days=30),
        closes_at=NOW - timedelta(days=1),
    )
    make.login(client, hr)
    page = client.get(f"/hr/rounds/{late.id}").text
    assert "Reopen applications" in page and "Start the selection" in page
    resp = client.post(f"/hr/rounds/{late.id}/status", data={"status": "open"})
    assert resp.status_code == 409 and "move its end date first" in resp.text
    client.post(
        f"/hr/rounds/{late.id}/window", data={"closes_at": "2026-06-20T16:30", "reason": "Reopened by order"}
    )
    resp = client.post(f"/hr/rounds/{late.id}/status", data={"status": "open"}, follow_redirects=True)
    assert "The round is now open." in resp.text
    assert "Accepting applications" in client.get(f"/rounds/{late.id}").text
    # an open round cannot be given a closing date in the past: closing it is the way
    past = client.post(
        f"/hr/rounds/{late.id}/window", data={"closes_at": "2026-05-31T09:00", "reason": "Stop now"}
    )
    assert past.status_code == 422
    assert "An open round must close in the future; to stop applications now, close the round." in past.text
    db.session.expire_all()
    assert db.session.get(Round, late.id).closes_at == datetime(2026, 6, 20, 9, 30, tzinfo=UTC)


def test_hr_round_list_shows_only_its_agency_with_application_counts(client, make, db):
    agency, hr, _ = hr_setup(make)
    mine = make.round_(agency, code="MINE-01")
    make.round_(agency, code="MINE-02", status=RoundStatus.DRAFT)
    make.round_(make.agency(), code="THEIRS-01")
    for i, status in enumerate(["submitted", "submitted", "approved", "withdrawn"]):
        cand = make.candidate()
        db.session.add(
            Application(number=f"MINE-01-{i:05d}", round_id=mine.id, candidate_id=cand.id, status=status)
        )
    db.session.commit()
    make.login(client, hr)
    text = client.get("/hr/rounds").text
    assert "MINE-01" in text and "MINE-02" in text and "THEIRS-01" not in text
    assert "Submitted: 2" in text and "Approved: 1" in text and "Withdrawn: 1" in text
    page = client.get(f"/hr/rounds/{mine.id}").text
    assert f'href="/hr/rounds/{mine.id}/applications"' in page and "Applications (4)" in page


def test_hr_of_another_agency_is_refused(client, make, db):
    agency, _, pos = hr_setup(make)
    r = make.round_(agency, status=RoundStatus.DRAFT, code="OWN-01", position=pos)
    outsider = make.hr(make.agency(), approver=True)
    make.login(client, outsider)
    assert client.get(f"/hr/rounds/{r.id}").status_code == 403
    assert "This round belongs to another agency." in client.get(f"/hr/rounds/{r.id}").text
    assert client.get(f"/hr/rounds/{r.id}/edit").status_code == 403
    assert (
        client.post(
            f"/hr/rounds/{r.id}/edit", data=round_form(pos, code="OWN-01", title_en="Hijacked")
        ).status_code
        == 403
    )
    assert client.post(f"/hr/rounds/{r.id}/status", data={"status": "open"}).status_code == 403
    assert (
        client.post(
            f"/hr/rounds/{r.id}/window", data={"closes_at": "2026-09-01T09:00", "reason": "x"}
        ).status_code
        == 403
    )
    assert "OWN-01" not in client.get("/hr/rounds").text
    assert client.get(f"/rounds/{r.id}").status_code == 404  # no preview of others' drafts
    db.session.expire_all()
    r = db.session.get(Round, r.id)
    assert (r.status, r.title_en) == (RoundStatus.DRAFT, r.title_en)
    assert r.title_en != "Hijacked"
    assert audit_actions(r.id) == []


def test_candidates_and_anonymous_visitors_cannot_use_hr_pages(client, make):
    agency = make.agency()
    r = make.round_(agency)
    for url in ("/hr/rounds", "/hr/positions", "/hr/rounds/new", f"/hr/rounds/{r.id}"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/accounts/login" in resp.headers["Location"]
    make.login(client, make.candidate())
    for url in (
        "/hr/rounds",
        "/hr/positions",
        "/hr/rounds/new",
        f"/hr/rounds/{r.id}",
        f"/hr/rounds/{r.id}/edit",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/hr/rounds/{r.id}/status", data={"status": "closed"}).status_code == 403
    assert client.post("/hr/positions", data={"title_th": "x", "level": "y"}).status_code == 403


# ---- JSON API ----------------------------------------------------------------------------


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
