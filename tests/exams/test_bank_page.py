"""The item bank page, as a bank manager uses it: upload a file, read the report and the preview
of each item as candidates will see it, confirm (nothing is imported before), browse the bank
with versions and statistics, retire an item with a reason; every step audited, role-checked."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.exams.models import ExamItem, ItemAsset, ItemVersion
from tests.factories import bank as bank_files
from tests.support.reading import audit_count, page


def upload(client, data: bytes, name: str, **fields):
    form = {"file": (io.BytesIO(data), name), "difficulty": "medium", **fields}
    return client.post("/bank/uploads", data=form, content_type="multipart/form-data")


def report_of(client, resp) -> str:
    """The report page of an upload: the upload answers with its check's job page (a background
    job, app/exams/bank_jobs.py, run at once in tests), which links to the report once done."""
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"], resp.status_code
    job = client.get(resp.headers["Location"])
    text = page(job)
    assert job.status_code == 200 and "Done." in text, text
    return re.search(r'<p id="job-link"><a class="button" href="([^"]+)"', text).group(1)


def job_page(client, resp) -> str:
    """The page of the job a confirmation started (its summary or its error)."""
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    return page(client.get(resp.headers["Location"]))


def items_in_db(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ExamItem))


@pytest.fixture
def manager(app, make):
    return make.client_for(app, bank_files.bank_manager())


def test_upload_report_preview_confirm_browse_retire(app, db, manager, tmp_path):
    zipped = bank_files.zipped(bank_files.yaml_folder(tmp_path / "bank"))
    resp = upload(manager, zipped, "data-items.zip")
    assert resp.status_code == 302
    report_url = report_of(manager, resp)
    assert items_in_db(db) == 0  # nothing before the confirmation

    report = manager.get(report_url)
    text = page(report)
    assert report.status_code == 200
    assert "Items read: 3 (new: 3, new versions: 0, unchanged: 0)" in text
    assert "Errors: 0" in text
    # Each item as on the test page: the table as a table, the image with its words, labels ก ข ค.
    assert '<th scope="col" class="align-left">ไตรมาส</th>' in text
    assert 'alt="กราฟแท่งยอดขายรายไตรมาส"' in text
    assert '<span class="exam-choice-label">ก.</span>' in text
    image = re.search(r'src="([^"]+/media/DATA-CHART/chart\.png)"', text).group(1)
    shown = manager.get(image)
    assert shown.status_code == 200 and shown.data == bank_files.png()
    assert "Confirm the import" in text

    confirmed = job_page(manager, manager.post(report_url + "/confirm"))
    assert "Imported data-items.zip: 3 new items, 0 new versions, 0 unchanged." in confirmed
    assert f'href="/bank/{bank_files.BANK}"' in confirmed
    assert items_in_db(db) == 3
    assert db.session.scalar(select(func.count()).select_from(ItemAsset)) == 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bank.import")).one()
    assert entry.after["source"] == "upload data-items.zip" and entry.after["items_created"] == 3
    assert manager.get(report_url).status_code == 404  # the upload is gone once imported

    listing = page(manager.get(f"/bank/{bank_files.BANK}"))
    assert "DATA-TABLE" in listing and "DATA-CHART" in listing and "DATA-AUDIO" in listing
    item_page = manager.get(f"/bank/{bank_files.BANK}/items/DATA-CHART")
    item_text = page(item_page)
    assert "Version 1 (current)" in item_text and "chart.png (image/png)" in item_text
    version = db.session.scalar(select(ItemVersion).join(ExamItem).where(ExamItem.code == "DATA-CHART"))
    assert f'src="/exams/media/{version.id}/chart.png"' in item_text

    refused = manager.post(f"/bank/{bank_files.BANK}/items/DATA-CHART/retire", data={"reason": "  "})
    assert refused.status_code == 422 and "Say why the item is retired." in page(refused)
    assert audit_count(db, "bank.item_retire") == 0
    retired = manager.post(
        f"/bank/{bank_files.BANK}/items/DATA-CHART/retire", data={"reason": "ภาพไม่ชัด"}, follow_redirects=True
    )
    assert "Item DATA-CHART is retired" in page(retired)
    db.session.expire_all()
    item = db.session.scalar(select(ExamItem).where(ExamItem.code == "DATA-CHART"))
    assert item.active is False and item.retired_reason == "ภาพไม่ชัด"
    retire_entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bank.item_retire")).one()
    assert retire_entry.after["reason"] == "ภาพไม่ชัด"
    assert "retired" in page(manager.get(f"/bank/{bank_files.BANK}"))


def test_retired_items_are_not_drawn_by_new_papers(app, db, manager, tmp_path):
    from app.exams.bank_import import items_for

    bank_files.imported(tmp_path / "bank")
    manager.post(f"/bank/{bank_files.BANK}/items/DATA-CHART/retire", data={"reason": "ภาพไม่ชัด"})
    assert items_for(bank_files.BANK, bank_files.SECTION, "medium") == []


def test_re_uploading_a_changed_image_shows_a_new_version(app, db, manager, tmp_path):
    bank_files.imported(tmp_path / "first")
    folder = bank_files.yaml_folder(tmp_path / "second")
    (folder / "chart.png").write_bytes(bank_files.png(colour=(200, 0, 0)))
    report = manager.get(report_of(manager, upload(manager, bank_files.zipped(folder), "again.zip")))
    assert "(new: 0, new versions: 1, unchanged: 2)" in page(report)


def test_a_file_with_errors_is_reported_and_cannot_be_confirmed(app, db, manager, tmp_path):
    zipped = bank_files.zipped(bank_files.yaml_folder(tmp_path / "bank", alt=""))
    report_url = report_of(manager, upload(manager, zipped, "bad.zip"))
    report = manager.get(report_url)
    text = page(report)
    assert report.status_code == 422
    # (the file, the field and what is quoted from the file are shown as code)
    assert '<code>stem.th</code>: the image "<code>chart.png</code>" has no alternative text' in text
    words = re.sub(r"<[^>]+>", "", text)
    assert 'item DATA-CHART: stem.th: the image "chart.png" has no alternative text' in words
    assert "Confirm the import" not in text
    refused = job_page(manager, manager.post(report_url + "/confirm"))
    assert "nothing was imported" in refused
    assert items_in_db(db) == 0 and audit_count(db, "bank.import") == 0


def test_an_unknown_format_is_refused_in_the_users_language(app, db, make):
    client = make.client_for(app, bank_files.bank_manager(), lang="th")
    resp = upload(client, b"%PDF-1.4", "items.pdf")
    assert resp.status_code == 422
    assert "ไม่ใช่รูปแบบที่คลังข้อสอบอ่านได้" in page(resp)


def test_a_gift_file_needs_a_bank_and_section(app, db, manager):
    resp = upload(manager, b"::Q1:: 1+1? {=2 ~3}", "q.gift")
    assert resp.status_code == 422 and "choose them" in page(resp)
    ok = upload(manager, b"::Q1:: 1+1? {=2 ~3}", "q.gift", bank="gift-bank", section="math")
    assert ok.status_code == 302
    assert "Q1" in page(manager.get(report_of(manager, ok)))


def test_discarding_imports_nothing_and_is_audited(app, db, manager, tmp_path):
    report_url = report_of(
        manager, upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip")
    )
    manager.post(report_url + "/discard")
    assert items_in_db(db) == 0 and audit_count(db, "bank.upload_discard") == 1
    assert manager.get(report_url).status_code == 404


def test_only_bank_managers_use_the_pages_and_only_the_uploader_sees_an_upload(
    app, db, make, manager, tmp_path
):
    report_url = report_of(
        manager, upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip")
    )
    hr = make.client_for(app, make.hr(make.agency()))
    assert hr.get("/bank").status_code == 403
    assert hr.post(report_url + "/confirm").status_code == 403
    other_manager = make.client_for(app, bank_files.bank_manager())
    assert other_manager.get(report_url).status_code == 404
    assert other_manager.post(report_url + "/confirm").status_code == 404
    assert items_in_db(db) == 0


def test_confirming_needs_the_csrf_token(app, db, manager, tmp_path):
    report_url = report_of(
        manager, upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip")
    )
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert manager.post(report_url + "/confirm").status_code == 400
        assert 'name="csrf_token"' in manager.get(report_url).get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert items_in_db(db) == 0


def test_a_zip_member_climbing_out_of_the_folder_is_refused(app, db, manager):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("items.yaml", bank_files.items_yaml())
        z.writestr("../escape.png", bank_files.png())
    resp = upload(manager, out.getvalue(), "evil.zip")
    assert resp.status_code == 422 and "points outside the package" in page(resp)


def test_a_qti_package_with_media_imports_through_the_page(app, db, manager):
    resp = upload(manager, bank_files.qti_package(), "qti.zip", bank="qti-media", section="data")
    report_url = report_of(manager, resp)
    text = page(manager.get(report_url))
    assert "Items read: 1 (new: 1" in text and 'alt="กราฟแท่งยอดขาย"' in text
    # (in a package an item is named by its manifest resource, R1: exam_bank/README.md)
    image = re.search(r'src="([^"]+/media/R1/media/chart\.png)"', text).group(1)
    assert manager.get(image).data == bank_files.png()
    assert "1 new items" in job_page(manager, manager.post(report_url + "/confirm"))
    names = db.session.scalars(select(ItemAsset.name).order_by(ItemAsset.name)).all()
    assert names == ["media/chart.png", "media/notice.mp3"]


def test_the_spreadsheet_templates_download_from_the_page(app, manager):
    index = page(manager.get("/bank"))
    assert "/bank/template.xlsx" in index and "/bank/template.csv" in index
    xlsx = manager.get("/bank/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"  # (the same file as `flask bank template`)
    assert load_workbook(io.BytesIO(xlsx.data)).sheetnames == ["items", "examples"]
    csv_ = manager.get("/bank/template.csv")
    assert csv_.status_code == 200 and csv_.data.startswith(b"\xef\xbb\xbf")
    assert manager.get("/bank/template.pdf").status_code == 404


def test_a_sheet_uploaded_again_is_the_same_items_and_another_file_with_a_code_is_refused(app, db, manager):
    place = {"bank": "sheet-bank", "section": "mix"}
    first = report_of(manager, upload(manager, bank_files.sheet_csv(), "items.csv", **place))
    assert "Items read: 5 (new: 5" in page(manager.get(first))
    assert "5 new items" in job_page(manager, manager.post(first + "/confirm"))
    assert items_in_db(db) == 5

    # The same file again (kept under its own name, so its items keep their origin): unchanged.
    again = report_of(manager, upload(manager, bank_files.sheet_csv(), "items.csv", **place))
    text = page(manager.get(again))
    assert "unchanged: 5" in text and "Confirm the import" in text
    manager.post(again + "/discard")

    # Another file with a different question under the first code: both places are named.
    other = report_of(manager, upload(manager, bank_files.sheet_csv("อนุกรมนี้คือข้อใด"), "other.csv", **place))
    text = page(manager.get(other))
    code = db.session.scalars(select(ExamItem.code).where(ExamItem.origin.like("sheet items.csv %"))).first()
    assert "Codes of a different item in the bank: 1" in text
    assert f"sheet items.csv {code}" in text and f"sheet other.csv {code}" in text
    assert "Confirm the import" not in text and "Import them under new codes" in text
    refused = job_page(manager, manager.post(other + "/confirm"))  # (without new codes)
    assert "different item already in the bank" in refused and items_in_db(db) == 5

    renamed = job_page(manager, manager.post(other + "/confirm", data={"new_codes": "1"}))
    assert f"Imported under new codes: {code} → {code}-2." in renamed
    stem = db.session.scalar(select(ItemVersion.stem_th).join(ExamItem).where(ExamItem.code == f"{code}-2"))
    assert stem == "อนุกรมนี้คือข้อใด" and items_in_db(db) == 6


def large_sheet(rows: int) -> bytes:
    """A CSV of `rows` single-choice items (a bank large enough to want a progress bar)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "stem_th", "a", "b", "key"])
    for n in range(1, rows + 1):
        writer.writerow([f"BIG-{n}", f"{n} + 1 เท่ากับเท่าใด", str(n + 1), str(n + 2), "a"])
    return out.getvalue().encode("utf-8")


