"""The exam bank: an author validates YAML files, an admin imports them (and QTI and GIFT files),
re-imports after edits, and past attempts keep the exact version they showed."""

from __future__ import annotations

import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.common.clock import now
from app.common.errors import NotAllowed, ValidationFailed
from app.exams.bank_files import choice_labels, load_path
from app.exams.bank_import import import_bank, items_for
from app.exams.importers import Defaults, load_source
from app.exams.models import Attempt, Exam, ExamItem, ItemVersion, Seat, Sitting
from tests.factories import bank as bank_files

DATA = Path(__file__).parent / "data" / "exam_bank"
VALID = DATA / "valid"
INVALID = DATA / "invalid"
QTI = DATA / "qti"
GIFT = DATA / "gift"
DEMO = Path(__file__).parents[2] / "exam_bank" / "part_a"


def error_lines(loaded) -> list[str]:
    return [str(e) for e in loaded.errors]


def versions_of(db, code: str, bank_code: str = "test-bank") -> list[ItemVersion]:
    item = db.session.scalar(select(ExamItem).where(ExamItem.bank == bank_code, ExamItem.code == code))
    return list(item.versions) if item else []


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def import_cli(runner, *args):
    return runner.invoke(args=["bank", "import", *map(str, args)])


# ---- validation ------------------------------------------------------------------------------
def test_a_valid_bank_loads_with_both_languages_and_the_blueprint():
    loaded = load_path(VALID)

    assert loaded.ok, error_lines(loaded)
    assert len(loaded.files) == 3
    assert sorted(i.code for i in loaded.items) == [
        "AN-001",
        "AN-002",
        "AN-003",
        "AN-004",
        "AN-005",
        "TH-001",
        "TH-002",
        "TH-003",
    ]
    an5 = next(i for i in loaded.items if i.code == "AN-005")
    assert an5.stem["th"] == "A สูงกว่า B, C เตี้ยกว่า B\nใครสูงที่สุด"  # block text, trimmed
    assert an5.choices[0] == {"id": "a", "th": "A", "en": "A"}
    th1 = next(i for i in loaded.items if i.code == "TH-001")
    assert th1.section == "thai_language" and th1.stem == {"th": "คำใดสะกดถูกต้อง", "en": ""}
    [bp] = loaded.blueprints
    assert bp.code == "test-exam" and bp.results_policy == "immediate"
    assert bp.sections[0]["draw"] == {"easy": 2, "medium": 1, "hard": 1}
    assert bp.sections[1]["points_per_item"] == 2 and bp.sections[1]["time_limit_minutes"] is None
    assert bp.shuffle_items and bp.shuffle_choices  # defaults


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "wrong_key.yaml",
            'wrong_key.yaml: item AN-007: key: "e" is not one of the choice ids a, b, c, d (line 14)',
        ),
        ("missing_stem.yaml", "missing_stem.yaml: item AN-010: stem: required"),
        (
            "thai_stem_english_choices.yaml",
            "thai_stem_english_choices.yaml: item TH-020: choices.th: choices a, b, c without th text: "
            "the stem has Thai text, so every choice needs it too",
        ),
        ("misc.yaml", 'misc.yaml: item an-040: id: "an-040" must be capital letters A-Z, digits and -'),
        ("misc.yaml", 'item an-040: difficulty: "normal" is not one of easy, medium, hard (line 7)'),
        ("misc.yaml", "item an-040: choices[a].en: 3 must be text (put it in quotes) (line 10)"),
        ("misc.yaml", 'item an-040: choices[b].id: duplicate choice id "b" (line 12)'),
        ("misc.yaml", "item an-040: explaination: unknown field"),
    ],
)
def test_each_error_names_the_file_the_item_and_the_field(name, expected):
    loaded = load_path(INVALID / name)

    assert not loaded.ok and not loaded.items
    assert any(expected in line for line in error_lines(loaded)), error_lines(loaded)
    assert all(line.startswith(str(INVALID / name)) for line in error_lines(loaded))


