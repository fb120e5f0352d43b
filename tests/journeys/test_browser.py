"""The main journey in a real browser (Chromium via Playwright), in Thai and in English:
a candidate registers, fills in qualifications, applies with a document and sees the
application listed; HR of the agency approves it; the candidate sees the decision."""

from __future__ import annotations

import io
import re

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import select

from app.applications.models import Application, Document
from app.common import national_id as nid
from app.extensions import db
from app.notifications.models import OutboxEmail

pytestmark = pytest.mark.browser


def _pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Transcript of records")
    c.save()
    return buf.getvalue()


def _submit(page):
    page.locator("main form button[type=submit]").first.click()


def _emailed_link(address: str, path: str) -> str:
    """The path of the link to `path` in the newest email queued for `address`."""
    db.session.remove()
    mail = db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id.desc()).limit(1)
    )
    return re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", mail.body_text).group(1)


def _stored(number: str) -> Application | None:
    db.session.remove()  # see what the server committed
    return db.session.scalar(select(Application).where(Application.number == number))


def test_candidate_applies_and_hr_approves(browser, page, live_server, make):
    agency = make.agency("BRW")
    hr = make.hr(agency)
    round_ = make.round_(
        agency,
        code="BRW-2569-01",
        min_education_level="bachelor",
        fields_of_study=["วิศวกรรมโยธา"],
        accommodations_offered=["extra_time", "large_text"],
    )
    round_id, round_code = round_.id, round_.code
    hr_email = hr.email
    national_id = nid.complete("310120045678")
    db.session.remove()

    # Register, in Thai (the default language).
    page.goto("/accounts/register")
    assert page.locator("html").get_attribute("lang") == "th"
    page.fill("#first_name_th", "สมหญิง")
    page.fill("#last_name_th", "ใจงาม")
    page.fill("#first_name_en", "Somying")
    page.fill("#last_name_en", "Jai-ngam")
    page.fill("#national_id", nid.formatted(national_id))
    page.fill("#birth_date", "1995-03-10")
    page.fill("#email", "somying@example.com")
    page.fill("#phone", "081-234-5678")
    page.fill("#password", "Browser-pass-2569")
    page.fill("#password_confirm", "Browser-pass-2569")
    _submit(page)
    # Confirm the address through the emailed link, then log in.
    page.get_by_role("heading", name="โปรดตรวจสอบอีเมลของท่าน").wait_for()
    page.goto(_emailed_link("somying@example.com", "/accounts/verify/"))
    page.get_by_text("ยืนยันที่อยู่อีเมลแล้ว").wait_for()
    page.fill("#email", "somying@example.com")
    page.fill("#password", "Browser-pass-2569")
    _submit(page)
    page.wait_for_url(re.compile(r"/$"))

    # Qualifications on the profile.
    page.goto("/accounts/profile")
    page.select_option("#education_level", "bachelor")
    page.fill("#degree_name", "วิศวกรรมศาสตรบัณฑิต")
    page.fill("#field_of_study", "วิศวกรรมโยธา")
    page.fill("#gpa", "3.25")
    _submit(page)
    page.wait_for_load_state()

    # The round's page says the candidate is eligible and offers the application form.
    page.goto(f"/rounds/{round_id}")
    page.locator(f"a[href$='/rounds/{round_id}/apply']").click()
    page.wait_for_url(re.compile(rf"/rounds/{round_id}/apply$"))
    page.check("#large_text")
    page.set_input_files(
        "#doc_transcript",
        files=[{"name": "ใบแสดงผลการเรียน.pdf", "mimeType": "application/pdf", "buffer": _pdf()}],
    )
    _submit(page)  # "continue" to check the answers; only that page submits
    page.wait_for_url(re.compile(rf"/rounds/{round_id}/apply/check$"))
    assert "ใบแสดงผลการเรียน.pdf" in page.inner_text("main")
    page.check("#declaration")
    _submit(page)
    number = f"{round_code}-00001"
    page.wait_for_url(re.compile(r"/applications/\d+/submitted$"))
    assert number in page.inner_text("main")

    stored = _stored(number)
    assert stored is not None and stored.status == "submitted"
    assert [
        d.original_name
        for d in db.session.scalars(select(Document).where(Document.application_id == stored.id))
    ] == ["ใบแสดงผลการเรียน.pdf"]

    page.goto("/applications")
    assert number in page.inner_text("main")

    # Switch to English: the same list, in English.
    page.locator("a[hreflang=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "My applications" in page.inner_text("main")
    assert "submitted" in page.locator("tr", has_text=number).inner_text().lower()

    # HR of the agency approves, in a separate browser session.
    hr_context = browser.new_context(base_url=live_server)
    hr_page = hr_context.new_page()
    hr_page.set_default_timeout(15000)
    hr_page.goto("/accounts/login")
    hr_page.fill("#email", hr_email)
    hr_page.fill("#password", make.PASSWORD)
    _submit(hr_page)
    hr_page.wait_for_load_state()
    hr_page.goto(f"/hr/rounds/{round_id}/applications")
    hr_page.get_by_role("link", name=number).click()
    hr_page.wait_for_url(re.compile(r"/applications/\d+$"))
    assert "3101" in hr_page.inner_text("main").replace("-", "")  # HR sees the full national ID
    hr_page.locator("form[action$='/approve'] button[type=submit]").click()
    hr_page.locator("dialog #confirm-dialog-yes").click()  # approving asks first
    hr_page.wait_for_load_state()
    hr_context.close()
    assert _stored(number).status == "approved"

    # The candidate sees the decision.
    page.goto("/applications")
    assert "approved" in page.locator("tr", has_text=number).inner_text().lower()
    page.locator("a[hreflang=th]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "th"
    assert number in page.inner_text("main")


def test_a_forgotten_password_is_reset_through_the_emailed_link(page, make):
    user = make.candidate(email="forgetful@example.com")
    user_id, old_hash = user.id, user.password_hash
    db.session.remove()
    page.goto("/accounts/login")
    page.get_by_role("link", name="ลืมรหัสผ่าน?").click()
    page.fill("#email", "forgetful@example.com")
    _submit(page)
    page.get_by_role("heading", name="โปรดตรวจสอบอีเมลของท่าน").wait_for()

    link = _emailed_link("forgetful@example.com", "/accounts/reset/")
    page.goto(link)
    page.fill("#password", "Remembered-2569")
    page.fill("#password_confirm", "Remembered-2569")
    _submit(page)
    page.get_by_text("เปลี่ยนรหัสผ่านแล้ว").wait_for()
    page.fill("#email", "forgetful@example.com")
    page.fill("#password", "Remembered-2569")
    _submit(page)
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("button", name=re.compile("ออกจากระบบ")).count() == 1

    # The link worked once.
    page.goto(link)
    assert page.get_by_role("heading", name="ลิงก์นี้ใช้ไม่ได้").is_visible()
    db.session.remove()
    assert db.session.get(type(user), user_id).password_hash != old_hash
