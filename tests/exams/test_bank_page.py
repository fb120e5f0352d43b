"""The item bank page, as a bank manager uses it: upload a file, read the report and the preview
of each item as candidates will see it, confirm (nothing is imported before), browse the bank
with versions and statistics, retire an item with a reason; every step audited, role-checked."""

from __future__ import annotations

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


def items_in_db(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ExamItem))


@pytest.fixture
def manager(app, make):
    return make.client_for(app, bank_files.bank_manager())


def test_upload_report_preview_confirm_browse_retire(app, db, manager, tmp_path):
    zipped = bank_files.zipped(bank_files.yaml_folder(tmp_path / "bank"))
    resp = upload(manager, zipped, "data-items.zip")
    assert resp.status_code == 302
    report_url = resp.headers["Location"]
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

    confirmed = manager.post(report_url + "/confirm")
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"/bank/{bank_files.BANK}")
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
    report = manager.get(upload(manager, bank_files.zipped(folder), "again.zip").headers["Location"])
    assert "(new: 0, new versions: 1, unchanged: 2)" in page(report)


def test_a_file_with_errors_is_reported_and_cannot_be_confirmed(app, db, manager, tmp_path):
    zipped = bank_files.zipped(bank_files.yaml_folder(tmp_path / "bank", alt=""))
    report_url = upload(manager, zipped, "bad.zip").headers["Location"]
    report = manager.get(report_url)
    text = page(report)
    assert report.status_code == 422
    assert 'item DATA-CHART: stem.th: the image "chart.png" has no alternative text' in text
    assert "Confirm the import" not in text
    refused = manager.post(report_url + "/confirm", follow_redirects=True)
    assert "nothing was imported" in page(refused)
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
    assert "Q1" in page(manager.get(ok.headers["Location"]))


def test_discarding_imports_nothing_and_is_audited(app, db, manager, tmp_path):
    report_url = upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip").headers[
        "Location"
    ]
    manager.post(report_url + "/discard")
    assert items_in_db(db) == 0 and audit_count(db, "bank.upload_discard") == 1
    assert manager.get(report_url).status_code == 404


def test_only_bank_managers_use_the_pages_and_only_the_uploader_sees_an_upload(
    app, db, make, manager, tmp_path
):
    report_url = upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip").headers[
        "Location"
    ]
    hr = make.client_for(app, make.hr(make.agency()))
    assert hr.get("/bank").status_code == 403
    assert hr.post(report_url + "/confirm").status_code == 403
    other_manager = make.client_for(app, bank_files.bank_manager())
    assert other_manager.get(report_url).status_code == 404
    assert other_manager.post(report_url + "/confirm").status_code == 404
    assert items_in_db(db) == 0


def test_confirming_needs_the_csrf_token(app, db, manager, tmp_path):
    report_url = upload(manager, bank_files.zipped(bank_files.yaml_folder(tmp_path / "b")), "x.zip").headers[
        "Location"
    ]
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
    report_url = resp.headers["Location"]
    text = page(manager.get(report_url))
    assert "Items read: 1 (new: 1" in text and 'alt="กราฟแท่งยอดขาย"' in text
    # (in a package an item is named by its manifest resource, R1: exam_bank/README.md)
    image = re.search(r'src="([^"]+/media/R1/media/chart\.png)"', text).group(1)
    assert manager.get(image).data == bank_files.png()
    assert manager.post(report_url + "/confirm").status_code == 302
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
    first = upload(manager, bank_files.sheet_csv(), "items.csv", **place).headers["Location"]
    assert "Items read: 5 (new: 5" in page(manager.get(first))
    assert manager.post(first + "/confirm").status_code == 302
    assert items_in_db(db) == 5

    # The same file again (kept under its own name, so its items keep their origin): unchanged.
    again = upload(manager, bank_files.sheet_csv(), "items.csv", **place).headers["Location"]
    text = page(manager.get(again))
    assert "unchanged: 5" in text and "Confirm the import" in text
    manager.post(again + "/discard")

    # Another file with a different question under the first code: both places are named.
    other = upload(manager, bank_files.sheet_csv("อนุกรมนี้คือข้อใด"), "other.csv", **place).headers["Location"]
    text = page(manager.get(other))
    code = db.session.scalars(select(ExamItem.code).where(ExamItem.origin.like("sheet items.csv %"))).first()
    assert "Codes of a different item in the bank: 1" in text
    assert f"sheet items.csv {code}" in text and f"sheet other.csv {code}" in text
    assert "Confirm the import" not in text and "Import them under new codes" in text
    refused = manager.post(other + "/confirm", follow_redirects=True)  # (without new codes)
    assert "different item already in the bank" in page(refused) and items_in_db(db) == 5

    renamed = manager.post(other + "/confirm", data={"new_codes": "1"}, follow_redirects=True)
    assert f"Imported under new codes: {code} → {code}-2." in page(renamed)
    stem = db.session.scalar(select(ItemVersion.stem_th).join(ExamItem).where(ExamItem.code == f"{code}-2"))
    assert stem == "อนุกรมนี้คือข้อใด" and items_in_db(db) == 6