def test_a_duplicate_id_across_two_files_names_both_files():
    loaded = load_path(INVALID / "duplicate")

    [error] = error_lines(loaded)
    assert error.startswith(f"{INVALID / 'duplicate' / 'second.yaml'}: item AN-001: id: ")
    assert f"also in {INVALID / 'duplicate' / 'first.yaml'} at line 5" in error


def test_a_yaml_syntax_error_names_the_file_and_line():
    [error] = error_lines(load_path(INVALID / "syntax_error.yaml"))

    assert error.startswith(f"{INVALID / 'syntax_error.yaml'}: YAML syntax error at line 9")
    assert "starts at line 8" in error  # the flow mapping left open on line 8


def test_a_blueprint_needs_enough_items_in_each_section_and_band():
    errors = error_lines(load_path(INVALID / "too_few"))

    where = f"{INVALID / 'too_few' / 'blueprint.yaml'}: blueprint small-exam: "
    assert errors == [
        where + "sections[analytical].draw.hard: needs 3 hard items of section analytical, "
        'bank "small-bank" has 1 (line 7)',
        where + 'sections[english]: bank "small-bank" has no items in section "english" (line 10)',
    ]


def test_a_blueprint_without_its_bank_and_with_bad_fields_is_reported(tmp_path):
    (tmp_path / "bp.yaml").write_text(
        "kind: blueprint\ncode: lonely\nbank: nowhere\ntitle: {en: Lonely}\n"
        "duration_minutes: 0\nresults_policy: later\nsections:\n"
        "  - {code: a, title: {en: A}, draw: {easy: 1, tricky: 2}, time_limit_minutes: 9}\n",
        encoding="utf-8",
    )
    errors = "\n".join(error_lines(load_path(tmp_path)))

    assert "blueprint lonely: title.th: required" in errors
    assert "blueprint lonely: duration_minutes: 0 must be a whole number from 1 to 600" in errors
    assert 'blueprint lonely: results_policy: "later" is not one of immediate' in errors
    assert "sections[a].draw.tricky: unknown band" in errors


