"""HR and proctors around the online test: scheduling, seating and the live dashboard page.
Results, item analysis and certificates: test_exam_results.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.applications import services as applications
from app.applications.models import AccommodationStatus
from app.audit.models import AuditEntry
from app.common import national_id as nid
from app.common.clock import BANGKOK, now
from app.common.errors import Forbidden
from app.exams import (
    sittings,
)
from app.exams.models import Seat, Sitting
from tests.factories import exams as eh
from tests.support.reading import audit_count, page_text

ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ---------------------------------------------------------------------------


def bangkok_local(dt: datetime) -> str:
    return dt.astimezone(BANGKOK).strftime("%Y-%m-%dT%H:%M")


def sitting_form(exam, **overrides) -> dict:
    data = {
        "exam_id": exam.id,
        "round_id": 0,
        "title_th": "สอบภาค ก รอบเช้า",
        "title_en": "Part A morning sitting",
        "timing_mode": "synchronized",
        "starts_at": bangkok_local(now() + timedelta(days=3)),
        "window_ends_at": "",
        "late_entry_minutes": 30,
        "checkin_opens_minutes": 60,
    }
    data.update(overrides)
    return data


@pytest.fixture
def exam(db):
    eh.bank(per_band=1)  # 3 items per section: every form holds the whole bank
    return eh.exam(policy="after_publication")


@pytest.fixture
def agency(make):
    return make.agency()


# ---- scheduling ------------------------------------------------------------------------


def test_hr_schedules_a_sitting_for_a_round_of_the_agency(app, db, make, exam, agency):
    hr = make.hr(agency)
    round_ = make.round_(agency)
    c = make.client_for(app, hr)
    page = c.get("/hr/sittings/new")
    assert page.status_code == 200
    assert "Part A test" in page_text(page) and round_.code in page_text(page)

    starts = (
        (now() + timedelta(days=3)).astimezone(BANGKOK).replace(hour=9, minute=0, second=0, microsecond=0)
    )
    resp = c.post(
        "/hr/sittings/new",
        data=sitting_form(
            exam, round_id=round_.id, starts_at=starts.strftime("%Y-%m-%dT%H:%M"), late_entry_minutes=15
        ),
    )
    assert resp.status_code == 302
    sitting = db.session.scalar(select(Sitting))
    assert resp.headers["Location"].endswith(f"/hr/sittings/{sitting.id}")
    assert (sitting.agency_id, sitting.round_id, sitting.exam_id) == (agency.id, round_.id, exam.id)
    assert sitting.starts_at == starts  # typed as Bangkok 09:00, stored as 02:00 UTC
    assert sitting.starts_at.hour == 2 and sitting.late_entry_minutes == 15
    assert audit_count(db, "sitting.create") == 1

    detail = page_text(c.get(resp.headers["Location"]))
    assert "The sitting Part A morning sitting has been scheduled." in detail
    assert round_.code in detail and "Proctor dashboard" in detail
    listing = page_text(c.get("/hr/sittings"))
    assert "Part A morning sitting" in listing and "Scheduled" in listing


def test_scheduling_mistakes_are_shown_next_to_the_field_with_422(app, db, make, exam, agency):
    c = make.client_for(app, make.hr(agency))
    window = c.post("/hr/sittings/new", data=sitting_form(exam, timing_mode="window"))
    assert window.status_code == 422
    assert "A window sitting needs an end after its start." in page_text(window)

    past = c.post(
        "/hr/sittings/new", data=sitting_form(exam, starts_at=bangkok_local(now() - timedelta(hours=1)))
    )
    assert past.status_code == 422 and "The start must be in the future." in page_text(past)

    no_title = c.post("/hr/sittings/new", data=sitting_form(exam, title_th=""))
    assert no_title.status_code == 422 and "This field is required." in page_text(no_title)

    late = c.post("/hr/sittings/new", data=sitting_form(exam, late_entry_minutes=-5))
    assert late.status_code == 422 and "From 0 to 240 minutes." in page_text(late)
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 0


def test_an_exam_whose_bank_is_too_small_cannot_be_scheduled(app, db, make, agency):
    eh.bank(name="tiny", per_band=1)
    tiny = eh.exam(name="tiny", draw={"easy": 2})
    resp = make.client_for(app, make.hr(agency)).post("/hr/sittings/new", data=sitting_form(tiny))
    assert resp.status_code == 422
    assert "The bank has 1 easy items in section num; the exam needs 2." in page_text(resp)
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 0


def test_only_hr_of_the_agency_schedules_and_sees_sittings(app, db, make, exam, agency):
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="รอบสอบ", starts_at=now() + timedelta(days=1)
    )
    other_hr = make.hr(make.agency())
    for user in (make.candidate(), make.user("proctor", agency=agency)):
        c = make.client_for(app, user)
        assert c.get("/hr/sittings").status_code == 403
        assert c.get("/hr/sittings/new").status_code == 403
        assert c.get(f"/hr/sittings/{sitting.id}").status_code == 403
    c = make.client_for(app, other_hr)
    assert c.get(f"/hr/sittings/{sitting.id}").status_code == 403
    assert c.get(f"/hr/sittings/{sitting.id}/results").status_code == 403
    assert "รอบสอบ" not in page_text(c.get("/hr/sittings"))
    # Another agency's round is not offered, and the service refuses it outright.
    foreign_round = make.round_(make.agency())
    refused = c.post("/hr/sittings/new", data=sitting_form(exam, round_id=foreign_round.id))
    assert refused.status_code == 422 and "Not a valid choice" in page_text(refused)
    with pytest.raises(Forbidden):  # HR cannot schedule for a round of another agency
        sittings.schedule_sitting(
            other_hr, make.round_(agency), exam, title_th="x", starts_at=now() + timedelta(days=1)
        )
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 1
    assert make.client_for(app).get("/hr/sittings").status_code == 302  # to the login page


# ---- seating ---------------------------------------------------------------------------


def _applicant(round_, make, hr, *, approve=True, **accommodations):
    cand = make.candidate()
    app_ = applications.apply(round_, cand, accommodations=accommodations)
    if approve:
        applications.approve(app_, hr)
    return cand, app_


def test_hr_seats_the_rounds_approved_candidates_with_their_accommodations(app, db, make, exam, agency):
    hr = make.hr(agency)
    round_ = make.round_(
        agency, accommodations_offered=["extra_time", "large_text", "high_contrast", "assistant"]
    )
    first, app1 = _applicant(round_, make, hr, extra_time=50, large_text=True, assistant=True)
    for req in app1.accommodations:  # HR gives 25% instead of the 50% asked, and the rest
        applications.decide_accommodation(
            req,
            hr,
            AccommodationStatus.ADJUSTED if req.kind == "extra_time" else AccommodationStatus.APPROVED,
            approved_value=25,
        )
    second, app2 = _applicant(round_, make, hr, high_contrast=True)
    applications.decide_accommodation(
        app2.accommodations[0], hr, AccommodationStatus.DENIED, note="ไม่มีเอกสารรับรอง"
    )
    rejected, app3 = _applicant(round_, make, hr, approve=False)
    applications.reject(app3, hr, "คุณสมบัติไม่ครบ")
    third, app4 = _applicant(round_, make, hr)
    waiting, app5 = _applicant(round_, make, hr, approve=False)  # not yet decided
    sitting = sittings.schedule_sitting(
        hr, round_, exam, title_th="ภาค ก", starts_at=now() + timedelta(days=1)
    )
    c = make.client_for(app, hr)

    resp = c.post(
        f"/hr/sittings/{sitting.id}/seat-round",
        data={"room_prefix": "R", "seats_per_room": 2},
        follow_redirects=True,
    )
    page = page_text(resp)
    assert "3 candidates seated in 2 rooms (0 were already seated)." in page
    seats = {s.candidate_id: s for s in db.session.scalars(select(Seat))}
    assert set(seats) == {first.id, second.id, third.id}  # approved only
    places = [(seats[u.id].room, seats[u.id].seat_number) for u in (first, second, third)]
    assert places == [("R1", "1"), ("R1", "2"), ("R2", "1")]  # application-number order
    s1 = seats[first.id]
    assert (s1.extra_time_percent, s1.large_text, s1.high_contrast) == (25, True, False)
    assert s1.application_id == app1.id
    assert (seats[second.id].extra_time_percent, seats[second.id].high_contrast) == (0, False)
    assert "Extra time +25%" in page and "Large text" in page and "An assistant" in page
    assert app1.number in page and "Not checked in" in page
    assert audit_count(db, "sitting.seat") == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sitting.seat"))
    assert entry.after["seated"] == 3 and entry.after["rooms"] == {"R1": 2, "R2": 1}
    assert entry.after["extra_time"] == 1 and entry.after["large_text"] == 1

    again = c.post(
        f"/hr/sittings/{sitting.id}/seat-round",
        data={"room_prefix": "R", "seats_per_room": 2},
        follow_redirects=True,
    )
    assert "Nobody new to seat" in page_text(again)
    assert db.session.scalar(select(func.count()).select_from(Seat)) == 3

    applications.approve(app5, hr)  # approved later: the next run seats only them
    result = sittings.seat_round_candidates(sitting, hr, "R", 2)
    assert (result.seated, result.already_seated) == (1, 3)
    late = db.session.scalar(select(Seat).where(Seat.candidate_id == waiting.id))
    assert (late.room, late.seat_number) == ("R2", "2")
    assert rejected.id not in {s.candidate_id for s in db.session.scalars(select(Seat))}


def test_seating_refusals(app, db, make, exam, agency):
    hr = make.hr(agency)
    round_ = make.round_(agency)
    sitting = sittings.schedule_sitting(
        hr, round_, exam, title_th="ภาค ก", starts_at=now() + timedelta(days=1)
    )
    c = make.client_for(app, hr)
    bad = c.post(f"/hr/sittings/{sitting.id}/seat-round", data={"seats_per_room": 0})
    assert bad.status_code == 422 and "From 1 to 500." in page_text(bad)
    with pytest.raises(Forbidden):
        sittings.seat_round_candidates(sitting, make.hr(make.agency()))
    outsider = make.client_for(app, make.hr(make.agency()))
    assert (
        outsider.post(f"/hr/sittings/{sitting.id}/seat-round", data={"seats_per_room": 40}).status_code == 403
    )
    # One-by-one seating is for sittings without a round.
    resp = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": make.candidate().national_id, "room": "1", "seat": "1"},
    )
    assert resp.status_code == 409 and "seat the round" in page_text(resp)


def test_hr_seats_candidates_one_by_one_in_a_part_a_only_sitting(app, db, make, exam, agency):
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="ภาค ก เปิด", starts_at=now() + timedelta(days=1)
    )
    cand, other = make.candidate(), make.candidate()
    for person in (cand, other):  # (HR seats only its agency's applicants: tests/test_exam_roles.py)
        make.application(make.round_(agency), person)
    c = make.client_for(app, hr)
    ok = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        follow_redirects=True,
        data={"national_id": nid.formatted(cand.national_id), "room": "301", "seat": "A-1"},
    )
    assert f"{cand.full_name_th} has been seated in room 301, seat A-1." in page_text(ok)
    twice = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": cand.national_id, "room": "301", "seat": "A-2"},
    )
    assert twice.status_code == 409 and "already has a seat" in page_text(twice)
    taken = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": other.national_id, "room": "301", "seat": "A-1"},
    )
    assert taken.status_code == 422 and "Seat A-1 in room 301 is taken." in page_text(taken)
    nobody = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": "1234567890123", "room": "301", "seat": "A-3"},
    )
    assert nobody.status_code == 422 and "valid 13-digit national ID" in page_text(nobody)
    assert [s.candidate_id for s in db.session.scalars(select(Seat))] == [cand.id]
    assert audit_count(db, "seat.assign") == 1


# ---- the proctor dashboard -----------------------------------------------------------------


def test_proctor_dashboard_access_and_its_accessible_offline_page(app, db, make, exam, agency):
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="ภาค ก", title_en="Part A hall", starts_at=now() + timedelta(days=1)
    )
    cand, seat = eh.seated(make, sitting, extra_time_percent=25)
    url = f"/proctor/sittings/{sitting.id}"

    resp = make.client_for(app, make.proctor(sitting)).get(url)
    assert resp.status_code == 200
    page = page_text(resp)
    assert "/static/vendor/socket.io/socket.io.min.js" in page
    assert "/static/js/proctor.js" in page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert cand.full_name_th in page and "Not checked in" in page and "+25%" in page
    assert 'aria-live="polite"' in page and '<th scope="col">Time left</th>' in page
    assert '<th scope="row">' in page
    for label in (
        "Start the sitting",
        "Pause the sitting",
        "Resume the sitting",
        "Send the announcement",
        "Change the time",
        "Submit this candidate's test now",
    ):
        assert label in page
    blob = re.search(r'<script type="application/json" id="proctor-config">(.*?)</script>', page, re.S).group(
        1
    )
    cfg = json.loads(blob)
    assert cfg["sitting_id"] == sitting.id and cfg["status"] == "scheduled"
    assert cfg["strings"]["need_reason"] == "Give a reason: it is written to the audit log."
    assert cfg["states"]["disconnected"] == "Disconnected"

    assert make.client_for(app, hr).get(url).status_code == 200
    assert make.client_for(app, make.user("proctor", agency=make.agency())).get(url).status_code == 403
    assert make.client_for(app, cand).get(url).status_code == 403
    assert make.client_for(app).get(url).status_code == 302
    assert make.client_for(app, hr).get("/proctor/sittings/999999").status_code == 404


def test_proctor_js_parses():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        [node, "--check", str(ROOT / "app/static/js/proctor.js")], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr


# ---- item analysis: pure functions, checked by hand ----------------------------------------


def test_the_dashboard_follows_the_sitting_and_acknowledges_actions(
    browser, live_server, db, make, exam, agency
):
    from playwright.sync_api import expect

    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="ภาค ก", starts_at=now() + timedelta(minutes=5)
    )
    cand, seat = eh.seated(make, sitting)
    eh.check_in(cand, seat)
    sitting_id, seat_id, hr_email, name = sitting.id, seat.id, hr.email, cand.full_name_th
    db.session.remove()

    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/lang/en?next=/accounts/login")
    page.fill("#email", hr_email)
    page.fill("#password", make.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"/proctor/sittings/{sitting_id}")
    result = page.locator("#action-result")
    row = page.locator("#candidate-rows tr", has_text=name)

    expect(page.locator("#connection")).to_have_text("Connected: updates arrive live.")
    expect(row.locator("td.state")).to_have_text("Checked in, waiting")

    page.get_by_role("button", name="Start the sitting").click()
    expect(result).to_have_text("The sitting has started.")
    expect(page.locator("#sitting-status")).to_have_text("Started")
    expect(page.locator("#start-form")).to_be_hidden()
    expect(row.locator("td.state")).to_have_text("Disconnected")  # started, candidate offline
    first = row.locator("td.time-left").inner_text()
    assert re.fullmatch(r"(29|30):\d\d", first)
    page.wait_for_timeout(2100)
    assert row.locator("td.time-left").inner_text() != first  # ticks between updates

    row.get_by_role("button", name=f"Extend time for {name}").click()
    expect(page.locator("#extend-minutes")).to_be_focused()
    page.fill("#extend-minutes", "5")
    page.get_by_role("button", name="Change the time").click()
    expect(result).to_have_text("Give a reason: it is written to the audit log.")
    page.fill("#extend-reason", "ไฟดับในห้องสอบ")
    page.get_by_role("button", name="Change the time").click()
    expect(result).to_have_text("Time changed for this many candidates: 1")
    expect(row.locator("td.time-left")).to_have_text(re.compile(r"^3[45]:\d\d$"))

    page.fill("#pause-reason", "fire alarm")
    page.get_by_role("button", name="Pause the sitting").click()
    expect(result).to_have_text("The sitting is paused.")
    expect(page.locator("#sitting-status")).to_have_text("Paused")
    page.get_by_role("button", name="Resume the sitting").click()
    expect(result).to_have_text(re.compile("has resumed"))

    page.fill("#announce-message", "เหลือเวลา 10 นาที")
    page.get_by_role("button", name="Send the announcement").click()
    expect(result).to_have_text("The announcement was sent.")

    row.get_by_role("button", name=f"Force submit the test of {name}").click()
    page.fill("#force-reason", "ออกจากห้องสอบ")
    page.get_by_role("button", name="Submit this candidate's test now").click()
    # The house's dialog names the candidate; "Yes" sends it.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(name)
    dialog.get_by_role("button", name="Yes, submit the test now").click()
    expect(result).to_have_text(f"The test was submitted: {name}")
    expect(row.locator("td.state")).to_have_text("Test submitted")
    context.close()
    db.session.remove()
    attempt = db.session.get(Seat, seat_id).attempt
    assert attempt.status == "submitted" and attempt.submitted_by == "proctor"
    assert attempt.extension_seconds >= 300
