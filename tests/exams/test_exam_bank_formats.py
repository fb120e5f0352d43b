"""Item types and identity in every bank format: an author imports YAML, QTI 2.1 items and
content packages, GIFT files and CSV/XLSX sheets holding single choice, multiple response,
true/false, numeric and short text items; a second file with the same identifier never becomes
a version of the first; limits, hardened XML, unsupported formats and skipped items are named.

The files below are written here in each format's published shape; each test names the part of
the specification its rules come from:
- QTI: IMS Question & Test Interoperability v2.1 Information Model (choiceInteraction,
  textEntryInteraction, responseDeclaration, mapping, responseProcessing/equal) and IMS Content
  Packaging v1.1.4 (manifest resources and their identifiers).
- GIFT: Moodle Docs, "GIFT format" (docs.moodle.org/en/GIFT_format).
- YAML, CSV and XLSX: exam_bank/FORMAT.md and exam_bank/README.md (ours).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.exams.bank_files import Limits
from app.exams.bank_import import IdentityConflict, import_bank
from app.exams.importers import Defaults, load_source
from app.exams.importers.spreadsheet import template
from app.exams.models import ExamItem
from tests.factories import bank as bank_files

QTI_NS = 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"'


def qti_choice(identifier, prompt, choices, correct, cardinality="single", max_choices=1, encoding="UTF-8"):
    """An assessmentItem with one choiceInteraction (QTI 2.1 Information Model, 6.1)."""
    simple = "".join(f'<simpleChoice identifier="{cid}">{text}</simpleChoice>' for cid, text in choices)
    values = "".join(f"<value>{v}</value>" for v in correct)
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<assessmentItem {QTI_NS} identifier="{identifier}" title="{identifier}" adaptive="false" '
        'timeDependent="false">'
        f'<responseDeclaration identifier="RESPONSE" cardinality="{cardinality}" baseType="identifier">'
        f"<correctResponse>{values}</correctResponse></responseDeclaration>"
        '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
        '<itemBody><choiceInteraction responseIdentifier="RESPONSE" shuffle="false" '
        f'maxChoices="{max_choices}">'
        f"<prompt>{prompt}</prompt>{simple}</choiceInteraction></itemBody>"
        '<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>'
        "</assessmentItem>"
    )


def qti_text_entry(identifier, before, after, base_type, correct=(), mapping=(), processing=""):
    """An assessmentItem with one textEntryInteraction (QTI 2.1 Information Model, 6.4)."""
    values = "".join(f"<value>{v}</value>" for v in correct)
    entries = "".join(f'<mapEntry mapKey="{k}" mappedValue="{v}"/>' for k, v in mapping)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<assessmentItem {QTI_NS} identifier="{identifier}" title="{identifier}" adaptive="false" '
        'timeDependent="false">'
        f'<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="{base_type}">'
        + (f"<correctResponse>{values}</correctResponse>" if correct else "")
        + (f'<mapping defaultValue="0">{entries}</mapping>' if mapping else "")
        + "</responseDeclaration>"
        '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
        f"<itemBody><p>{before}"
        f'<textEntryInteraction responseIdentifier="RESPONSE" expectedLength="10"/>{after}</p>'
        "</itemBody>"
        + (
            processing
            or '<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>'
        )
        + "</assessmentItem>"
    )


def manifest(resources):
    """imsmanifest.xml listing item resources (IMS Content Packaging 1.1.4, <resource>)."""
    listed = "".join(
        f'<resource identifier="{rid}" type="imsqti_item_xmlv2p1" href="{href}">'
        f'<file href="{href}"/></resource>'
        for rid, href in resources
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="MANIFEST-1">'
        f"<organizations/><resources>{listed}</resources></manifest>"
    )


def package(path: Path, resources, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("imsmanifest.xml", manifest(resources))
        for name, content in files.items():
            z.writestr(name, content)
    return path


def run_import(runner, path, *extra):
    return runner.invoke(args=["bank", "import", str(path), "--bank", "fmt-bank", "--section", "mix", *extra])


def version_of(db, code, bank="fmt-bank"):
    db.session.remove()
    item = db.session.scalar(select(ExamItem).where(ExamItem.bank == bank, ExamItem.code == code))
    return item.current_version if item else None


DEFAULTS = Defaults("fmt-bank", "mix")


# ---- QTI 2.1 -----------------------------------------------------------------------------------
def test_qti_items_of_every_type_import_with_their_keys(db, runner, tmp_path):
    folder = tmp_path / "qti"
    folder.mkdir()
    # 6.1 choiceInteraction, cardinality multiple, maxChoices 2: "choose two".
    (folder / "multi.xml").write_text(
        qti_choice(
            "multi",
            "ข้อใดเป็นจำนวนคู่ (เลือกสองข้อ)",
            [("A", "2"), ("B", "3"), ("C", "4")],
            ["A", "C"],
            "multiple",
            2,
        ),
        encoding="utf-8",
    )
    # A true/false item is a choiceInteraction with two choices (QTI 2.1 Implementation Guide).
    (folder / "tf.xml").write_text(
        qti_choice("tf", "The sun rises in the east.", [("T", "True"), ("F", "False")], ["T"]),
        encoding="utf-8",
    )
    # 6.4 textEntryInteraction, baseType float; 15.3 equal with toleranceMode absolute.
    (folder / "num.xml").write_text(
        qti_text_entry(
            "num",
            "π to two decimals is ",
            ".",
            "float",
            correct=["3.14"],
            processing=(
                '<responseProcessing><responseCondition><responseIf><equal toleranceMode="absolute" '
                'tolerance="0.01 0.01"><variable identifier="RESPONSE"/><correct identifier="RESPONSE"/>'
                '</equal><setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue>'
                "</setOutcomeValue></responseIf></responseCondition></responseProcessing>"
            ),
        ),
        encoding="utf-8",
    )
    # baseType integer without a tolerance: an exact answer (the documented default, 0).
    (folder / "int.xml").write_text(
        qti_text_entry("int", "2 + 2 = ", "", "integer", correct=["4"]), encoding="utf-8"
    )
    # baseType string: the correctResponse and the mapping's positive mapKeys are accepted.
    (folder / "text.xml").write_text(
        qti_text_entry(
            "text",
            "เมืองหลวงของไทยคือ ",
            "",
            "string",
            correct=["กรุงเทพมหานคร"],
            mapping=[("กทม", "1"), ("ปารีส", "0")],
        ),
        encoding="utf-8",
    )
    result = run_import(runner, folder)
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output

    multi = version_of(db, "MULTI")
    assert (multi.item_type, multi.key, [c["th"] for c in multi.choices]) == (
        "multiple",
        ["a", "c"],
        ["2", "3", "4"],
    )
    tf = version_of(db, "TF")
    assert (tf.item_type, tf.key, tf.choices[0]["en"]) == ("true_false", "t", "True")
    num = version_of(db, "NUM")
    assert (num.item_type, num.key) == ("numeric", [{"value": "3.14", "tolerance": "0.01"}])
    assert num.stem_en == "π to two decimals is _____ ."
    assert version_of(db, "INT").key == [{"value": "4", "tolerance": "0"}]
    text = version_of(db, "TEXT")
    assert (text.item_type, text.key) == ("text", ["กรุงเทพมหานคร", "กทม"])


def test_a_multiple_response_item_with_more_right_answers_than_it_allows_is_an_error(tmp_path):
    path = tmp_path / "too_many.xml"
    path.write_text(
        qti_choice("x", "Pick one", [("A", "a"), ("B", "b")], ["A", "B"], "multiple", 1), encoding="utf-8"
    )
    loaded = load_source(path, None, DEFAULTS)
    assert [str(e) for e in loaded.errors] == [
        f"{path}: item x: correctResponse has 2 values but maxChoices is 1"
    ]


def test_a_package_whose_items_share_an_identifier_imports_each_as_its_own_item(db, runner, tmp_path):
    # Content Packaging 1.1.4: the resource identifier names a resource; the item files of two
    # resources may carry the same assessmentItem identifier (authoring tools reuse it).
    zipped = package(
        tmp_path / "shared-ids.zip",
        [("RES-A", "items/a.xml"), ("RES-B", "items/b.xml")],
        {
            "items/a.xml": qti_choice("Q1", "First question", [("A", "yes"), ("B", "no")], ["A"]),
            "items/b.xml": qti_choice("Q1", "Second question", [("A", "up"), ("B", "down")], ["B"]),
        },
    )
    result = run_import(runner, zipped)

    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    assert version_of(db, "RES-A").stem_en == "First question"
    assert version_of(db, "RES-B").stem_en == "Second question"


def test_a_package_naming_a_missing_file_says_which(tmp_path):
    zipped = package(
        tmp_path / "missing.zip",
        [("RES-A", "items/a.xml"), ("RES-GONE", "items/gone.xml")],
        {"items/a.xml": qti_choice("a", "Q", [("A", "x"), ("B", "y")], ["A"])},
    )
    loaded = load_source(zipped, None, DEFAULTS)
    assert (
        f"{zipped}!imsmanifest.xml: resource RES-GONE names the file items/gone.xml, "
        "which is not in the package" in [str(e) for e in loaded.errors]
    )


def test_each_file_is_read_in_the_encoding_it_declares(tmp_path):
    # XML 1.0, 4.3.3: the encoding declaration names the file's encoding (Thai tools write TIS-620).
    xml = qti_choice("thai", "ข้อใดถูกต้อง", [("A", "ถูก"), ("B", "ผิด")], ["A"], encoding="TIS-620")
    (tmp_path / "tis.xml").write_bytes(xml.encode("tis-620"))
    loaded = load_source(tmp_path / "tis.xml", None, DEFAULTS)

    assert loaded.ok, [str(e) for e in loaded.errors]
    [item] = loaded.items
    assert item.stem["th"] == "ข้อใดถูกต้อง" and item.item_type == "true_false"


def test_xml_with_entities_is_refused_by_the_hardened_parser(tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f"<assessmentItem {QTI_NS} identifier='x'><itemBody>&lol2;</itemBody></assessmentItem>"
    )
    (tmp_path / "laughs.xml").write_text(laughs, encoding="utf-8")
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        f"<assessmentItem {QTI_NS} identifier='x'><itemBody>&secret;</itemBody></assessmentItem>"
    )
    (tmp_path / "external.xml").write_text(external, encoding="utf-8")

    for name in ("laughs.xml", "external.xml"):
        loaded = load_source(tmp_path / name, None, DEFAULTS)
        assert not loaded.items
        [error] = loaded.errors
        assert "refused" in str(error) and "entities" in str(error)


def test_every_skipped_qti_item_is_reported_with_its_reason(tmp_path, runner):
    order = (
        f'<?xml version="1.0" encoding="UTF-8"?><assessmentItem {QTI_NS} identifier="order" title="o">'
        '<responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier"/>'
        '<itemBody><orderInteraction responseIdentifier="RESPONSE"><simpleChoice identifier="A">a'
        "</simpleChoice></orderInteraction></itemBody></assessmentItem>"
    )
    (tmp_path / "order.xml").write_text(order, encoding="utf-8")
    result = run_import(runner, tmp_path / "order.xml")

    assert result.exit_code == 1  # every question skipped: nothing was imported
    assert "order.xml: item order: orderInteraction is not imported" in result.output
    assert "Nothing was imported" in result.output


# ---- identity ------------------------------------------------------------------------------------
def test_a_second_qti_file_with_the_same_identifier_never_becomes_a_version_of_the_first(
    db, runner, tmp_path
):
    first, second = tmp_path / "one" / "choice.xml", tmp_path / "two" / "other.xml"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(
        qti_choice("CHOICE", "Which is red?", [("A", "apple"), ("B", "sky")], ["A"]), encoding="utf-8"
    )
    second.write_text(
        qti_choice("CHOICE", "Which is blue?", [("A", "apple"), ("B", "sky")], ["B"]), encoding="utf-8"
    )
    assert run_import(runner, first).exit_code == 0

    refused = run_import(runner, second)
    assert refused.exit_code == 1
    assert "CHOICE of bank fmt-bank came from qti choice.xml item CHOICE" in refused.output
    assert "qti other.xml item CHOICE is a different item with the same code" in refused.output
    assert version_of(db, "CHOICE").stem_en == "Which is red?" and version_of(db, "CHOICE").version == 1

    renamed = run_import(runner, second, "--new-codes")
    assert renamed.exit_code == 0, renamed.output
    assert "under new codes: CHOICE -> CHOICE-2" in renamed.output
    assert version_of(db, "CHOICE-2").stem_en == "Which is blue?"
    assert version_of(db, "CHOICE").stem_en == "Which is red?"

    # The same file, edited: its origin says it is the same item, so a new version.
    first.write_text(
        qti_choice("CHOICE", "Which is red, really?", [("A", "apple"), ("B", "sky")], ["A"]), encoding="utf-8"
    )
    again = run_import(runner, first)
    assert again.exit_code == 0 and "new versions: CHOICE v2" in again.output


def test_two_gift_files_with_the_same_title_are_two_items(db, runner, tmp_path):
    (tmp_path / "a.gift").write_text("::Same:: Which colour is the sky? {=blue ~green}\n", encoding="utf-8")
    (tmp_path / "b.gift").write_text("::Same:: Which animal barks? {=dog ~cat}\n", encoding="utf-8")
    assert run_import(runner, tmp_path / "a.gift").exit_code == 0
    refused = run_import(runner, tmp_path / "b.gift")
    assert (
        refused.exit_code == 1
        and "gift a.gift ::Same::" in refused.output
        and "gift b.gift ::Same::" in refused.output
    )
    assert version_of(db, "SAME").stem_en == "Which colour is the sky?"


def test_the_service_refuses_a_different_item_and_audits_what_it_imports(db, tmp_path):
    (tmp_path / "a.gift").write_text("::Q:: One? {=yes ~no}\n", encoding="utf-8")
    (tmp_path / "b.gift").write_text("::Q:: Two? {=yes ~no}\n", encoding="utf-8")
    report = import_bank(load_source(tmp_path / "a.gift", None, DEFAULTS), source="a.gift")
    assert report.created == ["Q"]
    with pytest.raises(IdentityConflict) as refused:
        import_bank(load_source(tmp_path / "b.gift", None, DEFAULTS), source="b.gift")
    assert len(refused.value.conflicts) == 1
    report = import_bank(load_source(tmp_path / "b.gift", None, DEFAULTS), source="b.gift", new_codes=True)
    assert report.renamed == [("Q", "Q-2")] and report.created == ["Q-2"]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bank.import")).all()
    assert [(e.after["items_created"], e.after["renamed"], e.after["source"]) for e in entries] == [
        (1, 0, "a.gift"),
        (1, 1, "b.gift"),
    ]


# ---- GIFT ------------------------------------------------------------------------------------------
def test_gift_types_tags_comments_and_media(app, tmp_path):
    (tmp_path / "q.gift").write_text(
        "// GIFT format: multiple answers with weights, T/F, numeric with a tolerance and a range,\n"
        "// short answer; format tags on stems AND answers; HTML comments removed entirely.\n"
        "::W:: [html]Which are prime?<!-- author note { not an answer } --> {\n"
        "  ~%50%[plain]2\n  ~%50%[moodle]3\n  ~%-100%[markdown]4\n}\n\n"
        "::T:: [moodle]Water is wet. {TRUE}\n\n"
        "::PI:: Pi to two decimals? {#3.14:0.01}\n\n"
        "::R:: A number from 1 to 5? {#1..5}\n\n"
        "::SA:: Capital of Thailand? {=[plain]Bangkok =กรุงเทพมหานคร}\n\n"
        '::IMG:: [html]Which shape is this? <img src="@@PLUGINFILE@@/shape.png" alt="a round shape">'
        " {=circle ~square}\n\n"
        '::VID:: [html]What do you see? <video src="clip.mp4"></video> {=a bell ~a drum}\n',
        encoding="utf-8",
    )
    (tmp_path / "shape.png").write_bytes(bank_files.png())  # beside the .gift, as Moodle exports it
    loaded = load_source(tmp_path / "q.gift", None, DEFAULTS)

    assert loaded.ok, [str(e) for e in loaded.errors]
    items = {i.code: i for i in loaded.items}
    assert items["W"].item_type == "multiple" and items["W"].key == ["a", "b"]
    assert items["W"].stem["en"] == "Which are prime?"  # the comment is gone, braces and all
    assert [c["en"] for c in items["W"].choices] == ["2", "3", "4"]  # no [plain] / [moodle] left
    assert (items["T"].item_type, items["T"].key, items["T"].stem["en"]) == (
        "true_false",
        "t",
        "Water is wet.",
    )
    assert items["PI"].key == [{"value": "3.14", "tolerance": "0.01"}]
    assert items["R"].key == [{"value": "3", "tolerance": "2"}]
    assert items["SA"].key == ["Bangkok", "กรุงเทพมหานคร"]
    # An image (or a sound) is kept with the item (app/exams/media.py); a video is not: skipped.
    assert items["IMG"].stem["en"] == "Which shape is this? ![a round shape](shape.png)"
    assert list(items["IMG"].media) == ["shape.png"]
    reasons = {s.ref: s.reason for s in loaded.skipped}
    assert list(reasons) == ['question "VID"']
    assert "clip.mp4" in reasons['question "VID"'] and "cannot be answered" in reasons['question "VID"']


# ---- YAML --------------------------------------------------------------------------------------------
YAML_TYPES = """kind: items
bank: yaml-types
section: mix
items:
  - id: M-1
    type: multiple
    topic: t
    difficulty: easy
    stem: {th: "ข้อใดเป็นจำนวนเฉพาะ"}
    choices:
      - {id: a, th: "2"}
      - {id: b, th: "4"}
      - {id: c, th: "5"}
    key: [a, c]
  - id: TF-1
    type: true_false
    topic: t
    difficulty: easy
    stem: {th: "น้ำแข็งลอยน้ำ", en: "Ice floats."}
    key: true
  - id: N-1
    type: numeric
    topic: t
    difficulty: easy
    stem: {en: "Pi?"}
    key: {value: 3.14, tolerance: 0.01}
  - id: T-1
    type: text
    topic: t
    difficulty: easy
    stem: {th: "เมืองหลวงของไทย"}
    key: ["กรุงเทพมหานคร", "กทม"]