def test_duplicate_keys_and_unknown_kinds_are_errors(tmp_path):
    (tmp_path / "a.yaml").write_text("kind: items\nbank: b\nbank: c\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("kind: questions\n", encoding="utf-8")
    errors = error_lines(load_path(tmp_path))

    assert errors[0].startswith(f"{tmp_path / 'a.yaml'}: YAML syntax error at line 3")
    assert 'duplicate key "bank"' in errors[0]
    assert errors[1] == f'{tmp_path / "b.yml"}: kind: "questions" is not "items" or "blueprint" (line 1)'


def test_choice_labels_follow_the_paper_language():
    assert choice_labels("th") == ["ก", "ข", "ค", "ง", "จ", "ฉ"]
    assert choice_labels("en") == ["A", "B", "C", "D", "E", "F"]


# ---- import and versions ---------------------------------------------------------------------
def test_import_creates_items_versions_and_the_exam_with_one_audit_entry(db):
    report = import_bank(load_path(VALID), source="tests/valid")

    assert len(report.created) == 8 and not report.new_versions and not report.unchanged
    assert report.blueprints_created == ["test-exam"]
    [v1] = versions_of(db, "AN-001")
    assert v1.version == 1 and v1.key == "b" and v1.stem_en.startswith("What is the next")
    assert v1.choices[1] == {"id": "b", "th": "32", "en": "32"}
    assert v1.explanation_th == "แต่ละพจน์คูณ 2" and len(v1.content_hash) == 64
    assert v1.source.endswith("analytical.yaml")
    assert versions_of(db, "AN-004")[0].fixed_order is True
    exam = db.session.scalar(select(Exam).where(Exam.code == "test-exam"))
    assert exam.title("th") == "การสอบทดลองภาค ก" and exam.duration_minutes == 30
    assert exam.results_policy == "immediate" and float(exam.pass_percent) == 60
    assert [s["code"] for s in exam.sections] == ["analytical", "thai_language"]
    assert exam.sections[0]["title"] == {"th": "ความสามารถในการคิดวิเคราะห์", "en": "Analytical reasoning"}
    assert [i.code for i in items_for("test-bank", "analytical", "easy")] == ["AN-001", "AN-002"]
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert entry.action == "bank.import" and entry.object_id == "test-bank"
    assert entry.after["items_created"] == 8 and entry.after["blueprints_created"] == 1
    assert entry.after["source"] == "tests/valid"


def test_reimporting_unchanged_files_changes_nothing(db):
    import_bank(load_path(VALID))
    report = import_bank(load_path(VALID))

    assert not report.created and not report.new_versions and len(report.unchanged) == 8
    assert report.blueprints_unchanged == ["test-exam"] and not report.blueprints_updated
    assert count(db, ItemVersion) == 8 and count(db, ExamItem) == 8
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.after["unchanged"] for e in entries] == [0, 8]  # one entry per import


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_editing_text_or_key_adds_a_version_and_keeps_version_1(db, tmp_path):
    shutil.copytree(VALID, tmp_path / "bank")
    folder = tmp_path / "bank"
    import_bank(load_path(folder))
    v1 = versions_of(db, "AN-003")[0]
    v1_id, v1_hash = v1.id, v1.content_hash

    edit(folder / "analytical.yaml", "How much do you pay?", "How much do you pay now?")
    edit(folder / "thai_language.yaml", "    key: d\n", "    key: c\n")  # TH-003's key
    edit(
        folder / "analytical.yaml",
        "topic: number-series\n    difficulty: easy",
        "topic: doubling\n    difficulty: easy",
    )  # AN-001: classification
    edit(folder / "blueprint.yaml", "duration_minutes: 30", "duration_minutes: 40")
    report = import_bank(load_path(folder))

    assert report.new_versions == [("AN-003", 2), ("TH-003", 2)]
    assert report.reclassified == ["AN-001"] and report.blueprints_updated == ["test-exam"]
    assert len(report.unchanged) == 6 and not report.created
    v1, v2 = versions_of(db, "AN-003")
    assert (v1.id, v1.version, v1.content_hash) == (v1_id, 1, v1_hash)
    assert v1.stem_en.endswith("How much do you pay?") and v2.stem_en.endswith("pay now?")
    assert [v.key for v in versions_of(db, "TH-003")] == ["d", "c"]
    item = db.session.scalar(select(ExamItem).where(ExamItem.code == "TH-003"))
    assert item.current_version.key == "c"
    an1 = db.session.scalar(select(ExamItem).where(ExamItem.code == "AN-001"))
    assert an1.topic == "doubling" and len(an1.versions) == 1  # no new version
    assert db.session.scalar(select(Exam.duration_minutes)) == 40
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.after["versions_added"] == 2 and last.after["reclassified"] == 1


def test_an_invalid_bank_imports_nothing(db):
    loaded = load_path(INVALID)
    with pytest.raises(ValidationFailed) as err:
        import_bank(loaded)

    assert "nothing was imported" in err.value.message
    assert count(db, ExamItem) == 0 and count(db, AuditEntry) == 0


def test_a_blueprint_already_sat_cannot_change_and_nothing_else_is_written(db, make, tmp_path):
    shutil.copytree(VALID, tmp_path / "bank")
    folder = tmp_path / "bank"
    import_bank(load_path(folder))
    exam = db.session.scalar(select(Exam))
    agency, candidate = make.agency(), make.candidate()
    sitting = Sitting(
        exam=exam,
        agency_id=agency.id,
        title_th="รอบทดลอง",
        timing_mode="synchronized",
        starts_at=now() - timedelta(hours=1),
        status="ended",
    )
    seat = Seat(sitting=sitting, candidate_id=candidate.id)
    db.session.add_all([sitting, seat, Attempt(seat=seat, form_seed=1, form=[])])
    db.session.commit()

    edit(folder / "blueprint.yaml", "pass_percent: 60", "pass_percent: 50")
    edit(folder / "analytical.yaml", "How much do you pay?", "What is the price?")
    with pytest.raises(NotAllowed) as err:
        import_bank(load_path(folder))

    assert "test-exam has already been taken" in err.value.message
    assert float(db.session.scalar(select(Exam.pass_percent))) == 60
    assert len(versions_of(db, "AN-003")) == 1  # the item edit was rolled back with it
    assert count(db, AuditEntry) == 1


