"""Applying in a real browser, in Thai (issue 16): the form, "check your answers" (the error summary
takes the focus and leads to the field), the confirmation with what happens next; then
withdrawing asks in an accessible dialog naming what will happen. axe-core finds no serious
violation on any page of the journey, nor with the dialog open."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.applications.models import Application, ApplicationStatus
from app.extensions import db
from app.recruitment.models import Accommodation
from tests.factories.applications import pdf_bytes
from tests.support.browser import main_text, open_context, serious_violations

pytestmark = pytest.mark.browser


def test_a_candidate_checks_their_answers_submits_and_withdraws_in_thai(
    app, browser, live_server, make, tmp_path
):
    round_ = make.round_(make.agency(), accommodations_offered=[Accommodation.EXTRA_TIME])
    cand = make.candidate()
    round_id, email = round_.id, cand.email
    transcript = tmp_path / "ใบแสดงผลการเรียน.pdf"
    transcript.write_bytes(pdf_bytes())
    db.session.remove()
    ctx, pg = open_context(browser, live_server, email, make.PASSWORD, english=False)
    try:
        pg.goto(f"/rounds/{round_id}/apply")
        assert serious_violations(pg) == []
        pg.fill("#extra_time", "25")
        pg.set_input_files("#doc_transcript", str(transcript))
        pg.get_by_role("button", name="ดำเนินการต่อ").click()
        pg.wait_for_url(re.compile(rf"/rounds/{round_id}/apply/check$"))
        text = main_text(pg)
        assert "ตรวจสอบคำตอบก่อนยื่นใบสมัคร" in text and "ใบแสดงผลการเรียน.pdf" in text
        assert "เวลาเพิ่ม (25%)" in text and "ยังไม่ได้แนบ" in text
        assert serious_violations(pg) == []

        # Submitting without the declaration: the summary has the focus and leads to the box.
        pg.get_by_role("button", name="ยื่นใบสมัคร").click()
        pg.wait_for_load_state()
        pg.wait_for_function(
            "() => document.activeElement && document.activeElement.matches('.error-summary')"
        )
        summary = pg.locator(".error-summary")
        assert "พบข้อผิดพลาด" in summary.inner_text()
        assert serious_violations(pg) == []
        summary.get_by_role("link").first.click()
        pg.wait_for_function("() => document.activeElement && document.activeElement.id === 'declaration'")

        # "Change" goes back to the form with the answer kept.
        pg.locator("main").get_by_role("link", name=re.compile("^แก้ไข.*สิ่งอำนวยความสะดวก")).click()
        pg.wait_for_url(re.compile(rf"/rounds/{round_id}/apply#accommodations$"))
        assert pg.input_value("#extra_time") == "25"
        assert "แนบแล้ว: ใบแสดงผลการเรียน.pdf" in main_text(pg)
        pg.get_by_role("button", name="ดำเนินการต่อ").click()
        pg.wait_for_url(re.compile(r"/apply/check$"))
        pg.check("#declaration")
        pg.get_by_role("button", name="ยื่นใบสมัคร").click()
        pg.wait_for_url(re.compile(r"/applications/\d+/submitted$"))
        text = main_text(pg)
        assert "ยื่นใบสมัครแล้ว" in text and "ขั้นตอนต่อไป" in text and "เอกสารที่ยังขาด" in text
        assert serious_violations(pg) == []

        # Withdrawing asks in a dialog, which names what will happen; "No" changes nothing.
        pg.get_by_role("link", name="ดูใบสมัครของท่าน").click()
        pg.fill("#reason", "ติดธุระ")
        pg.get_by_role("button", name="ถอนใบสมัคร").click()
        dialog = pg.get_by_role("dialog", name="ถอนใบสมัครนี้หรือไม่")
        assert "จะถูกถอน" in dialog.inner_text()
        pg.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'confirm-dialog-no'"
        )
        assert serious_violations(pg) == []
        pg.keyboard.press("Escape")
        pg.wait_for_function("() => !document.querySelector('dialog.confirm-dialog').open")
        assert pg.evaluate("() => document.activeElement.textContent.trim()") == "ถอนใบสมัคร"
        db.session.expire_all()
        assert db.session.scalar(select(Application)).status == ApplicationStatus.SUBMITTED

        pg.get_by_role("button", name="ถอนใบสมัคร").click()
        pg.get_by_role("dialog").get_by_role("button", name="ใช่ ถอนใบสมัคร").click()
        pg.wait_for_load_state()
        db.session.expire_all()
        assert db.session.scalar(select(Application)).status == ApplicationStatus.WITHDRAWN
    finally:
        ctx.close()
