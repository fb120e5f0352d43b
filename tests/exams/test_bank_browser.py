"""The item bank page and item content in a real browser, in Thai: a bank manager uploads a zip
of YAML items with a table, an image and audio, reads the report and the preview (the table
scrolls inside its own region on a phone, the image loads), confirms, and sees the bank; a
candidate then sees the same table and image on the test page. axe-core finds no serious or
critical violation on any of these pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.exams.models import ExamItem
from app.extensions import db
from tests.factories import PASSWORD
from tests.factories import bank as bank_files
from tests.factories import exams as eh
from tests.support.browser import main_text, open_context, serious_violations

pytestmark = pytest.mark.browser

WIDE = """  - id: DATA-WIDE
    topic: tables
    difficulty: easy
    stem:
      th: |
        ยอดขายรายเดือน (ล้านบาท) เดือนใดสูงสุด

        | เดือน | มกราคม | กุมภาพันธ์ | มีนาคม | เมษายน | พฤษภาคม | มิถุนายน | กรกฎาคม | สิงหาคม |
        |--|--:|--:|--:|--:|--:|--:|--:|--:|
        | ยอดขาย | 12 | 18 | 15 | 11 | 19 | 22 | 17 | 16 |
    choices:
      - {id: a, th: "พฤษภาคม"}
      - {id: b, th: "มิถุนายน"}
    key: b
"""

NO_PAGE_SCROLL = "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth + 1"


def test_upload_preview_confirm_in_thai_with_axe(browser, live_server, tmp_path):
    manager = bank_files.bank_manager()
    email = manager.email
    folder = bank_files.yaml_folder(tmp_path / "bank", extra=WIDE)
    zipped = bank_files.zipped(folder)
    db.session.remove()

    context, page = open_context(browser, live_server, email, PASSWORD, english=False)
    page.goto("/bank")
    assert "คลังข้อสอบ" in main_text(page)
    assert serious_violations(page) == []
    page.set_input_files(
        "#file", files=[{"name": "ข้อมูล.zip", "mimeType": "application/zip", "buffer": zipped}]
    )
    page.locator("main form button[type=submit]").first.click()
    # Checked as a background job: its page shows the progress, then links to the report.
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    assert "อ่าน ข้อมูล.zip แล้ว" in page.locator("#job-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("link", name="ดูรายงานและตัวอย่างข้อสอบ").click()
    page.wait_for_url(re.compile(r"/bank/uploads/[^/]+$"))

    text = main_text(page)
    assert "รายงานผลการตรวจสอบ" in text and "อ่านข้อสอบได้ 4 ข้อ" in text
    assert "ข้อผิดพลาด: 0" in text
    assert page.locator(".item-table table").count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.item-image')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("img.item-image").first.get_attribute("alt") == "กราฟแท่งยอดขายรายไตรมาส"
    assert page.locator("audio").count() == 1
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "preview-wide.png"), full_page=True)

    # On a phone the wide table scrolls inside its region, with the hint; the page does not.
    page.set_viewport_size({"width": 360, "height": 740})
    wide = page.locator(".item-table").nth(1)
    assert wide.evaluate("(el) => el.scrollWidth > el.clientWidth")
    page.wait_for_function(NO_PAGE_SCROLL)
    assert page.locator(".item-table-hint").first.is_visible()
    page.screenshot(path=str(tmp_path / "preview-phone.png"), full_page=True)
    assert serious_violations(page) == []

    page.get_by_role("button", name="ยืนยันการนำเข้า").click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    assert "นำเข้า ข้อมูล.zip แล้ว" in page.locator("#job-summary").inner_text()
    page.get_by_role("link", name="ดูคลังข้อสอบ").click()
    page.wait_for_url(re.compile(rf"/bank/{bank_files.BANK}$"))
    assert "DATA-WIDE" in main_text(page)
    assert serious_violations(page) == []
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(ExamItem)) == 4
    context.close()


def test_the_candidate_sees_the_table_and_the_image_on_the_test_page(browser, live_server, make, tmp_path):
    exam = bank_files.imported(tmp_path / "bank")
    sitting, _hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    cand, seat = eh.seated(make, sitting, large_text=True)
    eh.check_in(cand, seat)
    email, sitting_id = cand.email, sitting.id
    db.session.remove()

    context, page = open_context(browser, live_server, email, make.PASSWORD, english=False)
    page.goto(f"/exams/sittings/{sitting_id}/test")
    page.click("#exam-start")
    seen = set()
    for index in range(3):
        page.wait_for_selector(f"#exam-question[data-index='{index}'] #exam-stem")
        stem = page.locator("#exam-stem")
        if stem.locator("table").count():
            seen.add("table")
            assert stem.locator("th").first.inner_text() == "ไตรมาส"
            assert page.locator(".exam-choices").get_attribute("aria-describedby") == "exam-stem"
        if stem.locator("img").count():
            seen.add("image")
            page.wait_for_function("() => document.querySelector('#exam-stem img').naturalWidth > 0")
            assert page.locator("label .exam-choice-text em").inner_text() == "30"
        if stem.locator("audio").count():
            seen.add("audio")
        assert serious_violations(page) == []
        if index < 2:
            page.click("#exam-next")
    assert seen == {"table", "image", "audio"}
    page.screenshot(path=str(tmp_path / "exam-page.png"), full_page=True)
    context.close()


def test_a_code_of_a_different_item_is_shown_and_imported_under_a_new_code(browser, live_server, tmp_path):
    # A spreadsheet imported from items.csv; then other.csv has another question under a code.
    from app.exams.bank_import import import_bank
    from app.exams.importers import Defaults, load_source

    manager = bank_files.bank_manager()
    email = manager.email
    (tmp_path / "items.csv").write_bytes(bank_files.sheet_csv())
    import_bank(load_source(tmp_path / "items.csv", "csv", Defaults("sheet-bank", "mix")), source="items.csv")
    code = db.session.scalars(select(ExamItem.code).order_by(ExamItem.id)).first()
    db.session.remove()

    context, page = open_context(browser, live_server, email, PASSWORD, english=False)
    page.goto("/bank")
    other = bank_files.sheet_csv("อนุกรมนี้คือข้อใด")
    page.set_input_files("#file", files=[{"name": "other.csv", "mimeType": "text/csv", "buffer": other}])
    page.fill("#bank", "sheet-bank")
    page.fill("#section", "mix")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    page.get_by_role("link", name="ดูรายงานและตัวอย่างข้อสอบ").click()
    page.wait_for_url(re.compile(r"/bank/uploads/[^/]+$"))
    text = main_text(page)
    assert "รหัสซ้ำกับข้อสอบอื่นในคลัง: 1" in text
    assert f"sheet items.csv {code}" in text and f"sheet other.csv {code}" in text
    assert page.get_by_role("button", name="ยืนยันการนำเข้า").count() == 0
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "conflict.png"), full_page=True)

    page.get_by_role("button", name="นำเข้าด้วยรหัสใหม่").click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    assert f"นำเข้าด้วยรหัสใหม่: {code} → {code}-2" in page.locator("#job-summary").inner_text()
    page.get_by_role("link", name="ดูคลังข้อสอบ").click()
    page.wait_for_url(re.compile(r"/bank/sheet-bank$"))
    assert f"{code}-2" in main_text(page)
    context.close()
