"""The proctor's force submit asks first, in the house's in-page dialog (not the browser's
`window.confirm`), naming the candidate and what will happen; "No" leaves the test running, "Yes"
submits it. In Thai, with axe-core at zero serious violations while the dialog is open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.exams import sitting_control, starting
from app.exams.models import Attempt
from app.extensions import db
from tests.factories import exams as eh

pytestmark = pytest.mark.browser


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_force_submit_names_the_candidate_in_a_dialog_then_submits_on_yes(browser, live_server, make):
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    proctor = make.proctor(sitting)
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    sitting_id, seat_id, attempt_id = sitting.id, seat.id, attempt.id
    proctor_email = proctor.email
    db.session.remove()

    context = browser.new_context(base_url=live_server, locale="th-TH")
    page = context.new_page()
    page.set_default_timeout(20000)
    # Were the browser's own confirm box used, the test would see it (and dismiss it).
    native = []
    page.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    page.goto("/accounts/login")
    page.fill("#email", proctor_email)
    page.fill("#password", make.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"/proctor/sittings/{sitting_id}")
    page.wait_for_selector(f"tr[data-seat-id='{seat_id}']")

    page.select_option("#force-target", str(seat_id))
    name = page.locator(f"#force-target option[value='{seat_id}']").inner_text().split("·")[1].strip()
    assert name
    page.fill("#force-reason", "ผู้สอบแจ้งขอส่งก่อนเวลาเพราะไม่สบาย")
    submit = page.locator("#force-form button[type=submit]")
    submit.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    said = dialog.inner_text()
    assert name in said  # names the candidate
    assert "ส่งคำตอบ" in said and "ย้อนกลับไม่ได้" in said  # says what will happen, in Thai
    assert serious_violations(page) == []

    dialog.get_by_role("button", name="ไม่ ย้อนกลับ").click()  # "No": nothing happens
    assert page.evaluate("() => document.activeElement.closest('#force-form') !== null")
    db.session.remove()
    assert db.session.get(Attempt, attempt_id).status == "in_progress"

    submit.click()
    page.get_by_role("dialog").get_by_role("button", name="ใช่ ส่งคำตอบเดี๋ยวนี้").click()
    page.wait_for_function(
        "name => document.getElementById('action-result').textContent.indexOf(name) >= 0", arg=name
    )
    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    assert native == []
    context.close()
