"""The whole merit-list journey in real browsers, one person per browser context: HR prepares the
final merit list from the round's pages, a second HR approves and publishes it (the preparer's
own approval is refused), the public searches it and verifies its digest, another agency asks to
use it, is approved and calls the next candidate, and that candidate reports in online. The
list's counts follow, and the public list page passes axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.common import national_id as nid
from app.common.clock import today_bangkok
from app.extensions import db
from tests.factories.applications import pdf_bytes
from tests.factories.merit import scored_round
from tests.support.browser import flashes, main_text, open_context, serious_violations

pytestmark = pytest.mark.browser


def facts(page) -> dict[str, str]:
    """The list's facts (<dt> → <dd>) as the page shows them."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('dl.facts dt')]
        .map(dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))""")


def rows(page) -> list[str]:
    return page.locator("main table:not(.score-changes):not(.chart-table) tbody tr").all_inner_texts()


def open_merit_list_as_hr(page, round_code):
    """Agency rounds → the round → Result lists → the merit list."""
    page.goto("/")  # HR land on their agency's rounds
    page.locator("main").get_by_role("link", name=round_code).click()
    page.locator("main").get_by_role("link", name="Result lists").click()
    page.locator("main table").get_by_role("link", name="Merit list").click()
    page.wait_for_url(re.compile(r"/hr/lists/\d+$"))


def test_prepare_approve_publish_verify_use_call_and_report_in(browser, live_server, make, tmp_path):
    agency1 = make.agency()
    _agency, round_, (a1, a2, a3, a4) = scored_round(
        db,
        make,
        [
            (150, 150, 80),  # 230
            (150, 160, 70),  # 230, higher Part B: above a1
            (150, 170, 80),  # 250: first
            (100, 190, 90),  # failed Part A: not listed
        ],
        agency=agency1,
    )
    # A may prepare and approve lists, but not approve what they prepared themselves.
    hr_a = make.user(Role.HR_OFFICER, Role.HR_APPROVER, agency=agency1)
    hr_b = make.hr(agency1, approver=True)
    agency2 = make.agency(name_en="Bang Khen District Office", name_th="สำนักงานเขตบางเขน")
    hr_c = make.hr(agency2)
    make.position(agency2, title_th="วิศวกรโยธา (เขต)", title_en="District Civil Engineer")
    first = a3.candidate
    numbers = [a3.number, a2.number, a1.number]
    failed_number, round_code, round_title = a4.number, round_.code, round_.title_en
    national_ids = [a.candidate.national_id for a in (a1, a2, a3, a4)]
    first_email, agency2_en = first.email, agency2.name_en
    logins = {who: u.email for who, u in (("a", hr_a), ("b", hr_b), ("c", hr_c))}
    db.session.remove()
    pdf = tmp_path / "medical-certificate.pdf"
    pdf.write_bytes(pdf_bytes("Medical certificate"))
    pw = make.PASSWORD
    contexts = []

    try:
        # 1. HR user A prepares the final merit list from the round's pages.
        ctx_a, pa = open_context(browser, live_server, logins["a"], pw)
        contexts.append(ctx_a)
        pa.goto("/")
        pa.locator("main").get_by_role("link", name=round_code).click()
        pa.locator("main").get_by_role("link", name="Result lists").click()
        assert "No list has been prepared yet." in main_text(pa)
        pa.select_option("#kind", "merit")
        pa.get_by_role("button", name="Prepare the draft").click()
        pa.wait_for_url(re.compile(r"/hr/lists/\d+$"))
        list_path = pa.url.split(live_server, 1)[1]
        list_id = int(list_path.rsplit("/", 1)[1])
        assert "Draft prepared" in flashes(pa) and "second HR approver" in flashes(pa)
        table = rows(pa)
        assert [r.split("\t")[:2] for r in table] == [["1", numbers[0]], ["2", numbers[1]], ["3", numbers[2]]]
        assert "250.00" in table[0] and "higher total" in table[0]
        assert "230.00" in table[1] and "higher Part B score" in table[1]
        assert not any(failed_number in r for r in table)  # failed: not on the list
        assert facts(pa)["Status"].lower().startswith("draft")
        # A cannot approve their own list: no approve button, the reason instead.
        assert pa.get_by_role("button", name="Approve this list").count() == 0
        assert "You prepared this list, so you cannot approve it" in main_text(pa)
        assert facts(pa)["Status"].lower().startswith("draft")

        # 2. HR user B approves and publishes.
        ctx_b, pb = open_context(browser, live_server, logins["b"], pw)
        contexts.append(ctx_b)
        open_merit_list_as_hr(pb, round_code)
        assert pb.url.endswith(list_path)
        # The Part B scores were typed in by HR: B sees them and confirms before approving.
        assert "Scores entered, imported or corrected by hand" in main_text(pb)
        pb.get_by_label("I have seen every score entered, imported or corrected by hand listed above").check()
        pb.get_by_role("button", name="Approve this list").click()
        pb.get_by_role("dialog").get_by_role("button", name="Yes, approve the list").click()
        pb.wait_for_load_state()
        assert "Version 1 approved." in flashes(pb)
        # Publishing asks first, naming what will happen; "No" leaves the list as it was.
        pb.get_by_role("button", name="Publish this list").click()
        dialog = pb.get_by_role("dialog")
        assert "cannot be unpublished" in dialog.inner_text()
        dialog.get_by_role("button", name="No, go back").click()
        assert facts(pb)["Status"].lower().startswith("approved")
        pb.get_by_role("button", name="Publish this list").click()
        pb.get_by_role("dialog").get_by_role("button", name="Yes, publish the list").click()
        pb.wait_for_load_state()
        digest = pb.locator("code.digest").first.inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        assert f"Version 1 is published. Digest: {digest}" in flashes(pb)
        fb = facts(pb)
        assert fb["Status"].lower() == "valid" and fb["Prepared by"].startswith("Test User")
        assert fb["Approved by"] != fb["Prepared by"]

        # 3. The public, in Thai: the published lists, the list, a search, the verify page.
        ctx_p, pp = open_context(browser, live_server, english=False)
        contexts.append(ctx_p)
        pp.locator("header").get_by_role("link", name="บัญชีรายชื่อผลการสอบ").click()
        pp.locator(f"main a[href='/lists/{list_id}']").click()
        pp.wait_for_url(re.compile(rf"/lists/{list_id}$"))
        text = main_text(pp)
        assert "รายชื่อในบัญชี" in text and "ใช้ได้" in text and digest in text
        assert all(n in text for n in numbers) and failed_number not in text
        html = pp.content()
        for national in national_ids:
            for shown in (national, nid.formatted(national), nid.masked(national)):
                assert shown not in html
        assert serious_violations(pp) == []
        pp.fill("#q", numbers[1])
        pp.locator("main form[role=search] button[type=submit]").click()
        pp.wait_for_url(re.compile(r"q="))
        assert f"พบ 1 รายชื่อสำหรับ “{numbers[1]}”" in main_text(pp)
        assert [r.split("\t")[:2] for r in rows(pp)] == [["2", numbers[1]]]
        pp.locator(f"main a[href='/verify/list/{digest}']").click()
        pp.wait_for_url(re.compile(rf"/verify/list/{digest}$"))
        assert "บัญชีนี้เป็นฉบับจริงและมีผลใช้บังคับ" in main_text(pp)
        pp.click("a[hreflang=en]")
        pp.wait_for_load_state()
        verdict = pp.locator("#verdict").inner_text()
        assert "valid" in verdict.lower() and "This list is genuine and in force." in verdict
        assert all(n not in pp.content() for n in national_ids)

        # 4. HR of agency 2 asks to use the list; A approves; agency 2 calls the next candidate.
        ctx_c, pc = open_context(browser, live_server, logins["c"], pw)
        contexts.append(ctx_c)
        pc.locator("header").get_by_role("link", name="List use").click()
        row = pc.locator("main table tbody tr", has_text=round_title)
        row.get_by_role("link", name="Request to use").click()
        pc.select_option(
            "#position_id",
            pc.locator("#position_id option", has_text="District Civil Engineer").get_attribute("value"),
        )
        pc.fill("#vacancies", "1")
        pc.fill("#justification", "The district lacks a civil engineer for its drainage works.")
        pc.get_by_role("button", name="Send the request").click()
        pc.wait_for_url(re.compile(r"/hr/list-use/requests/\d+$"))
        assert "Your request has been sent to" in flashes(pc)
        assert facts(pc)["Status"] == "Awaiting decision"

        open_merit_list_as_hr(pa, round_code)
        assert "1 request to use this list awaits your decision." in main_text(pa)
        pa.get_by_role("link", name="Call candidates and answer other agencies' requests").click()
        card = pa.locator("main section.card", has_text=agency2_en)
        assert "drainage works" in card.inner_text()
        card.get_by_role("button", name="Approve").click()
        pa.get_by_role("dialog").get_by_role("button", name="Yes, approve the request").click()
        pa.wait_for_load_state()
        assert f"The request of {agency2_en} has been approved." in flashes(pa)

        pc.locator("header").get_by_role("link", name="List use").click()
        mine = pc.locator("main table tbody tr", has_text="Approved")
        mine.get_by_role("link", name="Call candidates").click()
        assert "1 of the approved vacancies have no pending or accepted offer yet." in main_text(pc)
        for doc in ("id_card", "degree"):  # ask for the medical certificate only
            pc.uncheck(f"input[name=documents_required][value={doc}]")
        pc.check("input[name=documents_required][value=medical_certificate]")
        pc.fill("#n", "1")
        pc.locator("main form button[type=submit]", has_text="Call candidates").click()
        pc.wait_for_load_state()
        assert "1 candidate has been called." in flashes(pc)
        [offer_row] = pc.locator("#offers-heading + .table-scroll tbody tr").all_inner_texts()
        assert numbers[0] in offer_row and "Awaiting reply" in offer_row

        # 5. The candidate sees the offer (in Thai) and reports in with the document asked for.
        ctx_k, pk = open_context(browser, live_server, first_email, pw, english=False)
        contexts.append(ctx_k)
        pk.locator("header").get_by_role("link", name="การเรียกตัวของฉัน").click()
        offer = pk.locator("main section.offer-card")
        assert offer.count() == 1
        text = offer.inner_text()
        assert "สำนักงานเขตบางเขน" in text and "รอการตอบรับ" in text and "ใบรับรองแพทย์" in text
        start = today_bangkok() + timedelta(days=30)
        offer.locator("input[name$=start_date]").fill(start.isoformat())
        offer.locator("input[type=file]").set_input_files(str(pdf))
        offer.get_by_role("button", name="ตอบรับและรายงานตัว").click()
        pk.wait_for_load_state()
        assert "ท่านได้รายงานตัวในตำแหน่ง วิศวกรโยธา (เขต)" in flashes(pk)
        assert "ตอบรับแล้ว" in pk.locator("main section.offer-card").inner_text()

        # Agency 2 sees the reply and downloads the certificate the candidate uploaded.
        pc.reload()
        [offer_row] = pc.locator("#offers-heading + .table-scroll tbody tr").all_inner_texts()
        assert "Accepted" in offer_row and "medical-certificate.pdf" in offer_row
        with pc.expect_download() as download:
            pc.get_by_role("link", name="medical-certificate.pdf").click()
        assert download.value.suggested_filename == "medical-certificate.pdf"
        assert download.value.path().read_bytes().startswith(b"%PDF")

        # The public list page counts the call and the appointment.
        pp.goto(f"/lists/{list_id}")
        counts = facts(pp)
        assert (
            counts["On the list"],
            counts["Called"],
            counts["Awaiting reply"],
            counts["Appointed"],
            counts["Waived or lapsed"],
            counts["Remaining"],
        ) == ("3", "1", "0", "1", "0", "2")
    finally:
        for context in contexts:
            context.close()
