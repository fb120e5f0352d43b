"""HR and proctors around the online test: scheduling, seating, the live dashboard page,
results with item analysis, and Part A certificates (issue, verify, revoke, PDF)."""

from __future__ import annotations

import csv
import io
import json
import math
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
from app.common.clock import BANGKOK, frozen_at, now
from app.common.errors import Forbidden, NotAllowed
from app.exams import (
    analysis,
    answering,
    certificates,
    sitting_control,
    sittings,
    starting,
    submission,
    timing,
)
from app.exams.analysis import ItemInfo, analyse_items, item_statistics
from app.exams.models import Certificate, ItemVersion, Seat, Sitting
from tests.factories import exams as eh

ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ---------------------------------------------------------------------------


def visitor(app, make, user=None):
    return make.client_for(app, user)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def audit_count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


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
    c = visitor(app, make, hr)
    page = c.get("/hr/sittings/new")
    assert page.status_code == 200
    assert "Part A test" in text(page) and round_.code in text(page)

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

    detail = text(c.get(resp.headers["Location"]))
    assert "The sitting Part A morning sitting has been scheduled." in detail
    assert round_.code in detail and "Proctor dashboard" in detail
    listing = text(c.get("/hr/sittings"))
    assert "Part A morning sitting" in listing and "Scheduled" in listing


def test_scheduling_mistakes_are_shown_next_to_the_field_with_422(app, db, make, exam, agency):
    c = visitor(app, make, make.hr(agency))
    window = c.post("/hr/sittings/new", data=sitting_form(exam, timing_mode="window"))
    assert window.status_code == 422
    assert "A window sitting needs an end after its start." in text(window)

    past = c.post(
        "/hr/sittings/new", data=sitting_form(exam, starts_at=bangkok_local(now() - timedelta(hours=1)))
    )
    assert past.status_code == 422 and "The start must be in the future." in text(past)

    no_title = c.post("/hr/sittings/new", data=sitting_form(exam, title_th=""))
    assert no_title.status_code == 422 and "This field is required." in text(no_title)

    late = c.post("/hr/sittings/new", data=sitting_form(exam, late_entry_minutes=-5))
    assert late.status_code == 422 and "From 0 to 240 minutes." in text(late)
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 0


def test_an_exam_whose_bank_is_too_small_cannot_be_scheduled(app, db, make, agency):
    eh.bank(name="tiny", per_band=1)
    tiny = eh.exam(name="tiny", draw={"easy": 2})
    resp = visitor(app, make, make.hr(agency)).post("/hr/sittings/new", data=sitting_form(tiny))
    assert resp.status_code == 422
    assert "The bank has 1 easy items in section num; the exam needs 2." in text(resp)
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 0


def test_only_hr_of_the_agency_schedules_and_sees_sittings(app, db, make, exam, agency):
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="รอบสอบ", starts_at=now() + timedelta(days=1)
    )
    other_hr = make.hr(make.agency())
    for user in (make.candidate(), make.user("proctor", agency=agency)):
        c = visitor(app, make, user)
        assert c.get("/hr/sittings").status_code == 403
        assert c.get("/hr/sittings/new").status_code == 403
        assert c.get(f"/hr/sittings/{sitting.id}").status_code == 403
    c = visitor(app, make, other_hr)
    assert c.get(f"/hr/sittings/{sitting.id}").status_code == 403
    assert c.get(f"/hr/sittings/{sitting.id}/results").status_code == 403
    assert "รอบสอบ" not in text(c.get("/hr/sittings"))
    # Another agency's round is not offered, and the service refuses it outright.
    foreign_round = make.round_(make.agency())
    refused = c.post("/hr/sittings/new", data=sitting_form(exam, round_id=foreign_round.id))
    assert refused.status_code == 422 and "Not a valid choice" in text(refused)
    with pytest.raises(Forbidden):  # HR cannot schedule for a round of another agency
        sittings.schedule_sitting(
            other_hr, make.round_(agency), exam, title_th="x", starts_at=now() + timedelta(days=1)
        )
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 1
    assert visitor(app, make).get("/hr/sittings").status_code == 302  # to the login page


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
    c = visitor(app, make, hr)

    resp = c.post(
        f"/hr/sittings/{sitting.id}/seat-round",
        data={"room_prefix": "R", "seats_per_room": 2},
        follow_redirects=True,
    )
    page = text(resp)
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
    assert "Nobody new to seat" in text(again)
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
    c = visitor(app, make, hr)
    bad = c.post(f"/hr/sittings/{sitting.id}/seat-round", data={"seats_per_room": 0})
    assert bad.status_code == 422 and "From 1 to 500." in text(bad)
    with pytest.raises(Forbidden):
        sittings.seat_round_candidates(sitting, make.hr(make.agency()))
    outsider = visitor(app, make, make.hr(make.agency()))
    assert (
        outsider.post(f"/hr/sittings/{sitting.id}/seat-round", data={"seats_per_room": 40}).status_code == 403
    )
    # One-by-one seating is for sittings without a round.
    resp = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": make.candidate().national_id, "room": "1", "seat": "1"},
    )
    assert resp.status_code == 409 and "seat the round" in text(resp)