# ---- QTI ---------------------------------------------------------------------------------------
def test_a_thai_qti_item_imports_with_its_key(db, runner):
    result = import_cli(
        runner,
        QTI / "choice_thai.xml",
        "--bank",
        "qti-bank",
        "--section",
        "bma_law",
        "--difficulty",
        "easy",
        "--topic",
        "law",
    )

    assert result.exit_code == 0, result.output
    assert "1 created, 0 new versions, 0 unchanged" in result.output
    item = db.session.scalar(select(ExamItem).where(ExamItem.bank == "qti-bank"))
    assert (item.code, item.section, item.difficulty, item.topic) == ("BMA-LAW-001", "bma_law", "easy", "law")
    v = item.current_version
    assert v.stem_th == (
        "ตามพระราชบัญญัติระเบียบบริหารราชการกรุงเทพมหานคร พ.ศ. 2528\n"
        "ผู้ว่าราชการกรุงเทพมหานครมีวาระการดำรงตำแหน่งคราวละกี่ปี"
    )
    assert v.stem_en == "" and [c["th"] for c in v.choices] == ["2 ปี", "4 ปี", "5 ปี", "6 ปี"]
    assert v.key == "b" and v.fixed_order is False
    assert "a=ChoiceA b=ChoiceB c=ChoiceC d=ChoiceD" in v.source


def test_a_fixed_qti_choice_keeps_the_order_and_feedback_is_not_text():
    loaded = load_source(QTI / "choice_shuffle_fixed.xml", None, Defaults("qti-bank", "science"))

    [item] = loaded.items
    assert item.stem == {
        "th": "",
        "en": "Water is a chemical compound.\nIts molecule is made of "
        "two atoms of one element and one atom of another.\n"
        "Which element makes up two of the three atoms?",
    }
    assert [c["en"] for c in item.choices] == ["Hydrogen", "Helium", "Carbon", "None of the above"]
    assert item.key == "a" and item.fixed_order is True
    assert item.source.endswith("a=H b=He c=C d=N")


def test_a_qti_content_package_imports_every_item_listed_in_its_manifest(db, runner):
    result = import_cli(runner, QTI / "package.zip", "--bank", "qti-bank", "--section", "mixed")

    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    items = db.session.scalars(select(ExamItem).order_by(ExamItem.code)).all()
    # IMS Content Packaging 1.1.4, resource@identifier: the manifest's resource names the item.
    assert [(i.code, i.difficulty, i.topic, i.origin) for i in items] == [
        ("RES-PKG-001", "medium", "general", "qti package.zip resource RES-pkg-001"),
        ("RES-PKG-002", "medium", "general", "qti package.zip resource RES-pkg-002"),
        ("RES-PKG-003", "medium", "general", "qti package.zip resource RES-pkg-003"),
    ]
    pkg1, pkg2, pkg3 = (i.current_version for i in items)
    assert pkg1.stem_th == "จำนวนถัดไปของอนุกรม 3, 6, 12, 24, ... คือข้อใด" and pkg1.key == "b"
    assert pkg2.stem_en == 'Which word means the same as "rapid"?' and pkg2.key == "b"
    assert pkg3.stem_th.startswith("คำราชาศัพท์") and pkg3.key == "a"  # Thai without xml:lang
    assert "package.zip!items/pkg-003.xml" in pkg3.source

    again = import_cli(runner, QTI / "package.zip", "--bank", "qti-bank", "--section", "mixed")
    assert "0 created, 0 new versions, 3 unchanged" in again.output


def test_qti_multiple_response_and_text_entry_items_validate_with_the_rest(db, runner):
    result = runner.invoke(args=["bank", "validate", str(QTI), "--bank", "qti-bank", "--section", "mixed"])

    assert result.exit_code == 0, result.output
    assert "Skipped" not in result.output
    assert "OK: 7 items in 7 files, 0 blueprints" in result.output
    assert count(db, ExamItem) == 0  # validate never writes


