"""HR in a real browser, in Thai: calibrates a bank, assembles parallel forms and sees that
they are parallel within the tolerance; the page passes axe-core."""

from __future__ import annotations

import os

import pytest

from app.extensions import db
from tests.support.browser import main_text, open_context, serious_violations

pytestmark = pytest.mark.browser


def test_hr_calibrates_and_assembles_parallel_forms_in_the_browser(
    app, browser, live_server, make, monkeypatch
):
    monkeypatch.setitem(app.config, "CALIBRATION_MIN_RESPONSES", 20)
    monkeypatch.setitem(app.config, "PARALLEL_FORMS_MAX_EXPOSURE", 0.67)
    items = make.psychometrics.topic_bank("web-bank", per_band=6)
    exam = make.exams.exam("web-bank", draw={"easy": 1, "medium": 1, "hard": 1})
    attempts = make.psychometrics.submitted_history(
        exam, make.psychometrics.band_truth(items, seed=21), 120, seed=21
    )
    past = attempts[0].seat.sitting
    hr = make.hr(past.agency)  # HR of the agency that held the past sitting
    email, exam_id, past_id = hr.email, exam.id, past.id
    db.session.remove()

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False)
    page.goto(f"/hr/exams/{exam_id}/forms")
    assert "ยังไม่ได้ปรับเทียบ" in main_text(page)

    page.fill("#calibrate-reason", "ปรับเทียบหลังรอบสอบเดือนมีนาคม")
    page.get_by_role("button", name="ปรับเทียบคลังข้อสอบ").click()
    page.wait_for_load_state()
    assert "ปรับเทียบคลังข้อสอบ web-bank แล้ว" in page.locator(".flashes").inner_text()
    assert "mirt 1.2.0" in main_text(page)

    page.fill("#assemble-forms", "3")
    page.fill("#assemble-reason", "รอบสอบแบบช่วงเวลา")
    page.get_by_role("button", name="จัดชุดข้อสอบ", exact=True).click()
    page.wait_for_load_state()
    text = main_text(page)
    assert "จัดชุดข้อสอบคู่ขนานแล้ว 3 ฉบับ" in page.locator(".flashes").inner_text()
    assert "ฉบับที่ 3" in text and "อยู่ในค่าที่ยอมรับได้ 1.00" in text
    assert serious_violations(page) == []
    _screenshot(page, "hr_exam_forms_th.png")

    # The item analysis of the past sitting shows the IRT parameters beside the classical ones.
    page.goto(f"/hr/sittings/{past_id}/results")
    text = main_text(page)
    assert "ความยากตาม IRT (b)" in text and "อำนาจจำแนกตาม IRT (a)" in text
    assert serious_violations(page) == []
    _screenshot(page, "hr_results_th.png")
    page.goto(f"/hr/sittings/{past_id}")
    assert "การปรับเทียบและชุดข้อสอบคู่ขนาน" in main_text(page)
    _screenshot(page, "hr_sitting_th.png")
    context.close()


def _screenshot(page, name: str) -> None:
    """For a person to look at (SCREENSHOT_DIR=... when running the test)."""
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], name), full_page=True)