def test_hr_seats_candidates_one_by_one_in_a_part_a_only_sitting(app, db, make, exam, agency):
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="ภาค ก เปิด", starts_at=now() + timedelta(days=1)
    )
    cand, other = make.candidate(), make.candidate()
    for person in (cand, other):  # (HR seats only its agency's applicants: tests/test_exam_roles.py)
        make.application(make.round_(agency), person)
    c = visitor(app, make, hr)
    ok = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        follow_redirects=True,
        data={"national_id": nid.formatted(cand.national_id), "room": "301", "seat": "A-1"},
    )
    assert f"{cand.full_name_th} has been seated in room 301, seat A-1." in text(ok)
    twice = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": cand.national_id, "room": "301", "seat": "A-2"},
    )
    assert twice.status_code == 409 and "already has a seat" in text(twice)
    taken = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": other.national_id, "room": "301", "seat": "A-1"},
    )
    assert taken.status_code == 422 and "Seat A-1 in room 301 is taken." in text(taken)
    nobody = c.post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": "1234567890123", "room": "301", "seat": "A-3"},
    )
    assert nobody.status_code == 422 and "valid 13-digit national ID" in text(nobody)
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

    resp = visitor(app, make, make.proctor(sitting)).get(url)
    assert resp.status_code == 200
    page = text(resp)
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

    assert visitor(app, make, hr).get(url).status_code == 200
    assert visitor(app, make, make.user("proctor", agency=make.agency())).get(url).status_code == 403
    assert visitor(app, make, cand).get(url).status_code == 403
    assert visitor(app, make).get(url).status_code == 302
    assert visitor(app, make, hr).get("/proctor/sittings/999999").status_code == 404


def test_proctor_js_parses():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        [node, "--check", str(ROOT / "app/static/js/proctor.js")], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr


# ---- item analysis: pure functions, checked by hand ----------------------------------------


def test_item_statistics_on_a_hand_computed_example():
    info = ItemInfo(version_id=1, key="b", choices=["a", "b", "c", "d"])
    # Five candidates: (choice, total). Item scores x = 1,1,0,1,0; totals without the item
    # r = 9,7,6,4,3. Means 0.6 and 5.8; deviations x: .4,.4,-.6,.4,-.6, r: 3.2,1.2,.2,-1.8,-2.8.
    # Sxy = 1.28+.48-.12-.72+1.68 = 2.6; Sxx = 1.2; Syy = 22.8; r = 2.6/sqrt(27.36) = 0.49707.
    stats = item_statistics(info, [("b", 10), ("b", 8), ("a", 6), ("b", 5), (None, 3)])
    assert stats.n == 5 and stats.facility == pytest.approx(0.6)
    assert stats.discrimination == pytest.approx(2.6 / math.sqrt(27.36)) == pytest.approx(0.4971, abs=1e-4)
    assert stats.choice_counts == {"a": 1, "b": 3, "c": 0, "d": 0} and stats.omitted == 1
    assert stats.flags == [] and not stats.review

    # Worth 2 points: the rest scores are 8,6,6,3,3 -> means .6, 5.2; deviations 2.8,.8,.8,-2.2,
    # -2.2; Sxy = 1.12+.32-.48-.88+1.32 = 1.4; Syy = 7.84+.64+.64+4.84+4.84 = 18.8.
    two = item_statistics(
        ItemInfo(1, "b", ["a", "b", "c", "d"], points=2), [("b", 10), ("b", 8), ("a", 6), ("b", 5), (None, 3)]
    )
    assert two.discrimination == pytest.approx(1.4 / math.sqrt(1.2 * 18.8))


