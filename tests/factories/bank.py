"""Bank files as an author writes them (YAML with a table, an image and audio next to it), the
same zipped for the bank page's upload, and a bank manager."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from app.accounts.models import Role
from app.exams.importers import spreadsheet
from tests.factories.accounts import user

BANK = "media-bank"
SECTION = "data"
TABLE_STEM = """จากตารางยอดขาย **ไตรมาสใด** ยอดขายสูงสุด

| ไตรมาส | ยอดขาย (ล้านบาท) |
|:--|--:|
| 1 | 12 |
| 2 | 18 |
| 3 | 15 |
"""


def bank_manager():
    return user(Role.BANK_MANAGER)


def png(width: int = 40, height: int = 24, colour=(11, 107, 58)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def mp3() -> bytes:
    """An MP3 as far as the bytes tell (an ID3 header and a frame header)."""
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400


def items_yaml(*, alt: str = "กราฟแท่งยอดขายรายไตรมาส", image: str = "chart.png", extra: str = "") -> str:
    """Three items of one section (one per band): a table, an image, audio with a transcript."""
    table = "\n".join("        " + line for line in TABLE_STEM.strip().splitlines())
    return f"""kind: items
bank: {BANK}
section: {SECTION}
items:
  - id: DATA-TABLE
    topic: tables
    difficulty: easy
    stem:
      th: |
{table}
    choices:
      - {{id: a, th: "ไตรมาส 1"}}
      - {{id: b, th: "ไตรมาส 2"}}
      - {{id: c, th: "ไตรมาส 3"}}
    key: b
  - id: DATA-CHART
    topic: charts
    difficulty: medium
    stem:
      th: "![{alt}]({image}) จากกราฟ ยอดขายรวมเท่าใด"
    choices:
      - {{id: a, th: "*30* ล้านบาท"}}
      - {{id: b, th: "45 ล้านบาท"}}
    key: b
  - id: DATA-AUDIO
    topic: listening
    difficulty: hard
    stem:
      th: "ฟังข้อความ ![ประชุมวันจันทร์ เวลาเก้าโมง](notice.mp3) ประชุมวันใด"
    choices:
      - {{id: a, th: "วันจันทร์"}}
      - {{id: b, th: "วันอังคาร"}}
    key: a
{extra}"""


def yaml_folder(folder: Path, **kw) -> Path:
    """The YAML file with its image and audio next to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items.yaml").write_text(items_yaml(**kw), encoding="utf-8")
    (folder / "chart.png").write_bytes(png())
    (folder / "notice.mp3").write_bytes(mp3())
    return folder


def zipped(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


def imported(folder: Path):
    """The YAML bank of `yaml_folder` imported, and an exam drawing its three items."""
    from app.exams.bank_import import import_bank
    from app.exams.importers import load_source
    from app.exams.models import Exam
    from app.extensions import db

    loaded = load_source(yaml_folder(folder), "yaml")
    assert not loaded.errors, loaded.errors
    import_bank(loaded, source="tests")
    exam = Exam(
        code="exam-media",
        bank=BANK,
        title_th="ภาค ก ข้อมูลและตาราง",
        duration_minutes=30,
        results_policy="immediate",
        sections=[
            {
                "code": SECTION,
                "title": {"th": "ข้อมูล", "en": "Data"},
                "points_per_item": 1,
                "draw": {"easy": 1, "medium": 1, "hard": 1},
            }
        ],
    )
    db.session.add(exam)
    db.session.commit()
    return exam


QTI_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="media-package">
  <organizations/>
  <resources>
    <resource identifier="R1" type="imsqti_item_xmlv2p1" href="items/chart.xml">
      <file href="items/chart.xml"/><file href="items/media/chart.png"/><file href="items/media/notice.mp3"/>
    </resource>
  </resources>
</manifest>
"""

QTI_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="chart-001"
    title="Chart" xml:lang="th" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>B</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <p><img src="media/chart.png" alt="กราฟแท่งยอดขาย"/> จากกราฟ ยอดขายรวมเท่าใด</p>
    <p><object data="media/notice.mp3" type="audio/mpeg">ประกาศ: ประชุมวันจันทร์</object></p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <simpleChoice identifier="A">30 ล้านบาท</simpleChoice>
      <simpleChoice identifier="B">45 ล้านบาท</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>
"""


def qti_package() -> bytes:
    """An IMS content package whose item shows an image (<img>) and audio (<object>) it holds."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("imsmanifest.xml", QTI_MANIFEST)
        z.writestr("items/chart.xml", QTI_ITEM)
        z.writestr("items/media/chart.png", png())
        z.writestr("items/media/notice.mp3", mp3())
    return out.getvalue()


def gift_with_images() -> str:
    """GIFT [html] questions: one image embedded as data:, one naming a file next to the GIFT file
    (Moodle writes @@PLUGINFILE@@/ before it)."""
    import base64

    embedded = base64.b64encode(png(colour=(0, 0, 200))).decode().replace("=", "\\=")
    return (
        f'::EMBEDDED:: [html]<p>ภาพนี้สีอะไร <img src\\="data\\:image/png;base64,{embedded}" '
        'alt\\="สี่เหลี่ยมสีน้ำเงิน"></p> {=น้ำเงิน ~แดง}\n\n'
        '::FILE:: [html]<p><img src\\="@@PLUGINFILE@@/chart.png" alt\\="กราฟ"> ยอดขายเท่าใด</p> {=45 ~30}\n'
    )


def sheet_csv(changed_stem: str = "") -> bytes:
    """The template's examples (one item of each type) as a CSV file; with `changed_stem`, the
    first item's Thai stem says that instead."""
    rows = [list(r) for r in load_workbook(io.BytesIO(spreadsheet.template("xlsx")))["examples"].values]
    if changed_stem:
        rows[1][rows[0].index(next(h for h in rows[0] if h.endswith("/ stem_th")))] = changed_stem
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in r] for r in rows])
    return out.getvalue().encode("utf-8")