"""


def test_yaml_items_of_every_type_validate_and_import(db, tmp_path):
    (tmp_path / "types.yaml").write_text(YAML_TYPES, encoding="utf-8")
    loaded = load_source(tmp_path / "types.yaml")
    assert loaded.ok, [str(e) for e in loaded.errors]
    items = {i.code: i for i in loaded.items}
    assert items["M-1"].key == ["a", "c"]
    assert items["TF-1"].key == "t" and items["TF-1"].choices[0] == {"id": "t", "th": "ถูก", "en": "True"}
    assert items["N-1"].key == [{"value": "3.14", "tolerance": "0.01"}]
    assert items["T-1"].key == ["กรุงเทพมหานคร", "กทม"]
    report = import_bank(loaded)
    assert sorted(report.created) == ["M-1", "N-1", "T-1", "TF-1"]


@pytest.mark.parametrize(
    "change, message",
    [
        (("key: [a, c]", "key: [a, z]"), "item M-1: key: z not among the choice ids a, b, c"),
        (("key: true", 'key: "yes"'), 'item TF-1: key: "yes" must be true or false'),
        (
            ("key: {value: 3.14, tolerance: 0.01}", 'key: {value: "pi"}'),
            'item N-1: key: value "pi" must be a number',
        ),
        (
            ("key: {value: 3.14, tolerance: 0.01}", "key: {value: 3, tolerance: -1}"),
            "tolerance -1 must be a number, 0 or more",
        ),
        (('key: ["กรุงเทพมหานคร", "กทม"]', "key: []"), "item T-1: key: a list must be a quoted text"),
        (("    type: text\n", "    type: essay\n"), 'item T-1: type: "essay" is not one of single, multiple'),
    ],
)
def test_a_key_that_does_not_fit_its_type_is_named(tmp_path, change, message):
    (tmp_path / "types.yaml").write_text(YAML_TYPES.replace(*change), encoding="utf-8")
    errors = "\n".join(str(e) for e in load_source(tmp_path / "types.yaml").errors)
    assert message in errors


# ---- spreadsheets ------------------------------------------------------------------------------------
THAI_HEADER = [
    "รหัส",
    "ประเภท",
    "ความยาก",
    "คำถาม",
    "ตัวเลือก ก",
    "ตัวเลือก ข",
    "ตัวเลือก ค",
    "คำตอบ",
    "ค่าคลาดเคลื่อน",
]


def test_a_csv_with_thai_headers_imports_every_type(db, runner, tmp_path):
    rows = [
        THAI_HEADER,
        ["S-1", "ตัวเลือกเดียว", "ง่าย", "ข้อใดเป็นสีแดง", "ฟ้า", "แดง", "เขียว", "ข", ""],
        ["M-1", "หลายคำตอบ", "ปานกลาง", "ข้อใดเป็นจำนวนคู่", "2", "3", "4", "ก, ค", ""],
        ["TF-1", "ถูกผิด", "ยาก", "น้ำแข็งลอยน้ำ", "", "", "", "ถูก", ""],
        ["N-1", "ตัวเลข", "", "ร้อยละ 15 ของ 240", "", "", "", "36", "0.5"],
        ["T-1", "ข้อความ", "", "เมืองหลวงของไทย", "", "", "", "กรุงเทพมหานคร | กทม.", ""],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    (tmp_path / "items.csv").write_text("\ufeff" + out.getvalue(), encoding="utf-8")

    result = run_import(runner, tmp_path / "items.csv")
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    assert (version_of(db, "S-1").key, version_of(db, "M-1").key) == ("b", ["a", "c"])
    assert version_of(db, "TF-1").key == "t"
    assert version_of(db, "N-1").key == [{"value": "36", "tolerance": "0.5"}]
    assert version_of(db, "T-1").key == ["กรุงเทพมหานคร", "กทม."]
    db.session.remove()
    bands = dict(db.session.execute(select(ExamItem.code, ExamItem.difficulty)).all())
    assert bands == {"S-1": "easy", "M-1": "medium", "TF-1": "hard", "N-1": "medium", "T-1": "medium"}


def test_sheet_errors_name_the_row_and_the_column(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "type", "stem_th", "a", "b", "key", "colour"])
    sheet.append(["S-1", "single", "ข้อใด", "หนึ่ง", "สอง", "c", ""])
    book.save(tmp_path / "bad.xlsx")
    errors = [str(e) for e in load_source(tmp_path / "bad.xlsx", None, DEFAULTS).errors]
    assert errors == [
        f"{tmp_path / 'bad.xlsx'}: row 1: column G: "
        'unknown column "colour" (see the template for the columns)'
    ]

    sheet.delete_cols(7)
    sheet.append(["S-2", "single", "ข้อใด", "หนึ่ง", "", "a", ""])
    sheet.append(["TF-1", "true_false", "จริงไหม", "", "", "maybe", ""])
    book.save(tmp_path / "bad.xlsx")
    errors = [str(e) for e in load_source(tmp_path / "bad.xlsx", None, DEFAULTS).errors]
    assert errors == [
        f'{tmp_path / "bad.xlsx"}: row 2: column key (F): "c" is not one of the choice ids a, b',
        f"{tmp_path / 'bad.xlsx'}: row 3: column a (D): must be a list of 2 to 6 choices (it has 1)",
        f'{tmp_path / "bad.xlsx"}: row 4: column key (F): "maybe" must be true or false (ถูก or ผิด)',
    ]


def test_the_template_has_both_headers_and_its_examples_import(db, runner, tmp_path):
    out = tmp_path / "template.xlsx"
    result = runner.invoke(args=["bank", "template", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["items", "examples"]
    header = [c.value for c in book["items"][1]]
    assert header[:3] == ["รหัส / id", "ประเภท / type", "ส่วน / section"]
    # The examples, moved to the first sheet, import as they are.
    examples = book["examples"]
    for row in examples.iter_rows(min_row=2, values_only=True):
        book["items"].append(list(row))
    book.save(out)
    result = run_import(runner, out)
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    assert template("csv").decode("utf-8-sig").startswith("รหัส / id,ประเภท / type")


# ---- safety ------------------------------------------------------------------------------------------
def test_limits_on_file_size_item_count_and_item_length(tmp_path, runner, app, monkeypatch):
    gift = tmp_path / "big.gift"
    gift.write_text("\n\n".join(f"::Q{i}:: Question {i}? {{=yes ~no}}" for i in range(5)), encoding="utf-8")

    too_big = load_source(gift, None, DEFAULTS, Limits(max_file_bytes=100))
    [error] = too_big.errors
    assert error.file == str(gift) and "BANK_MAX_FILE_BYTES" in error.message
    assert error.message.startswith("the file is ") and "; the limit is " in error.message
    assert not too_big.items

    too_many = load_source(gift, None, DEFAULTS, Limits(max_items=3))
    assert [e.message for e in too_many.errors] == [
        "5 items in one import; the limit is 3 (BANK_MAX_ITEMS): split the bank"
    ]

    too_long = load_source(gift, None, DEFAULTS, Limits(max_item_chars=50))
    assert len(too_long.errors) == 5 and "the limit is 50 (BANK_MAX_ITEM_CHARS)" in too_long.errors[0].message

    monkeypatch.setitem(app.config, "BANK_MAX_ITEMS", 3)  # the CLI reads the limits from config.py
    result = run_import(runner, gift)
    assert result.exit_code == 1 and "the limit is 3 (BANK_MAX_ITEMS)" in result.output


def test_an_unknown_file_is_an_unsupported_format_and_a_csv_no_longer_reads_as_yaml(tmp_path, runner):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = run_import(runner, tmp_path / "notes.pdf")
    assert result.exit_code == 1 and "unsupported format" in result.output

    (tmp_path / "empty.csv").write_text("id,stem_th,key\n", encoding="utf-8")
    result = run_import(runner, tmp_path / "empty.csv")
    assert result.exit_code == 1
    assert "YAML" not in result.output and "Nothing was imported" in result.output


# ---- the examples ----------------------------------------------------------------------------------
EXAMPLES = Path(__file__).parents[2] / "exam_bank" / "examples"


@pytest.mark.parametrize("name", ["all_types.yaml", "all_types.gift", "all_types.csv", "qti"])
def test_the_example_of_every_type_imports_from_each_format(db, name):
    loaded = load_source(EXAMPLES / name, None, Defaults("examples", "analytical"))
    assert loaded.ok and not loaded.skipped, [str(e) for e in loaded.errors + loaded.skipped]
    assert sorted(i.item_type for i in loaded.items) == [
        "multiple",
        "numeric",
        "single",
        "text",
        "true_false",
    ]
    report = import_bank(loaded, source=name)
    assert len(report.created) == 5


# ---- how many choices a multiple-response item takes ----------------------------------------
def test_qti_max_and_min_choices_are_kept_with_the_item(db, runner, tmp_path):
    # QTI 2.1 Information Model, choiceInteraction: maxChoices (0 = no limit) and minChoices
    # (default 0) bound how many choices the candidate may select.
    folder = tmp_path / "limits"
    folder.mkdir()
    four = [("A", "2"), ("B", "3"), ("C", "4"), ("D", "9")]
    (folder / "two.xml").write_text(
        qti_choice("two", "เลือกสองข้อ", four, ["A", "C"], "multiple", 2).replace(
            'maxChoices="2"', 'maxChoices="2" minChoices="2"'
        ),
        encoding="utf-8",
    )
    (folder / "any.xml").write_text(
        qti_choice("any", "เลือกทุกข้อที่ถูก", four, ["A", "C"], "multiple", 0), encoding="utf-8"
    )
    result = run_import(runner, folder)
    assert result.exit_code == 0, result.output
    two, anything = version_of(db, "TWO"), version_of(db, "ANY")
    assert (two.min_choices, two.max_choices) == (2, 2)
    assert (anything.min_choices, anything.max_choices) == (None, None)


def test_yaml_and_sheet_say_how_many_choices_and_the_validator_checks_it(db, tmp_path):
    limited = YAML_TYPES.replace("    key: [a, c]\n", "    key: [a, c]\n    max_choices: 2\n", 1)
    (tmp_path / "types.yaml").write_text(limited, encoding="utf-8")
    loaded = load_source(tmp_path / "types.yaml")
    assert loaded.ok, [str(e) for e in loaded.errors]
    assert {i.code: i.max_choices for i in loaded.items}["M-1"] == 2

    for change, message in [
        ("    max_choices: 1\n", "item M-1: max_choices: the key has 2 right choices; max_choices 1"),
        ("    max_choices: 4\n", "item M-1: max_choices: 4 is more than the item's 3 choices"),
        ("    max_choices: 2\n    min_choices: 3\n", "item M-1: min_choices: 3 is more than max_choices 2"),
    ]:
        (tmp_path / "types.yaml").write_text(
            YAML_TYPES.replace("    key: [a, c]\n", "    key: [a, c]\n" + change, 1), encoding="utf-8"
        )
        errors = "\n".join(str(e) for e in load_source(tmp_path / "types.yaml").errors)
        assert message in errors, errors
    (tmp_path / "types.yaml").write_text(
        YAML_TYPES.replace("    key: true\n", "    key: true\n    max_choices: 1\n"), encoding="utf-8"
    )
    errors = "\n".join(str(e) for e in load_source(tmp_path / "types.yaml").errors)
    assert "item TF-1: max_choices: only a multiple item says how many choices to choose" in errors

    rows = [
        ["รหัส", "ประเภท", "คำถาม", "ตัวเลือก ก", "ตัวเลือก ข", "ตัวเลือก ค", "คำตอบ", "เลือกได้ไม่เกิน"],
        ["M-9", "หลายคำตอบ", "ข้อใดเป็นจำนวนคู่", "2", "3", "4", "ก, ค", "2"],
        ["M-10", "หลายคำตอบ", "ข้อใดเป็นจำนวนคู่", "2", "3", "4", "ก, ค", "สอง"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    (tmp_path / "limits.csv").write_text(out.getvalue(), encoding="utf-8")
    loaded = load_source(tmp_path / "limits.csv", None, DEFAULTS)
    assert [str(e) for e in loaded.errors] == [
        f'{tmp_path / "limits.csv"}: row 3: column max_choices (H): "สอง" must be a whole number'
    ]
    assert {i.code: i.max_choices for i in loaded.items} == {"M-9": 2}
