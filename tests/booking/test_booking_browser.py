"""The fee-and-seat journey in a real browser, in Thai: a candidate applies and opens the payment
slip (QR code), HR approves and imports the bank's report, the payment shows, the candidate books
a seat at a test centre and gets the admission ticket naming it; each page passes axe-core."""

from __future__ import annotations

import re

from app.applications.models import Application
from app.extensions import db
from app.payments import services as payments
from app.recruitment.models import RoundStatus
from tests.factories import PASSWORD
from tests.support.browser import open_context, serious_violations
from tests.support.reading import pdf_pages


def test_candidate_applies_pays_hr_imports_the_statement_and_the_candidate_books_a_seat(
    browser, live_server, make, tmp_path
):
    w = make.booking.world(make, seats=(30,), accessible=(2,), sittings=2, fee="350", status=RoundStatus.OPEN)
    candidate = make.candidate()
    round_id, sitting_id = w.round.id, w.sittings[0].id
    cand_email, hr_email, venue = candidate.email, w.hr.email, w.venue.name_th
    db.session.remove()

    # The candidate applies (in Thai) and opens the payment slip from the application page.
    cand_ctx, cand = open_context(browser, live_server, cand_email, PASSWORD, english=False)
    cand.goto(f"/rounds/{round_id}/apply")
    cand.locator("main form button[type=submit]").first.click()  # on to "check your answers"
    cand.wait_for_url(re.compile(rf"/rounds/{round_id}/apply/check$"))
    cand.check("#declaration")
    cand.locator("main form button[type=submit]").first.click()
    cand.wait_for_url(re.compile(r"/applications/\d+/submitted$"))
    app_id = int(cand.url.rsplit("/", 2)[1])
    cand.goto(f"/applications/{app_id}")
    number = db.session.get(Application, app_id).number
    db.session.remove()
    assert number in cand.inner_text("main") and "ค่าธรรมเนียมการสมัคร" in cand.inner_text("main")
    cand.get_by_role("link", name="ใบแจ้งชำระเงิน").first.click()
    cand.wait_for_url(re.compile(rf"/applications/{app_id}/payment$"))
    assert "รอชำระเงิน" in cand.inner_text("main")
    cand.wait_for_function(
        "() => { const i = document.querySelector('figure.qr img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert serious_violations(cand) == []
    reference = cand.locator("dd.app-number").inner_text().strip()
    assert reference == payments.payment_of(db.session.get(Application, app_id)).reference
    db.session.remove()

    # HR approves the application and imports the bank's report with the candidate's payment.
    csv_path = tmp_path / "bank-report.csv"
    csv_path.write_bytes(
        make.booking.statement_csv(("07/12/2569", "09:30:00", reference, "", "350.00", "ผู้สมัคร", "TX1"))
    )
    hr_ctx, hr = open_context(browser, live_server, hr_email, PASSWORD, english=False)
    hr.goto(f"/applications/{app_id}")
    hr.get_by_role("button", name="อนุมัติใบสมัคร", exact=True).click()
    hr.locator("dialog #confirm-dialog-yes").click()  # approving asks first
    hr.locator("main .badge-approved").wait_for()
    hr.goto("/hr/payments")
    assert serious_violations(hr) == []
    hr.set_input_files("#file", str(csv_path))
    hr.locator("main form button[type=submit]").first.click()
    hr.wait_for_url(re.compile(r"/hr/payments/imports/\d+$"))
    assert reference in hr.inner_text("main") and "ทุกบรรทัดตรงกับรายการชำระเงิน" in hr.inner_text("main")
    assert serious_violations(hr) == []
    hr_ctx.close()

    # The candidate sees the payment and books a seat at the test centre.
    cand.goto(f"/applications/{app_id}")
    assert "ชำระแล้ว" in cand.inner_text("main")
    cand.get_by_role("link", name="จองหรือเปลี่ยนที่นั่งสอบ").click()
    cand.wait_for_url(re.compile(rf"/applications/{app_id}/booking$"))
    assert serious_violations(cand) == []
    cand.get_by_role("button", name=re.compile("จองรอบสอบที่ 1")).click()
    cand.wait_for_url(re.compile(rf"/applications/{app_id}/booking$"))
    text = cand.inner_text("main")
    assert "จองที่นั่งแล้ว" in text and venue in text and "ห้อง 301" in text and "ที่นั่ง 3" in text
    assert serious_violations(cand) == []
    ticket = cand.request.get(f"/exams/sittings/{sitting_id}/ticket.pdf")
    first = "\n".join(pdf_pages(ticket.body()))
    assert number in first and venue in first and "301" in first
    cand_ctx.close()