def test_a_broken_qti_file_or_package_is_an_error(tmp_path, runner):
    (tmp_path / "broken.xml").write_text("<assessmentItem><itemBody>", encoding="utf-8")
    result = runner.invoke(
        args=["bank", "import", str(tmp_path / "broken.xml"), "--bank", "b", "--section", "s"]
    )
    assert result.exit_code == 1 and "broken.xml: XML syntax error" in result.output
    assert "nothing was imported" in result.output

    with zipfile.ZipFile(tmp_path / "nomanifest.zip", "w") as z:
        z.writestr("item.xml", (QTI / "choice_thai.xml").read_text(encoding="utf-8"))
    result = runner.invoke(
        args=["bank", "validate", str(tmp_path / "nomanifest.zip"), "--bank", "b", "--section", "s"]
    )
    assert result.exit_code == 1 and "no imsmanifest.xml" in result.output


def test_a_qti_item_with_an_image_keeps_the_file_beside_it(tmp_path):
    # QTI 2.1 itemBody may hold XHTML <img src alt> (IMS QTI v2.1 Information Model, 4.1 img):
    # the file named is kept with the item; a missing one is named in the error.
    xml = (
        (QTI / "choice_thai.xml")
        .read_text(encoding="utf-8")
        .replace("<p>ตามพระราชบัญญัติ", '<p><img src="map.png" alt="แผนที่"/>ตามพระราชบัญญัติ')
    )
    (tmp_path / "with_image.xml").write_text(xml, encoding="utf-8")
    missing = load_source(tmp_path / "with_image.xml", None, Defaults("qti-bank", "law"))
    assert [e.message for e in missing.errors] == [
        '"map.png" is not there: put the file next to the item file'
    ]

    (tmp_path / "map.png").write_bytes(bank_files.png())
    loaded = load_source(tmp_path / "with_image.xml", None, Defaults("qti-bank", "law"))
    assert loaded.ok and not loaded.skipped
    (item,) = loaded.items
    assert "![แผนที่](map.png)" in item.stem["th"] and set(item.media) == {"map.png"}


# ---- GIFT --------------------------------------------------------------------------------------
def test_gift_imports_every_type_the_bank_holds_and_reports_the_rest_as_skipped(db, runner):
    result = import_cli(runner, GIFT / "questions.gift", "--bank", "gift-bank", "--section", "general")

    assert result.exit_code == 0, result.output
    assert "12 created" in result.output
    skipped = {
        "ESSAY-1": "an essay question",
        "MATCH-1": "a matching question",
        "DESC-1": "a description",
    }
    assert "Skipped 3:" in result.output
    for title, reason in skipped.items():
        assert f'question "{title}": {reason}' in result.output
    assert "no ::title::, so its id QUESTIONS-006" in result.output  # a warning, not an error

    def version(code):
        return db.session.scalar(select(ExamItem).where(ExamItem.code == code)).current_version

    first = version("GIFT-001")
    assert first.stem_en == "What is the next number in the series 2, 4, 8, 16, ...?"
    assert [c["en"] for c in first.choices] == ["24", "32", "30", "20"] and first.key == "b"
    assert first.explanation_en == "Each term is twice the one before."
    escapes = version("GIFT-002-ESCAPES-ALL-OF-THEM")
    assert escapes.stem_en == "Which of these is written with the special characters = ~ # { }?"
    assert escapes.choices[0]["en"] == "a = b ~ c # d {e}" and escapes.key == "a"
    assert version("GIFT-004").stem_en == "The capital of Thailand is _____ city."
    assert version("GIFT-005").stem_en == "Which of these is a prime number?"  # [html] cleaned
    thai = version("GIFT-007")
    assert thai.stem_th == "กรุงเทพมหานครมีกี่เขต" and thai.stem_en == "" and thai.key == "b"
    topics = dict(db.session.execute(select(ExamItem.code, ExamItem.topic)).all())
    assert topics["GIFT-001"] == "number-series"  # from $CATEGORY:
    assert topics["GIFT-007"] == "general"  # a Thai category: the --topic default
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert entry.after["items_created"] == 12 and entry.after["skipped"] == 3
    # GIFT format (docs.moodle.org "GIFT format"): {T}/{FALSE}, {=a =b}, ~%50%, {#4:0}
    assert (version("TF-1").item_type, version("TF-1").key) == ("true_false", "t")
    assert (version("TF-2").item_type, version("TF-2").key) == ("true_false", "f")
    assert (version("SA-1").item_type, version("SA-1").key) == ("text", ["Bangkok", "Krung Thep"])
    assert (version("MULTI-1").item_type, version("MULTI-1").key) == ("multiple", ["a", "b"])
    assert (version("NUM-1").item_type, version("NUM-1").key) == (
        "numeric",
        [{"value": "4", "tolerance": "0"}],
    )