def test_item_flags_and_edge_cases():
    info = ItemInfo(version_id=1, key="b", choices=["a", "b"])
    everyone = item_statistics(info, [("b", 5), ("b", 4), ("b", 2)])
    assert everyone.facility == 1.0 and everyone.discrimination is None
    assert everyone.flags == [analysis.TOO_EASY]
    nobody = item_statistics(info, [("a", 5), (None, 4), ("a", 2)])
    assert nobody.facility == 0.0 and nobody.flags == [analysis.TOO_HARD]
    # The strong candidates miss it, the weak ones get it: negative discrimination.
    backwards = item_statistics(info, [("a", 10), ("a", 8), ("b", 2), ("b", 1)])
    assert backwards.facility == 0.5 and backwards.discrimination < 0
    assert backwards.flags == [analysis.LOW_DISCRIMINATION]
    one = item_statistics(info, [("b", 3)])
    assert one.n == 1 and one.discrimination is None
    none_ = item_statistics(info, [])
    assert none_.n == 0 and none_.facility is None and none_.flags == []


def test_analyse_items_counts_each_item_over_the_forms_that_had_it():
    items = {
        1: ItemInfo(1, "a", ["a", "b"]),
        2: ItemInfo(2, "b", ["a", "b"]),
        3: ItemInfo(3, "a", ["a", "b"]),
    }
    stats = analyse_items([({1: "a", 2: "b"}, 2), ({1: "b", 3: None}, 0), ({1: "a", 2: "a"}, 1)], items)
    by_id = {s.info.version_id: s for s in stats}
    assert [s.n for s in stats] == [3, 2, 1]
    assert by_id[1].facility == pytest.approx(2 / 3)
    assert by_id[3].omitted == 1 and by_id[3].facility == 0


# ---- results from real attempts -------------------------------------------------------------

# Key "b" everywhere (tests.factories.exams). Totals: A 6, B 3, C 2, D 0 of 6.
PLAN = {
    "A": {
        "NUM-EASY-0": "b",
        "NUM-MEDIUM-0": "b",
        "NUM-HARD-0": "b",
        "LAW-EASY-0": "b",
        "LAW-MEDIUM-0": "b",
        "LAW-HARD-0": "b",
    },
    "B": {"NUM-EASY-0": "b", "NUM-MEDIUM-0": "b", "NUM-HARD-0": "a", "LAW-EASY-0": "b", "LAW-MEDIUM-0": "c"},
    "C": {"NUM-EASY-0": "b", "NUM-MEDIUM-0": "a", "NUM-HARD-0": "a", "LAW-EASY-0": "b"},
    "D": {"NUM-EASY-0": "a"},
}


def _sit_the_exam(db, make, exam, with_absentee=True):
    """Four candidates take the test by PLAN and submit; one more never checks in."""
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    people = {}
    for name in PLAN:
        cand, seat = eh.seated(make, sitting)
        people[name] = (cand, eh.check_in(cand, seat))
    if with_absentee:
        eh.seated(make, sitting)
    sitting_control.start_sitting(sitting, hr)
    for name, (cand, attempt) in people.items():
        starting.begin_if_due(attempt)
        codes = {
            q["version_id"]: db.session.get(ItemVersion, q["version_id"]).item.code for q in attempt.form
        }
        for seq, (index, q) in enumerate(enumerate(attempt.form), start=1):
            choice = PLAN[name].get(codes[q["version_id"]])
            if choice is not None:
                answering.record_answer(attempt, index, choice, seq)
        submission.submit(attempt, "candidate", actor=cand)
    return sitting, hr, people


