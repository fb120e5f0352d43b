"""Issue 15, "Done when": a bank made of all five item types with tables and images imports
from each format (YAML, QTI 2.1, GIFT, CSV, XLSX) through the bank page; it is answered and
scored in the browser; and the item analysis covers every type."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.exams import analysis, item_types
from app.exams.models import Attempt, AttemptAnswer, ExamItem, ItemAsset, ItemVersion
from app.extensions import db
from tests.factories import bank as bank_files
from tests.factories import exams as eh
from tests.factories import five_formats as ff
from tests.support.browser import open_context, serious_violations
from tests.support.reading import page


def import_through_the_page(client) -> dict[str, str]:
    """Each format's file uploaded, checked (a background job), reported and confirmed through
    the bank page; returns each format's import summary."""
    summaries = {}
    for section in ff.SECTIONS:
        resp = client.post("/bank/uploads", data=ff.upload_form(section), content_type="multipart/form-data")
        assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"], page(resp)
        job = page(client.get(resp.headers["Location"]))
        report_url = re.search(r'<p id="job-link"><a class="button" href="([^"]+)"', job).group(1)
        report = client.get(report_url)
        text = page(report)
        assert report.status_code == 200, (section, re.findall(r"<li>(.*?)</li>", text)[:5])
        assert "Items read: 5 (new: 5" in text and "Skipped questions: 0" in text, section
        assert "<table>" in text and f'alt="{ff.ALT}"' in text, section  # the preview shows both
        done = client.post(report_url + "/confirm")
        summaries[section] = page(client.get(done.headers["Location"]))
    return summaries


def test_a_bank_of_every_type_with_tables_and_images_imports_from_each_format(app, make, db):
    client = make.client_for(app, bank_files.bank_manager())
    summaries = import_through_the_page(client)
    for section, summary in summaries.items():
        assert "5 new items, 0 new versions, 0 unchanged" in summary, (section, summary)

    db.session.remove()
    for section in ff.SECTIONS:
        versions = db.session.scalars(
            select(ItemVersion).join(ExamItem).where(ExamItem.bank == ff.BANK, ExamItem.section == section)
        ).all()
        by_type = {v.item_type: v for v in versions}
        assert set(by_type) == set(item_types.TYPES), section
        assert ff.has_table(by_type["single"].stem_th), (section, by_type["single"].stem_th)
        assert by_type["multiple"].key == ["a", "c"]
        image = db.session.scalars(
            select(ItemAsset).where(ItemAsset.item_version_id == by_type["multiple"].id)
        )
        assert [a.content_type for a in image] == ["image/png"], section

    # The bank page shows each imported item as candidates see it: the table and the image.
    code = db.session.scalar(
        select(ExamItem.code).where(ExamItem.section == "gift", ExamItem.code.like("%MULTIPLE"))
    )
    shown = page(client.get(f"/bank/{ff.BANK}/items/{code}"))
    assert f'alt="{ff.ALT}"' in shown


@pytest.mark.browser
def test_the_imported_bank_is_answered_and_scored_in_the_browser_and_analysed(
    app, browser, live_server, make, tmp_path
):
    import_through_the_page(make.client_for(app, bank_files.bank_manager()))
    exam = ff.every_item_exam()
    sitting, hr = eh.sitting(make, exam, mode="window", starts_in=timedelta(minutes=-5))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    email, hr_email, sitting_id, attempt_id = cand.email, hr.email, sitting.id, attempt.id
    db.session.remove()

    context, page_ = open_context(browser, live_server, email, make.PASSWORD, english=False)
    page_.goto(f"/exams/sittings/{sitting_id}/test")
    page_.wait_for_selector("#exam-start:not([hidden]):not([disabled])")
    page_.click("#exam-start")
    count = len(ff.SECTIONS) * len(item_types.TYPES)
    seen, tables, images = set(), 0, 0
    for index in range(count):
        page_.wait_for_selector(f"#exam-question[data-index='{index}'] fieldset")
        fieldset = page_.locator("#exam-question fieldset")
        kind = re.search(r"exam-type-(\w+)", fieldset.get_attribute("class")).group(1)
        seen.add(kind)
        stem = page_.locator("#exam-stem")
        tables += stem.locator("table").count()
        if stem.locator("img").count():
            images += 1
            page_.wait_for_function("() => document.querySelector('#exam-stem img').naturalWidth > 0")
            assert stem.locator("img").get_attribute("alt") == ff.ALT
        right = ff.right_answer(kind)
        if kind in ("numeric", "text"):
            page_.locator("#exam-answer-input").focus()
            page_.keyboard.type(right)
            page_.keyboard.press("Enter")
        else:
            for choice in right if isinstance(right, list) else [right]:
                page_.focus(f"#exam-choice-{choice}")
                page_.keyboard.press("Space")
        page_.wait_for_function("() => window.examClient.outboxSize() === 0")
        if index in (0, count - 1) or (kind == "multiple" and images == 1):
            assert serious_violations(page_) == []
        if index < count - 1:
            page_.click("#exam-next")
    assert seen == set(item_types.TYPES)
    assert (tables, images) == (5, 5)  # every format's table and image reached the candidate
    page_.screenshot(path=str(tmp_path / "done-when-exam.png"), full_page=True)

    page_.click("#exam-submit")
    page_.click("#exam-submit-confirm")
    page_.wait_for_selector("#exam-end:not([hidden])")
    db.session.remove()
    done = db.session.get(Attempt, attempt_id)
    assert (done.status, done.score, done.max_score) == ("submitted", count, count)
    stored = db.session.scalars(select(AttemptAnswer.choice).where(AttemptAnswer.attempt_id == attempt_id))
    assert len([c for c in stored if c]) == count
    page_.goto(f"/exams/sittings/{sitting_id}/result")
    assert f"{count} จาก {count}" in page_.locator("main").inner_text()
    context.close()

    # The item analysis covers every type, from every format.
    stats = analysis.item_analysis(db.session.get(Attempt, attempt_id).seat.sitting)
    assert {s.info.item_type for s in stats} == set(item_types.TYPES) and len(stats) == count
    assert all(s.facility == 1 for s in stats)
    context, hr_page = open_context(browser, live_server, hr_email, make.PASSWORD, english=False)
    hr_page.goto(f"/hr/sittings/{sitting_id}/results")
    text = hr_page.locator("main").inner_text()
    for label in ("เลือกตอบข้อเดียว", "เลือกตอบได้หลายข้อ", "ถูกหรือผิด", "เติมคำตอบเป็นตัวเลข", "เติมคำตอบสั้น"):
        assert label in text, label
    assert serious_violations(hr_page) == []
    context.close()
