"""The whole of issue 21 on the demo data, in a real browser and in Thai: HR calibrates the demo
bank (its simulated past sitting), assembles parallel forms, sees the window sitting's forms
shown parallel within the tolerance, a candidate checks in and gets one of them, HR equates the
scores and the results page shows raw and equated scores. Every page passes axe-core."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.exams import equating, parallel_forms
from app.exams.models import Attempt, Exam, Seat, Sitting
from app.extensions import db
from app.main import demo
from tests.support.browser import main_text, open_context, serious_violations

pytestmark = pytest.mark.browser


def test_on_the_demo_hr_calibrates_opens_a_parallel_window_sitting_and_sees_equated_scores(
    app, browser, live_server
):
    demo.load()
    demo.simulate_exam_history(400, seed=7)
    exam = db.session.scalar(select(Exam).where(Exam.code == demo.DEMO_EXAM))
    window = db.session.scalar(
        select(Sitting).where(Sitting.exam_id == exam.id, Sitting.timing_mode == "window")
    )
    past = db.session.scalar(select(Sitting).where(Sitting.exam_id == exam.id, Sitting.status == "ended"))
    candidate = db.session.scalar(select(User).where(User.email == "candidate@demo.bma.go.th"))
    exam_id, window_id, past_id = exam.id, window.id, past.id
    last4, birth = candidate.national_id[-4:], candidate.birth_date.isoformat()
    db.session.remove()

    context, page = open_context(
        browser, live_server, "hr.csc@demo.bma.go.th", demo.DEMO_PASSWORD, english=False
    )
    page.set_default_timeout(60000)  # calibrating 12,000 responses takes a few seconds
    page.goto(f"/hr/sittings/{window_id}")
    assert "สุ่มจากระดับความยาก" in main_text(page)
    page.get_by_role("link", name="การปรับเทียบและชุดข้อสอบคู่ขนาน").click()
    page.wait_for_load_state()
    assert "ปรับเทียบคะแนนไม่ได้" in main_text(page)  # honest before any calibration

    # HR calibrates the bank on the simulated past sitting.
    page.fill("#calibrate-reason", "ปรับเทียบจากรอบสอบที่ผ่านมา")
    page.get_by_role("button", name="ปรับเทียบคลังข้อสอบ").click()
    page.wait_for_load_state()
    assert "ปรับเทียบคลังข้อสอบ part-a-demo แล้ว" in page.locator(".flashes").inner_text()

    # ... and assembles four parallel forms: the page shows them within the tolerance.
    page.fill("#assemble-forms", "4")
    page.fill("#assemble-reason", "รอบสอบแบบช่วงเวลา")
    page.get_by_role("button", name="จัดชุดข้อสอบ", exact=True).click()
    page.wait_for_load_state()
    text = main_text(page)
    assert "ฉบับที่ 4" in text and "อยู่ในค่าที่ยอมรับได้ 1.00" in text
    assert serious_violations(page) == []

    # The window sitting's page says its forms are parallel.
    page.goto(f"/hr/sittings/{window_id}")
    shown = page.locator("#forms-parallel").inner_text()
    assert "ขนาน" in shown and "1.00" in shown
    assert serious_violations(page) == []

    # A candidate checks in to the window sitting: it opens, and they get one of the forms.
    other, cand_page = open_context(
        browser, live_server, "candidate@demo.bma.go.th", demo.DEMO_PASSWORD, english=False
    )
    cand_page.set_default_timeout(30000)
    cand_page.goto(f"/exams/sittings/{window_id}/check-in")
    cand_page.wait_for_function("() => document.querySelector('input[name=websocket_ok]').value !== ''")
    cand_page.fill("#national_id_last4", last4)
    cand_page.fill("#birth_date", birth)
    cand_page.check("#accept_rules")
    cand_page.locator("main form button[type=submit]").first.click()
    cand_page.wait_for_url(re.compile(rf"/exams/sittings/{window_id}/test$"))
    other.close()
    db.session.remove()
    attempt = db.session.scalar(select(Attempt).join(Seat).where(Seat.sitting_id == window_id))
    form_set = parallel_forms.current_form_set(db.session.get(Exam, exam_id))
    given = sorted(q["version_id"] for q in attempt.form if not q.get("pretest"))
    assert given in [sorted(q["version_id"] for q in form) for form in form_set.forms]
    db.session.remove()

    # HR equates the submitted scores to the reference form ...
    page.goto(f"/hr/exams/{exam_id}/forms")
    page.fill("#equate-reason", "ก่อนประกาศผล")
    page.get_by_role("button", name="ปรับเทียบคะแนนที่ส่งแล้ว").click()
    page.wait_for_load_state()
    assert "ปรับเทียบคะแนน" in page.locator(".flashes").inner_text()

    # ... and the results page shows each raw score beside its equated score.
    page.goto(f"/hr/sittings/{past_id}/results")
    headers = page.locator("table[aria-labelledby=scores-heading] thead th").all_inner_texts()
    assert "คะแนน" in headers and "คะแนนปรับเทียบ" in headers
    first = page.locator("table[aria-labelledby=scores-heading] tbody tr").first
    cells = first.locator("td").all_inner_texts()
    raw, equated = cells[3], cells[4]
    assert re.fullmatch(r"\d+(\.\d+)? / \d+(\.\d+)?", raw) and re.fullmatch(r"\d+\.\d\d / \d+\.\d\d", equated)
    assert serious_violations(page) == []
    db.session.remove()
    rows = equating.current_equated(
        a.id for a in db.session.scalars(select(Attempt).where(Attempt.status == "submitted"))
    )
    assert len(rows) >= 350  # nearly all of the 400: an attempt with an uncalibrated item is not equated
    context.close()