def test_results_and_item_analysis_match_the_hand_computed_values(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam)
    assert [people[n][1].score for n in "ABCD"] == [6, 3, 2, 0]

    items = {s.info.code: s for s in analysis.item_analysis(sitting)}
    assert len(items) == 6 and all(s.n == 4 for s in items.values())
    easy = items["NUM-EASY-0"]
    # x = 1,1,1,0; rest = 5,2,1,0: Sxy = 2.0, Sxx = .75, Syy = 14 -> r = 2/sqrt(10.5) = 0.6172
    assert easy.facility == 0.75 and easy.discrimination == pytest.approx(2 / math.sqrt(10.5))
    assert easy.choice_counts == {"a": 1, "b": 3, "c": 0, "d": 0} and easy.omitted == 0
    assert not easy.review
    hard = items["LAW-HARD-0"]
    # x = 1,0,0,0; rest = 5,3,2,0: Sxy = 2.5, Sxx = .75, Syy = 13 -> r = 2.5/sqrt(9.75) = 0.8006
    assert hard.facility == 0.25 and hard.discrimination == pytest.approx(2.5 / math.sqrt(9.75))
    assert hard.omitted == 3 and hard.choice_counts["b"] == 1

    page = text(visitor(app, make, hr).get(f"/hr/sittings/{sitting.id}/results"))
    assert "Item analysis" in page and "NUM-EASY-0" in page
    assert "0.62" in page and "0.80" in page and "0.75" in page
    assert "6.00 / 6.00" in page and "100.00%" in page
    # The one who never came may still enter late: absent only once late entry has closed.
    assert "Not checked in" in page and "Absent" not in page
    with frozen_at(timing.entry_closes_at(sitting) + timedelta(seconds=1)):
        assert "Absent" in text(visitor(app, make, hr).get(f"/hr/sittings/{sitting.id}/results"))
    assert page.count("badge-pass") == 1 and page.count("badge-fail") == 3
    # Passed 1 of 4 submitted; the mean is (6+3+2+0)/4 = 2.75.
    assert "2.75 / 6.00" in page

    # The same figures drawn: accessible SVG (named, described) with the data beside it.
    html = visitor(app, make, hr).get(f"/hr/sittings/{sitting.id}/results?item={easy.info.version_id}").text
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 3 and all('role="img"' in s and "<title" in s and "<desc" in s for s in svgs)
    assert not any("<script" in s or "<style" in s or 'style="' in s for s in svgs)
    scatter = next(s for s in svgs if "Facility against discrimination" in s)
    assert "NUM-EASY-0" in scatter and "LAW-HARD-0" in scatter
    assert "<td>0.75</td><td>0.62</td>" in html.replace("\n", "").replace(" ", "")  # the data table beside
    choices = next(s for s in svgs if "Choices taken on item NUM-EASY-0" in s)
    assert "b" in choices and "/charts.css" in html


def test_results_csv_has_a_bom_and_thai_names(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam)
    resp = visitor(app, make, hr).get(f"/hr/sittings/{sitting.id}/results.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Application number", "Name", "Room"]
    by_name = {r[1]: r for r in rows[1:]}
    a_row = by_name[people["A"][0].full_name_th]
    assert "ทดสอบ" in a_row[1] and a_row[4:8] == ["submitted", "6.00", "6.00", "100.00"]
    assert a_row[-2] == "pass" and by_name[people["B"][0].full_name_th][-2] == "fail"
    assert len(rows) == 6  # header, four submitted, one absent
    assert (
        visitor(app, make, make.hr(make.agency())).get(f"/hr/sittings/{sitting.id}/results.csv").status_code
        == 403
    )


