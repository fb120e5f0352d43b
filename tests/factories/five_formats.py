"""The issue's "Done when" bank: one item of each of the five types in each of the five formats
(YAML zip, QTI 2.1 content package, GIFT, CSV, XLSX), each file's single-choice item with a
table and its multiple-response item with an image, made from exam_bank/examples (the formats'
own examples) and uploaded through the bank page into one bank, a section per format."""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from app.exams.models import Exam, ExamItem
from app.extensions import db
from tests.factories import bank as bank_files

EXAMPLES = Path(__file__).parents[2] / "exam_bank" / "examples"
BANK = "done-when"
SECTIONS = ("yaml", "qti", "gift", "csv", "xlsx")
ALT = "กราฟแท่งยอดขายรายไตรมาส"
TABLE = ["| ไตรมาส | ยอดขาย |", "|---|--:|", "| 1 | 12 |", "| 2 | 18 |"]
# The examples' keys (exam_bank/examples): what a candidate answers right, per type.
RIGHT = {"single": "b", "multiple": ["a", "c"], "true_false": "t", "numeric": "36", "text": "กรุงเทพฯ"}


def _data_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(bank_files.png()).decode()


def yaml_zip() -> bytes:
    text = (EXAMPLES / "all_types.yaml").read_text(encoding="utf-8")
    text = text.replace("bank: examples", f"bank: {BANK}").replace("section: analytical", "section: yaml")
    table = "\\n".join(TABLE)
    text = text.replace(
        'stem: {th: "จำนวนถัดไปของอนุกรม 2, 4, 8, 16, ... คือข้อใด", en: "What comes next: 2, 4, 8, 16, ...?"}',
        f'stem: {{th: "ยอดขายรายไตรมาส\\n\\n{table}\\n\\nจำนวนถัดไปของอนุกรม 2, 4, 8, 16, ... คือข้อใด", '
        f'en: "Sales\\n\\n{table}\\n\\nWhat comes next: 2, 4, 8, 16, ...?"}}',
    )
    text = text.replace(
        'stem: {th: "ข้อใดเป็นจำนวนเฉพาะ (เลือกทุกข้อที่ถูก)", '
        'en: "Which are prime numbers? (choose all that apply)"}',
        f'stem: {{th: "![{ALT}](chart.png) ข้อใดเป็นจำนวนเฉพาะ (เลือกทุกข้อที่ถูก)", '
        f'en: "![A bar chart](chart.png) Which are prime numbers? (choose all that apply)"}}',
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("items.yaml", text)
        z.writestr("chart.png", bank_files.png())
    return out.getvalue()


def qti_zip() -> bytes:
    folder = EXAMPLES / "qti"
    out = io.BytesIO()
    xhtml_table = (
        "<table><thead><tr><th>ไตรมาส</th><th>ยอดขาย</th></tr></thead>"
        "<tbody><tr><td>1</td><td>12</td></tr><tr><td>2</td><td>18</td></tr></tbody></table>"
    )
    with zipfile.ZipFile(out, "w") as z:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            text = path.read_text(encoding="utf-8")
            if name == "items/single.xml":  # an XHTML table before the interaction
                text = text.replace("<itemBody>", f"<itemBody><p>ยอดขายรายไตรมาส</p>{xhtml_table}")
            if name == "items/multiple.xml":  # an image the package holds
                text = text.replace("<itemBody>", f'<itemBody><p><img src="chart.png" alt="{ALT}"/></p>')
            z.writestr(name, text)
        z.writestr("items/chart.png", bank_files.png())
    return out.getvalue()


def gift() -> bytes:
    text = (EXAMPLES / "all_types.gift").read_text(encoding="utf-8")
    # A Markdown table in the question text ([markdown]: Moodle Docs, GIFT format, "Formatting")
    text = text.replace(
        "::GX-SINGLE:: จำนวนถัดไป",
        "::GX-SINGLE:: [markdown]ยอดขายรายไตรมาส\n" + "\n".join(TABLE) + "\nจำนวนถัดไป",
    )
    # An image embedded as data: in an [html] question (= and : escaped as GIFT requires).
    uri = _data_uri().replace(":", "\\:").replace("=", "\\=")
    text = text.replace(
        "::GX-MULTIPLE:: ข้อใด",
        f'::GX-MULTIPLE:: [html]<p><img src\\="{uri}" alt\\="{ALT}"></p> ข้อใด',
    )
    return text.encode("utf-8")


def _sheet_rows(prefix: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO((EXAMPLES / "all_types.csv").read_text(encoding="utf-8-sig"))))
    header = rows[0]
    stem = next(i for i, h in enumerate(header) if h.endswith("/ stem_th"))
    for row in rows[1:]:
        row[0] = row[0].replace("SX-", prefix)
        if row[0].endswith("SINGLE"):
            row[stem] = "ยอดขายรายไตรมาส\n\n" + "\n".join(TABLE) + "\n\n" + row[stem]
        if row[0].endswith("MULTIPLE"):
            row[stem] = f"![{ALT}]({_data_uri()}) " + row[stem]
    return rows


def csv_file() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(_sheet_rows("SX-"))
    return out.getvalue().encode("utf-8")


def xlsx_file() -> bytes:
    book = Workbook()
    for row in _sheet_rows("XX-"):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FILES = {
    "yaml": ("ทุกแบบ-yaml.zip", yaml_zip),
    "qti": ("ทุกแบบ-qti.zip", qti_zip),
    "gift": ("ทุกแบบ.gift", gift),
    "csv": ("ทุกแบบ.csv", csv_file),
    "xlsx": ("ทุกแบบ.xlsx", xlsx_file),
}


def upload_form(section: str) -> dict:
    """The upload form's fields for one format's file (the bank and section a YAML file names
    itself are asked for the others)."""
    name, make_file = FILES[section]
    fields = {"file": (io.BytesIO(make_file()), name), "difficulty": "easy", "topic": "general"}
    if section != "yaml":
        fields |= {"bank": BANK, "section": section}
    return fields


def every_item_exam() -> Exam:
    """An exam drawing every item of the bank: a section per format, every band it holds."""
    counts = db.session.execute(
        select(ExamItem.section, ExamItem.difficulty, func.count())
        .where(ExamItem.bank == BANK)
        .group_by(ExamItem.section, ExamItem.difficulty)
    ).all()
    draws: dict[str, dict[str, int]] = {}
    for section, band, n in counts:
        draws.setdefault(section, {})[band] = n
    exam = Exam(
        code="exam-done-when",
        bank=BANK,
        title_th="ภาค ก ทุกแบบข้อสอบจากทุกรูปแบบไฟล์",
        title_en="Part A, every type from every format",
        duration_minutes=60,
        results_policy="immediate",
        sections=[
            {"code": s, "title": {"th": f"ส่วน {s}", "en": s}, "points_per_item": 1, "draw": draws[s]}
            for s in SECTIONS
        ],
    )
    db.session.add(exam)
    db.session.commit()
    return exam


def right_answer(item_type: str) -> object:
    return RIGHT[item_type]


def has_table(stem: str) -> bool:
    return bool(re.search(r"^\|.*\|$", stem, re.MULTILINE))
