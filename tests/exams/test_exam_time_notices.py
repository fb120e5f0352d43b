"""Live pages that say what happened: every change of a candidate's time (an extension, time
given back, a pause and the resumption) is written on the test page where a sighted candidate
sees it, with the time it happened, not only told to screen readers. A proctor acts through a
real Socket.IO client; the candidate's page is a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from tests.factories import exams as eh
from tests.support.browser import open_context, serious_violations
from tests.support.exam_pages import proctored_test_under_way
from tests.support.live_client import LiveClient, logged_in_cookie

pytestmark = pytest.mark.browser

CHANGES = "#exam-time-changes li"


def test_the_candidate_sees_each_change_of_their_time(browser, live_server, make):
    t = proctored_test_under_way(make)
    sitting_id, seat_id, email = t.sitting_id, t.seat_id, t.email
    proctor_cookie = logged_in_cookie(live_server, t.proctor_email, make.PASSWORD)

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False)
    proctor_client = LiveClient(live_server, proctor_cookie, "/proctor", ()).connect()
    try:
        page.goto(f"/exams/sittings/{sitting_id}/test")
        page.wait_for_selector("#exam-choice-b")
        assert not page.locator("#exam-time-changes-box").is_visible()  # nothing changed yet

        ack = proctor_client.call(
            "extend", {"sitting_id": sitting_id, "seat_ids": [seat_id], "seconds": 300, "reason": "ไฟดับ"}
        )
        assert ack["ok"], ack
        page.wait_for_function(f"() => document.querySelectorAll('{CHANGES}').length === 1")
        assert page.locator("#exam-time-changes-box").is_visible()
        first = page.locator(CHANGES).nth(0).inner_text()
        assert "กรรมการคุมสอบให้เวลาเพิ่ม 5 นาที 0 วินาที" in first and "เหลือ" in first

        assert proctor_client.call("pause", {"sitting_id": sitting_id, "reason": "ตรวจสอบห้องสอบ"})["ok"]
        page.wait_for_function(f"() => document.querySelectorAll('{CHANGES}').length === 2")
        assert "หยุดการสอบชั่วคราว" in page.locator(CHANGES).nth(1).inner_text()

        assert proctor_client.call("resume", {"sitting_id": sitting_id, "reason": ""})["ok"]
        page.wait_for_function(f"() => document.querySelectorAll('{CHANGES}').length === 3")
        assert "สอบต่อแล้ว" in page.locator(CHANGES).nth(2).inner_text()

        # Each line starts with the time it happened (Bangkok, hh:mm).
        assert all(
            page.locator(CHANGES).nth(i).locator("strong").inner_text().strip()[:2].isdigit()
            for i in range(3)
        )
        assert serious_violations(page) == []
    finally:
        proctor_client.close()
        context.close()


def test_controls_that_cannot_act_look_it(browser, live_server, make):
    """A window sitting cannot be paused by hand (nobody starts it) and is not paused: both
    buttons are disabled and look it (grey), unlike the enabled "announce" button beside them;
    the status reads "in progress"."""
    eh.bank()
    sitting, _hr = eh.sitting(make, eh.exam(duration=30), mode="window", starts_in=timedelta(minutes=-5))
    eh.seated(make, sitting)
    proctor = make.proctor(sitting)
    sitting_id, email = sitting.id, proctor.email
    db.session.remove()

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False)
    try:
        page.goto(f"/proctor/sittings/{sitting_id}")
        page.wait_for_function("() => document.getElementById('sitting-status').textContent === 'กำลังสอบ'")
        background = "(el) => getComputedStyle(el).backgroundColor"
        pause, resume = page.locator("#pause-button"), page.locator("#resume-button")
        announce = page.locator("#announce-form button[type=submit]")
        assert pause.is_disabled() and resume.is_disabled() and announce.is_enabled()
        assert pause.evaluate(background) == resume.evaluate(background) != announce.evaluate(background)
        assert pause.evaluate("(el) => getComputedStyle(el).cursor") == "not-allowed"
    finally:
        context.close()