# ---- certificates ----------------------------------------------------------------------------

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def test_certificate_issue_verify_expire_and_revoke(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    passed, failed = people["A"][1], people["B"][1]
    cand = people["A"][0]
    assert certificates.issue_if_passed(passed) is None  # results not published yet

    cert = certificates.issue_certificate(passed)
    assert CODE.match(cert.code) and "0" not in cert.code and "O" not in cert.code
    assert cert.candidate_id == cand.id
    assert cert.valid_until.year == cert.issued_at.year + 2
    assert certificates.issue_certificate(passed).id == cert.id  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert audit_count(db, "certificate.issue") == 1
    with pytest.raises(NotAllowed):
        certificates.issue_certificate(failed)

    assert certificates.verify(cert.code).status == "valid"
    assert certificates.verify(cert.code.lower().replace("-", " ")).status == "valid"
    assert certificates.verify("ABCD-EFGH-JKLM").status == "unknown"
    assert certificates.verify("not a code").status == "unknown"
    assert certificates.valid_part_a_certificate(cand).id == cert.id
    with frozen_at(cert.valid_until + timedelta(seconds=1)):
        assert certificates.verify(cert.code).status == "expired"
        assert certificates.valid_part_a_certificate(cand) is None

    with pytest.raises(Forbidden):
        certificates.revoke(cert, make.hr(make.agency()), "ทุจริตในการสอบ")
    certificates.revoke(cert, hr, "ทุจริตในการสอบ")
    assert certificates.verify(cert.code).status == "revoked"
    assert certificates.valid_part_a_certificate(cand) is None
    with pytest.raises(NotAllowed):
        certificates.revoke(cert, hr, "again")
    assert audit_count(db, "certificate.revoke") == 1


def test_an_immediate_results_exam_issues_at_submission_via_the_hook(app, db, make):
    eh.bank(per_band=1)
    exam = eh.exam(policy="immediate")
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    assert certificates.issue_if_passed(people["A"][1]) is not None
    assert certificates.issue_if_passed(people["B"][1]) is None  # failed


def test_hr_issues_the_certificates_when_publishing_and_the_public_verifies(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    c = visitor(app, make, hr)
    # First the confirmation, naming what will happen; nothing is published yet.
    asked = c.post(f"/hr/sittings/{sitting.id}/publish")
    assert asked.status_code == 200 and "Publish the results of" in text(asked)
    assert "cannot be taken back" in text(asked) and "Part A certificates" in text(asked)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    resp = c.post(f"/hr/sittings/{sitting.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    assert "The results are published; 1 pass certificates are issued." in text(resp)
    cert = db.session.scalar(select(Certificate))
    assert cert.candidate_id == people["A"][0].id and cert.code in text(resp)
    again = c.post(f"/hr/sittings/{sitting.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    assert "already published" in text(again)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1

    public = visitor(app, make)  # nobody logged in
    page = text(public.get(f"/verify/{cert.code}"))
    holder = people["A"][0]
    assert "This certificate is genuine and valid." in page
    assert holder.full_name_th in page and "Part A test" in page and "6.00 / 6.00" in page
    assert nid.masked(holder.national_id) in page
    assert holder.national_id not in page and nid.formatted(holder.national_id) not in page
    assert holder.email not in page and "birth" not in page.lower()

    assert "No certificate has the code" in text(public.get("/verify/ABCD-EFGH-JKLM"))
    typed = public.get("/verify", query_string={"code": cert.code.lower()})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{cert.code.lower()}")
    with frozen_at(cert.valid_until + timedelta(days=1)):
        assert "has expired" in text(public.get(f"/verify/{cert.code}"))
    certificates.revoke(cert, hr, "ทุจริตในการสอบ")
    assert "has been revoked" in text(public.get(f"/verify/{cert.code}"))


def test_certificate_pdf_for_the_holder_and_hr_only(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    holder = people["A"][0]
    cert = certificates.issue_certificate(people["A"][1])
    url = f"/exams/certificates/{cert.code}.pdf"

    resp = visitor(app, make, holder).get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.get_data().startswith(b"%PDF")
    assert cert.code in resp.headers["Content-Disposition"]
    assert visitor(app, make, hr).get(url).status_code == 200
    assert visitor(app, make, people["B"][0]).get(url).status_code == 403
    assert visitor(app, make, make.hr(make.agency())).get(url).status_code == 403
    assert visitor(app, make, hr).get("/exams/certificates/ABCD-EFGH-JKLM.pdf").status_code == 404
    certificates.revoke(cert, hr, "ออกผิดคน")
    assert visitor(app, make, holder).get(url).status_code == 409


def test_the_pdf_carries_the_verify_address(app, db, make, exam):
    pypdf = pytest.importorskip("pypdf")
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    cert = certificates.issue_certificate(people["A"][1])
    data = visitor(app, make, hr).get(f"/exams/certificates/{cert.code}.pdf").get_data()
    content = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert f"/verify/{cert.code}" in content and cert.code in content


# ---- the dashboard in a real browser ---------------------------------------------------------


@pytest.mark.browser
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


def test_a_valid_part_a_certificate_exempts_from_a_later_rounds_part_a(app, db, make, exam):
    """Passing Part A once satisfies the Part A stage of later rounds while it is valid."""
    from app.applications.models import Application, ApplicationStatus
    from app.exams.certificates import part_a_certificate

    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    holder, passed_attempt = people["A"]
    cert = certificates.issue_certificate(passed_attempt)
    later = make.round_(sitting.agency)  # a competitive round: it has a Part A stage
    app_ = Application(
        round_id=later.id,
        candidate_id=holder.id,
        number=f"{later.code}-00001",
        status=ApplicationStatus.APPROVED,
    )
    db.session.add(app_)
    db.session.commit()
    assert part_a_certificate(app_).id == cert.id
    page = visitor(app, make, holder).get(f"/applications/{app_.id}").get_data(as_text=True)
    assert cert.code in page and "No Part A exam is needed" in page

    part_a = sittings.schedule_sitting(
        hr, later, exam, title_th="ภาค ก รอบถัดไป", starts_at=now() + timedelta(days=3)
    )
    result = sittings.seat_round_candidates(part_a, hr)
    assert result.exempt == 1 and result.seated == 0  # no seat needed
    certificates.revoke(cert, hr, "ตรวจพบการทุจริต")
    assert part_a_certificate(app_) is None