def test_a_malformed_gift_question_stops_the_import(db, tmp_path, runner):
    path = tmp_path / "bad.gift"
    path.write_text(
        "::OK-1:: Fine? {=yes ~no}\n\n::BAD-1:: Where is the end? {=here ~there\n", encoding="utf-8"
    )
    result = import_cli(runner, path, "--bank", "gift-bank", "--section", "general")

    assert result.exit_code == 1
    assert f'{path}: question "BAD-1": the answer block "{{" is not closed' in result.output
    assert count(db, ExamItem) == 0


def test_a_gift_file_saved_on_windows_reads_the_same(tmp_path):
    path = tmp_path / "windows.gift"
    path.write_bytes("\ufeff// exported\r\n::W-1:: ข้อใดเป็นสี {\r\n=แดง\r\n~โต๊ะ\r\n}\r\n".encode("utf-8"))
    [item] = load_source(path, None, Defaults("gift-bank", "general")).items

    assert item.code == "W-1" and item.stem == {"th": "ข้อใดเป็นสี", "en": ""}
    assert [c["th"] for c in item.choices] == ["แดง", "โต๊ะ"] and item.key == "a"


# ---- the commands ----------------------------------------------------------------------------
def test_validate_prints_ok_or_every_error(runner):
    ok = runner.invoke(args=["bank", "validate", str(VALID)])
    assert ok.exit_code == 0 and ok.output.strip() == "OK: 8 items in 3 files, 1 blueprint"

    bad = runner.invoke(args=["bank", "validate", str(INVALID)])
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert lines[-1] == f"{len(lines) - 1} errors; the bank is not valid."
    assert any("wrong_key.yaml: item AN-007: key:" in line for line in lines)
    assert any("syntax_error.yaml: YAML syntax error at line 9" in line for line in lines)


def test_import_prints_the_report_and_fails_without_writing_on_errors(db, runner):
    result = import_cli(runner, VALID)
    assert result.exit_code == 0, result.output
    assert "items: 8 created, 0 new versions, 0 unchanged, 0 reclassified" in result.output
    assert "blueprints: 1 created, 0 updated, 0 unchanged" in result.output

    result = import_cli(runner, INVALID / "wrong_key.yaml")
    assert result.exit_code == 1
    assert 'key: "e" is not one of the choice ids' in result.output
    assert "1 error; nothing was imported." in result.output
    assert count(db, ExamItem) == 8 and count(db, AuditEntry) == 1


def test_import_options_are_checked(runner):
    result = import_cli(runner, QTI / "choice_thai.xml", "--section", "s")
    assert result.exit_code == 2 and "a QTI import needs --bank and --section" in result.output

    result = import_cli(runner, VALID, "--bank", "x")
    assert result.exit_code == 2 and "--bank apply to QTI, GIFT, CSV and XLSX only" in result.output

    result = import_cli(runner, GIFT / "questions.gift", "--bank", "Bad Bank", "--section", "s")
    assert result.exit_code == 1
    assert 'options: --bank: "Bad Bank" must be lower-case letters a-z, digits and -' in result.output


# ---- the demo bank -----------------------------------------------------------------------------
def test_the_demo_part_a_bank_validates_and_imports(db, runner):
    if not DEMO.is_dir():
        pytest.skip(f"the demo bank {DEMO} does not exist yet")
    result = runner.invoke(args=["bank", "validate", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")

    result = import_cli(runner, DEMO)
    assert result.exit_code == 0, result.output
    per_section = dict(
        db.session.execute(select(ExamItem.section, func.count()).group_by(ExamItem.section)).all()
    )
    assert per_section and all(n >= 40 for n in per_section.values()), per_section
    assert count(db, Exam) >= 1