def test_a_large_upload_is_checked_and_imported_as_background_jobs(app, db, manager, monkeypatch):
    """Nothing is read in the upload's request: the file is kept, a job checks it (its progress
    counted in items) while the report page sends the uploader to the job's progress; then the
    confirmation is a job too, and its page links to the bank."""
    from app.background import services as background
    from app.background.models import BackgroundJob
    from app.exams import bank_jobs

    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)  # (as in production: the scheduler runs it)
    monkeypatch.setattr(bank_jobs, "EVERY", 10)
    told = []
    monkeypatch.setattr(background.Progress, "__call__", _recording(background.Progress.__call__, told))
    resp = upload(manager, large_sheet(45), "big-2569.csv", bank="big-bank", section="mix")
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    waiting = page(manager.get(resp.headers["Location"]))
    assert "Checking big-2569.csv" in waiting and "Waiting to start…" in waiting and "<progress" in waiting
    job = db.session.scalars(select(BackgroundJob)).one()
    assert (job.kind, job.status) == ("bank-check", "queued")
    job_id, report_url = job.id, job.params["next_url"]

    # The report is not there yet: its page shows the job's progress instead.
    assert manager.get(report_url).headers["Location"].endswith(f"/jobs/{job_id}")

    assert background.run_queued()["ran"] == [job_id]  # the scheduler's pass
    assert [done for done, _total, _message in told if done] == [10, 20, 30, 40, 45]
    job = db.session.get(BackgroundJob, job_id)
    assert (job.status, job.done, job.total, job.percent) == ("done", 45, 45, 100)
    assert "45 items, 0 errors, 0 skipped questions" in job.summary
    assert report_url == report_of(manager, resp)
    assert "Items read: 45 (new: 45" in page(manager.get(report_url))
    assert items_in_db(db) == 0  # checked, not imported

    confirm = manager.post(report_url + "/confirm")
    assert items_in_db(db) == 0  # (queued: the request only started the import)
    assert background.run_queued()["ran"]
    done = job_page(manager, confirm)
    assert "Imported big-2569.csv: 45 new items" in done and 'href="/bank/big-bank"' in done
    assert items_in_db(db) == 45 and audit_count(db, "bank.import") == 1


def _recording(call, told):
    def record(self, done, total=None, message=None):
        told.append((done, total, message))
        return call(self, done, total, message)

    return record
