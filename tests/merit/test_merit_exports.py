"""Official outputs of a published list: the announcement PDF, CSV and XLSX, and who gets them.

The lists are made the way HR makes them (app/merit/generation.py and workflow.py: generate,
approve, publish, correct); the candidates, applications and stage scores behind them are
inserted in bulk.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.accounts.models import User
from app.common import clock
from app.common import national_id as nid
from app.documents.pdf import grouped
from app.extensions import db as _db
from app.merit import generation, workflow
from app.merit.announcement_pdf import render_announcement
from app.merit.models import ListKind, ListStatus, MeritEntry, MeritList
from app.recruitment.models import Mode
from tests.factories.merit import Scene
from tests.support.reading import pdf_pages

# ---- builders ------------------------------------------------------------------------------


# ---- reading the outputs --------------------------------------------------------------------


def compat(value: str) -> str:
    """The compatibility form (ReportLab draws ำ as ํ and า, which is what the PDF's text says)."""
    return unicodedata.normalize("NFKC", value)


def assert_says(pages_text: str, *phrases: str) -> None:
    flat = compat(pages_text.replace("\n", " "))
    for phrase in phrases:
        assert compat(phrase) in flat, f"the PDF does not say {phrase!r}"


def assert_in_order(haystack: str, needles: list[str]) -> None:
    at = -1
    for needle in needles:
        found = haystack.find(needle, at + 1)
        assert found > at, f"{needle} is missing or out of order"
        at = found


def assert_no_national_id(output: str, national_ids: list[str]) -> None:
    for value in national_ids:
        assert value not in output and nid.formatted(value) not in output
        assert nid.masked(value) not in output


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# ---- the announcement PDF -----------------------------------------------------------------------
def test_the_public_downloads_the_announcement_of_a_published_merit_list(client, make):
    scene = Scene(make, 6)
    merit = scene.publish()
    numbers = scene.numbers_in_rank_order(merit)

    response = client.get(f"/lists/{merit.id}/announcement.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "inline" in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data)
    whole = "\n".join(pages)
    assert_says(
        whole,
        "ประกาศกรุงเทพมหานคร",
        "เรื่อง รายชื่อผู้สอบแข่งขันได้",
        "ตำแหน่งนักวิชาการคอมพิวเตอร์ ระดับปฏิบัติการ",
        "สังกัดสำนักงานเขตบางรัก",
        "การสอบแข่งขันเพื่อบรรจุบุคคลเข้ารับราชการ ครั้งที่ 1/2569",
    )
    assert_in_order(whole, numbers)
    assert merit.digest in whole.replace("\n", "")
    assert grouped(merit.digest) in pages[0]  # the footer of the first page
    assert_says(
        whole,
        "ประกาศ ณ วันที่ 1 ธันวาคม พ.ศ. 2569",
        "บัญชีนี้มีอายุ 2 ปี นับแต่วันประกาศ คือตั้งแต่วันที่ 1 ธันวาคม 2569 ถึงวันที่ 1 ธันวาคม 2571",
        "ปลัดกรุงเทพมหานคร",
        f"หน้า 1 / {len(pages)}",
    )
    assert f"/verify/list/{merit.digest}" in whole.replace("\n", "")
    assert_no_national_id(whole, scene.national_ids)
    # The rule and the tie-break chain are printed in words.
    assert_says(
        whole,
        "เรียงลำดับจากผู้ได้คะแนนรวมภาค ข และภาค ค สูงสุดลงมา "
        "กรณีคะแนนรวมเท่ากัน ให้ผู้ได้คะแนนภาค ข สูงกว่าอยู่ในลำดับที่ดีกว่า "
        "หากยังเท่ากันอีก ให้ผู้มีเลขประจำตัวสอบน้อยกว่าอยู่ในลำดับที่ดีกว่า",
    )


def test_a_long_list_repeats_the_table_header_and_numbers_every_page(make, app):
    scene = Scene(make, 140)
    merit = scene.publish()
    numbers = scene.numbers_in_rank_order(merit)

    pages = pdf_pages(render_announcement(merit, f"https://example.test/verify/list/{merit.digest}"))

    assert len(pages) >= 4
    for n, page in enumerate(pages, start=1):
        assert_says(page, f"หน้า {n} / {len(pages)}")
        assert grouped(merit.digest) in page  # the digest in every footer
    for page in pages[:-1]:  # every page that holds part of the table starts it with its header
        assert_says(
            page,
            "ลำดับที่",
            "เลขประจำตัวสอบ",
            "ชื่อ - สกุล",
            "คะแนน",
            "ภาค ข (เต็ม 200)",
            "ภาค ค (เต็ม 100)",
            "รวม (เต็ม 300)",
            "หมายเหตุ",
        )
    assert_in_order("\n".join(pages), numbers)
    assert_says("\n".join(pages), "รวมทั้งสิ้น 140 ราย")


def test_ties_show_why_the_higher_entry_ranks_first(make):
    scene = Scene(make, 45)  # totals tie in fours (Part B decides) and repeat every 40
    merit = scene.publish()
    whole = "\n".join(pdf_pages(render_announcement(merit, "https://example.test/v")))
    numbers = scene.numbers_in_rank_order(merit)

    def line_of(entry) -> str:  # the row's cells: from its number to the next row's
        start = whole.index(numbers[entry.rank - 1])
        return whole[start : whole.index(numbers[entry.rank], start)]

    by_part_b = next(e for e in merit.entries if e.decided_by == "part_b")
    by_number = next(e for e in merit.entries if e.decided_by == "application_number")
    by_total = next(e for e in merit.entries if e.decided_by == "total")
    assert compat("ภาค ข สูงกว่า") in compat(line_of(by_part_b))
    assert compat("เลขประจำตัวสอบ") in compat(line_of(by_number))
    assert compat("สูงกว่า") not in compat(line_of(by_total))  # a higher total needs no note
    assert_says(whole, "หมายเหตุ: กรณีคะแนนรวมเท่ากับผู้อยู่ในลำดับถัดไป")


def test_a_correction_says_which_version_it_replaces_and_why(client, make):
    scene = Scene(make, 5)
    first = scene.publish()
    draft = workflow.correct(first, scene.preparer, "แก้ไขคะแนนภาค ค ของผู้สมัครหนึ่งราย")
    assert draft.status == "draft"
    second = scene.approve_and_publish(draft, datetime(2026, 12, 8, 3, 0, tzinfo=UTC))

    new_text = "\n".join(pdf_pages(client.get(f"/lists/{second.id}/announcement.pdf").data))
    assert_says(
        new_text,
        "(ฉบับแก้ไข ฉบับที่ 2)",
        "ใช้แทนประกาศฉบับที่ 1 ลงวันที่ 1 ธันวาคม 2569",
        "เหตุผลการแก้ไข:",
        "แก้ไขคะแนนภาค ค ของผู้สมัครหนึ่งราย",  # may wrap between
        "ประกาศ ณ วันที่ 8 ธันวาคม พ.ศ. 2569",
    )

    response = client.get(f"/lists/{first.id}/announcement.pdf")  # the old version stays
    assert response.status_code == 200
    old_text = "\n".join(pdf_pages(response.data))
    assert_says(old_text, "บัญชีฉบับนี้ถูกแทนที่แล้ว โดยฉบับที่ 2 ประกาศเมื่อวันที่ 8 ธันวาคม 2569")
    assert _db.session.get(MeritList, first.id).status == ListStatus.SUPERSEDED


def test_disability_list_and_the_lists_before_the_merit_list_have_their_own_titles(make):
    disability = Scene(make, 3, mode=Mode.DISABILITY)
    text_ = "\n".join(pdf_pages(render_announcement(disability.publish(), "https://e.test/v")))
    assert_says(text_, "เรื่อง รายชื่อผู้ผ่านการคัดเลือก", "(บัญชีสำหรับคนพิการ)")

    scene = Scene(make, 4)
    called = scene.publish(ListKind.PASSED_TO_PART_C)
    text_ = "\n".join(pdf_pages(render_announcement(called, "https://e.test/v")))
    assert_says(
        text_,
        "เรื่อง รายชื่อผู้ผ่านการสอบภาค ก และภาค ข และมีสิทธิ์เข้ารับการประเมินภาค ค",
        "ภาค ก (เต็ม 200)",
        "ภาค ข (เต็ม 200)",
    )  # the scores that got them there

    eligible = scene.publish(ListKind.ELIGIBLE)
    text_ = "\n".join(pdf_pages(render_announcement(eligible, "https://e.test/v")))
    assert_says(text_, "เรื่อง รายชื่อผู้มีสิทธิ์สอบ", "เรียงตามเลขประจำตัวสอบ")
    assert_in_order(text_, scene.numbers_in_rank_order(eligible))


# ---- CSV and XLSX -----------------------------------------------------------------------------
def test_csv_has_a_bom_the_digest_first_and_one_row_per_entry(client, make):
    scene = Scene(make, 12)
    merit = scene.publish()
    numbers = scene.numbers_in_rank_order(merit)

    response = client.get(f"/lists/{merit.id}.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    text_ = response.data.decode("utf-8-sig")
    lines = text_.split("\r\n")
    assert lines[0] == f"# sha256={merit.digest}"
    assert lines[1].startswith(f"# list={merit.id} version=1 kind=merit track=general")
    assert lines[2].startswith("# canonical={")
    rows = list(csv.reader(io.StringIO("\r\n".join(lines[3:]))))
    header = rows[0]
    assert header[:3] == ["ลำดับที่ / rank", "เลขประจำตัวสอบ / application_number", "ชื่อ-สกุล / name"]
    assert header[3:7] == [
        "คะแนนภาค ก / part_a",
        "คะแนนภาค ข / part_b",
        "คะแนนภาค ค / part_c",
        "คะแนนรวม / total",
    ]
    body = rows[1:]
    assert [r[1] for r in body] == numbers
    assert [int(r[0]) for r in body] == list(range(1, 13))
    first = merit.entries[0]
    assert body[0][2] == f"{first.candidate.first_name_th} {first.candidate.last_name_th}"
    assert body[0][4] == first.scores["part_b"] and body[0][6] == f"{first.total:.2f}"
    assert any("คะแนนภาค ข สูงกว่า (higher Part B score)" in r[7] for r in body)
    assert body[-1][7] == ""  # the last entry sits above no one
    assert_no_national_id(text_, scene.national_ids)

    # The digest can be rebuilt from the CSV alone (docs/merit-lists.md).
    content = json.loads(lines[2].removeprefix("# canonical="))
    content["entries"] = [
        {
            "rank": int(r[0]),
            "application_number": r[1],
            "name_th": r[2],
            "scores": {"part_a": r[3] or None, "part_b": r[4] or None, "part_c": r[5] or None},
            "total": r[6] or None,
            "sources": json.loads(r[8]),
        }
        for r in body
    ]
    assert body[0][8] == '{"part_a":"hr_entry","part_b":"hr_entry","part_c":"hr_entry"}'
    rebuilt = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(rebuilt.encode()).hexdigest() == merit.digest


def test_xlsx_has_the_table_with_numbers_and_a_sheet_about_the_list(client, make):
    scene = Scene(make, 12)
    merit = scene.publish()
    numbers = scene.numbers_in_rank_order(merit)

    response = client.get(f"/lists/{merit.id}.xlsx")

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["บัญชี", "ข้อมูลบัญชี"]
    table = book["บัญชี"]
    assert table.freeze_panes == "A2"
    rows = list(table.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "ลำดับที่",
        "เลขประจำตัวสอบ",
        "ชื่อ-สกุล",
        "คะแนนภาค ก",
        "คะแนนภาค ข",
        "คะแนนภาค ค",
        "คะแนนรวม",
    )
    assert [r[1] for r in rows[1:]] == numbers
    assert [r[0] for r in rows[1:]] == list(range(1, 13))
    for cell in table[2][3:7]:  # the scores and the total are numbers, not text
        assert cell.data_type == "n" and isinstance(cell.value, (int, float))
        assert cell.number_format == "0.00"
    first = merit.entries[0]
    assert Decimal(str(table["G2"].value)) == first.total
    assert Decimal(str(table["E2"].value)) == Decimal(first.scores["part_b"])

    info = dict(book["ข้อมูลบัญชี"].iter_rows(values_only=True))
    assert info["รหัสตรวจสอบ SHA-256 / digest"] == merit.digest
    assert info["ฉบับที่ / version"] == 1
    assert "2026-12-01" in info["วันที่ประกาศ / published"]
    assert "2028-12-01" in info["ใช้ได้ถึง / valid until"]
    assert "ภาค ข สูงกว่า" in info["เกณฑ์การจัดลำดับ / ranking rule"]
    assert info["Ranking rule"].startswith("Ranked by the total of Part B and Part C")
    assert scene.round.code in info["การสรรหา / round"]
    every_cell = " ".join(
        str(v) for sheet in book for r in sheet.iter_rows(values_only=True) for v in r if v is not None
    )
    assert_no_national_id(every_cell, scene.national_ids)


# ---- who may download -------------------------------------------------------------------------
def test_unpublished_lists_are_not_found_except_the_draft_pdf_for_the_agencys_hr(app, client, make):
    scene = Scene(make, 4)
    draft = generation.generate_list(scene.round, scene.preparer)
    for url in (
        f"/lists/{draft.id}/announcement.pdf",
        f"/lists/{draft.id}.csv",
        f"/lists/{draft.id}.xlsx",
        "/lists/999999.csv",
    ):
        assert client.get(url).status_code == 404, url

    hr = make.client_for(app, scene.preparer)
    response = hr.get(f"/lists/{draft.id}/announcement.pdf")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    preview = "\n".join(pdf_pages(response.data))
    assert_says(preview, "ร่าง — ยังไม่ได้ประกาศ", "ประกาศ ณ วันที่ .....")
    assert hr.get(f"/lists/{draft.id}.csv").status_code == 404  # only the PDF is previewed

    workflow.approve(draft, scene.approver, changes_seen=True)
    assert client.get(f"/lists/{draft.id}/announcement.pdf").status_code == 404
    assert make.client_for(app, scene.approver).get(f"/lists/{draft.id}/announcement.pdf").status_code == 200

    other_hr = make.client_for(app, make.hr(make.agency()))
    assert other_hr.get(f"/lists/{draft.id}/announcement.pdf").status_code == 404
    candidate = _db.session.get(
        User,
        _db.session.scalar(select(MeritEntry.candidate_id).where(MeritEntry.list_id == draft.id).limit(1)),
    )
    candidate.password_hash = scene.preparer.password_hash
    _db.session.commit()
    assert make.client_for(app, candidate).get(f"/lists/{draft.id}/announcement.pdf").status_code == 404


def test_a_list_whose_stored_content_no_longer_matches_its_digest_is_refused(client, make):
    scene = Scene(make, 3)
    merit = scene.publish()
    # Someone edits the database behind the application's back.
    _db.session.execute(
        update(MeritEntry)
        .where(MeritEntry.list_id == merit.id, MeritEntry.rank == 1)
        .values(total=Decimal("1.00"))
    )
    _db.session.commit()

    for url in (f"/lists/{merit.id}/announcement.pdf", f"/lists/{merit.id}.csv", f"/lists/{merit.id}.xlsx"):
        response = client.get(url)
        assert response.status_code == 409
        assert b"does not match its published digest" in response.data


def test_the_announcement_follows_the_list_extended_then_cancelled(client, make):
    scene = Scene(make, 3)
    merit = scene.publish()
    url = f"/lists/{merit.id}/announcement.pdf"
    assert_says("\n".join(pdf_pages(client.get(url).data)), "บัญชีนี้มีอายุ 2 ปี")

    with clock.frozen_at(datetime(2027, 6, 1, 3, 0, tzinfo=UTC)):
        workflow.extend(merit, scene.approver, "ยังมีตำแหน่งว่างที่ต้องบรรจุ", date(2029, 12, 1))
    extended = "\n".join(pdf_pages(client.get(url).data))
    assert_says(
        extended,
        "ใช้ได้ตั้งแต่วันที่ 1 ธันวาคม 2569 ถึงวันที่ 1 ธันวาคม 2572",
        "ได้ขยายอายุบัญชีแล้ว เนื่องจากยังมีตำแหน่งว่างที่ต้องบรรจุ",
    )

    workflow.request_withdrawal(merit, scene.preparer, "มีการประกาศบัญชีใหม่สำหรับตำแหน่งเดียวกัน")
    workflow.confirm_withdrawal(merit, scene.approver)
    response = client.get(url)  # a public record still, saying it is withdrawn
    assert response.status_code == 200
    assert_says(
        "\n".join(pdf_pages(response.data)), "บัญชีนี้ถูกเพิกถอนแล้ว", "เนื่องจากมีการประกาศบัญชีใหม่สำหรับตำแหน่งเดียวกัน"
    )
    assert csv_rows(client.get(f"/lists/{merit.id}.csv").data)[1][0].endswith("status=cancelled")

    draft = generation.generate_list(scene.round, scene.preparer, kind=ListKind.ELIGIBLE)
    workflow.cancel(draft, scene.preparer, "จัดทำผิดรอบ")  # cancelled before it was published
    assert client.get(f"/lists/{draft.id}/announcement.pdf").status_code == 404


@pytest.mark.slow
def test_a_thousand_entries_render_on_numbered_pages_with_the_header_on_each(make):
    # Rendering takes about a second (measured in the report); building the data most of the rest.
    scene = Scene(make, 1000)
    merit = scene.publish()
    pages = pdf_pages(render_announcement(merit, f"https://example.test/verify/list/{merit.digest}"))
    assert len(pages) > 20
    for n, page in enumerate(pages[:-1], start=1):
        assert_says(page, f"หน้า {n} / {len(pages)}", "เลขประจำตัวสอบ", "ชื่อ - สกุล")
    assert_in_order("\n".join(pages), scene.numbers_in_rank_order(merit))
    assert_says("\n".join(pages), "รวมทั้งสิ้น 1,000 ราย")
