"""CSV and Excel (.xlsx) item sheets into bank items, and the template to fill in.

One row per item under a header row; a column is known by its English or its Thai header (the
template writes both, "รหัส / id"), in any order, and columns the layout does not know are an
error. The layout is documented in exam_bank/README.md:

    id, type, section, topic, difficulty, stem_th, stem_en, a..f (Thai choices),
    a_en..f_en (English choices), key, tolerance, explanation_th, explanation_en, fixed_order,
    min_choices, max_choices (multiple response: how many a candidate may choose)

Every error names the row and the column. Like QTI and GIFT, the bank and the default
section, topic and difficulty come from the import's options; a row's own section, topic or
difficulty overrides them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..bank_files import Limits, LoadedBank, item_from_dict
from ..bank_format import ITEM_TYPES, BankError, check_bank
from ..bank_messages import N_
from .shared import Defaults, as_item, start_load

LETTERS = "abcdef"
THAI_LETTERS = "กขคงจฉ"
# column -> (English header, Thai header)
COLUMNS = {
    "id": ("id", "รหัส"),
    "type": ("type", "ประเภท"),
    "section": ("section", "ส่วน"),
    "topic": ("topic", "หัวข้อ"),
    "difficulty": ("difficulty", "ความยาก"),
    "stem_th": ("stem_th", "คำถาม"),
    "stem_en": ("stem_en", "คำถาม (อังกฤษ)"),
    **{letter: (letter, f"ตัวเลือก {th}") for letter, th in zip(LETTERS, THAI_LETTERS)},
    **{f"{letter}_en": (f"{letter}_en", f"ตัวเลือก {th} (อังกฤษ)") for letter, th in zip(LETTERS, THAI_LETTERS)},
    "key": ("key", "คำตอบ"),
    "tolerance": ("tolerance", "ค่าคลาดเคลื่อน"),
    "explanation_th": ("explanation_th", "คำอธิบาย"),
    "explanation_en": ("explanation_en", "คำอธิบาย (อังกฤษ)"),
    "fixed_order": ("fixed_order", "ตรึงลำดับตัวเลือก"),
    "min_choices": ("min_choices", "เลือกอย่างน้อย"),
    "max_choices": ("max_choices", "เลือกได้ไม่เกิน"),
}
# Words accepted in the type, difficulty, key (true/false) and fixed_order columns, Thai too.
TYPE_WORDS = {
    "single": "single",
    "ตัวเลือกเดียว": "single",
    "multiple": "multiple",
    "หลายคำตอบ": "multiple",
    "true_false": "true_false",
    "ถูกผิด": "true_false",
    "numeric": "numeric",
    "ตัวเลข": "numeric",
    "text": "text",
    "ข้อความ": "text",
}
BAND_WORDS = {
    "easy": "easy",
    "ง่าย": "easy",
    "medium": "medium",
    "ปานกลาง": "medium",
    "hard": "hard",
    "ยาก": "hard",
}
YES = {"true", "yes", "y", "1", "ใช่", "ถูก", "จริง", "t"}
NO = {"false", "no", "n", "0", "ไม่", "ไม่ใช่", "ผิด", "เท็จ", "f", ""}
TEXT_SEPARATOR = "|"
# What an item-file field is called in the sheet, for errors.
FIELD_COLUMNS = {
    "id": "id",
    "type": "type",
    "section": "section",
    "topic": "topic",
    "difficulty": "difficulty",
    "stem": "stem_th",
    "key": "key",
    "explanation": "explanation_th",
    "fixed_order": "fixed_order",
    "min_choices": "min_choices",
    "max_choices": "max_choices",
}

EXAMPLES = [
    {
        "id": "AN-101",
        "type": "single",
        "difficulty": "easy",
        "stem_th": "จำนวนถัดไปของอนุกรม 2, 4, 8, 16 คือข้อใด",
        "a": "24",
        "b": "32",
        "c": "30",
        "d": "20",
        "key": "b",
    },
    {
        "id": "AN-102",
        "type": "multiple",
        "difficulty": "medium",
        "stem_th": "ข้อใดเป็นจำนวนเฉพาะ (เลือกทุกข้อที่ถูก)",
        "a": "2",
        "b": "9",
        "c": "11",
        "d": "15",
        "key": "a, c",
        "max_choices": "2",
    },
    {
        "id": "AN-103",
        "type": "true_false",
        "difficulty": "easy",
        "stem_th": "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
        "key": "ถูก",
    },
    {
        "id": "AN-104",
        "type": "numeric",
        "difficulty": "medium",
        "stem_th": "ร้อยละ 15 ของ 240 เท่ากับเท่าใด",
        "key": "36",
        "tolerance": "0",
    },
    {
        "id": "AN-105",
        "type": "text",
        "difficulty": "medium",
        "stem_th": "เมืองหลวงของประเทศไทยชื่อว่าอะไร",
        "key": "กรุงเทพมหานคร | กรุงเทพฯ | กทม.",
    },
]


def _header_key(text) -> str:
    return unicodedata.normalize("NFC", str(text or "")).strip().casefold()


_BY_HEADER = {_header_key(h): column for column, headers in COLUMNS.items() for h in headers}


def column_of(header) -> str | None:
    """The column a header names: its English or Thai name, or both as "Thai / English"."""
    key = _header_key(header)
    if key in _BY_HEADER:
        return _BY_HEADER[key]
    for part in key.split("/"):
        if part.strip() in _BY_HEADER:
            return _BY_HEADER[part.strip()]
    return None


def header_text(column: str) -> str:
    english, thai = COLUMNS[column]
    return f"{thai} / {english}"


# ---- reading --------------------------------------------------------------------------------
def load_csv(path, defaults: Defaults, bounds: Limits | None = None) -> LoadedBank:
    """Read a CSV file (UTF-8, with or without a byte order mark, comma or semicolon separated)."""
    loaded, root = start_load(path, defaults, bounds)
    if root is None or not _readable(root, loaded):
        return loaded
    try:
        text = root.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        loaded.errors.append(BankError(str(root), N_("not UTF-8 text; save the sheet as CSV UTF-8")))
        return loaded
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    _read_rows(str(root), rows, defaults, loaded)
    return loaded


def load_xlsx(path, defaults: Defaults, bounds: Limits | None = None) -> LoadedBank:
    """Read the first sheet of an Excel workbook (.xlsx)."""
    loaded, root = start_load(path, defaults, bounds)
    if root is None or not _readable(root, loaded):
        return loaded
    try:
        book = load_workbook(root, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        loaded.errors.append(
            BankError(str(root), N_("not an Excel workbook (.xlsx): %(problem)s", problem=str(exc)))
        )
        return loaded
    try:
        sheet = book.worksheets[0]
        limit = loaded.limits.max_items
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if limit and number > limit + 1:
                loaded.errors.append(
                    BankError(
                        str(root), N_("more than %(n)d rows; the limit is %(n)d (BANK_MAX_ITEMS)", n=limit)
                    )
                )
                return loaded
            rows.append(["" if v is None else _cell(v) for v in row])
    finally:
        book.close()
    _read_rows(str(root), rows, defaults, loaded)
    return loaded


def _readable(root: Path, loaded: LoadedBank) -> bool:
    loaded.files.append(str(root))
    if root.is_dir():
        loaded.errors.append(BankError(str(root), N_("import one CSV or XLSX file at a time, not a folder")))
        return False
    return loaded.fits(str(root), root.stat().st_size)


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_rows(name: str, rows: list[list[str]], defaults: Defaults, loaded: LoadedBank) -> None:
    if not rows or not any(str(c).strip() for c in rows[0]):
        loaded.errors.append(BankError(name, N_("row 1 must be the header row (see the template)")))
        return
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0]):
        if not str(header).strip():
            continue
        column = column_of(header)
        where = N_("column %(letter)s", letter=get_column_letter(index + 1))
        row_1 = N_("row %(n)d", n=1)
        if column is None:
            loaded.errors.append(
                BankError(
                    name,
                    N_('unknown column "%(header)s" (see the template for the columns)', header=str(header)),
                    row_1,
                    where,
                )
            )
        elif column in columns:
            loaded.errors.append(
                BankError(name, N_('column "%(header)s" appears twice', header=str(header)), row_1, where)
            )
        else:
            columns[column] = index
    for needed in ("id", "key"):
        if needed not in columns:
            loaded.errors.append(
                BankError(
                    name, N_('needs a column "%(header)s"', header=header_text(needed)), N_("row %(n)d", n=1)
                )
            )
    if "stem_th" not in columns and "stem_en" not in columns:
        loaded.errors.append(
            BankError(
                name, N_('needs a column "%(header)s"', header=header_text("stem_th")), N_("row %(n)d", n=1)
            )
        )
    if loaded.errors:
        return
    position = 0
    for number, row in enumerate(rows[1:], start=2):
        values = {c: str(row[i]).strip() if i < len(row) else "" for c, i in columns.items()}
        if not any(values.values()):
            continue
        position += 1
        _read_row(name, number, values, columns, defaults, position, loaded)
    check_bank(loaded)


def _read_row(name, number, values, columns, defaults, position, loaded) -> None:
    ref = N_("row %(n)d", n=number)

    def where(column: str) -> str:
        index = columns.get(column)
        if index is None:
            return N_("column %(name)s", name=COLUMNS[column][0])
        return N_(
            "column %(name)s (%(letter)s)", name=COLUMNS[column][0], letter=get_column_letter(index + 1)
        )

    def error(column: str, message: str) -> None:
        loaded.errors.append(BankError(name, message, ref, where(column)))

    raw_type = values.get("type", "") or "single"
    item_type = TYPE_WORDS.get(raw_type.casefold())
    if item_type is None:
        return error(
            "type", N_('"%(value)s" is not one of %(types)s', value=raw_type, types=", ".join(ITEM_TYPES))
        )
    band = values.get("difficulty", "")
    difficulty = BAND_WORDS.get(band.casefold(), band) if band else defaults.difficulty
    lang_th = bool(values.get("stem_th"))
    key_text = values.get("key", "")
    letters = [c for c in LETTERS if values.get(c) or values.get(f"{c}_en")]
    used = LETTERS[: len(letters)] if letters == list(LETTERS[: len(letters)]) else None
    if used is None:
        return error("a", N_("fill the choices from a without gaps (a, b, c, ...)"))
    choices = [{"id": c, "th": values.get(c, ""), "en": values.get(f"{c}_en", "")} for c in used]
    try:
        key = _key(item_type, key_text, values.get("tolerance", ""))
    except CellError as exc:
        return error(exc.column, exc.message)
    fixed = values.get("fixed_order", "").casefold()
    if fixed not in YES | NO:
        return error("fixed_order", N_('"%(value)s" must be yes or no', value=values["fixed_order"]))
    stem = {lang: values.get(f"stem_{lang}", "") for lang in ("th", "en")}
    stem = {k: v for k, v in stem.items() if v}
    raw = as_item(
        code=values.get("id", ""),
        topic=values.get("topic", "") or defaults.topic,
        difficulty=difficulty,
        lang="th" if lang_th else "en",
        stem="",
        item_type=item_type,
        key=key,
        fixed_order=fixed in YES,
    )
    raw["stem"] = stem or {"th": ""}
    for limit in ("min_choices", "max_choices"):
        if values.get(limit):
            number = values[limit]
            if not number.isdigit():
                return error(limit, N_('"%(value)s" must be a whole number', value=number))
            raw[limit] = int(number)
    if values.get("section"):
        raw["section"] = values["section"]
    if item_type in ("single", "multiple"):
        raw["choices"] = [{k: v for k, v in c.items() if v} for c in choices]
    explanation = {
        k: v
        for k, v in (("th", values.get("explanation_th", "")), ("en", values.get("explanation_en", "")))
        if v
    }
    if explanation:
        raw["explanation"] = explanation
    before = len(loaded.errors)
    item = item_from_dict(
        raw,
        loaded,
        file=name,
        bank=defaults.bank,
        section=defaults.section,
        position=position,
        source=f"sheet {name} row {number}",
        origin=f"sheet {Path(name).name} {values.get('id', '')}",
    )
    for problem in loaded.errors[before:]:  # the item file's words -> the sheet's row and column
        problem.ref, problem.line = ref, None
        problem.field = _sheet_field(problem.field, where)
    if item is not None:
        loaded.items.append(item)


def _sheet_field(field: str, where) -> str:
    """ "choices[b].en" -> "column b_en (J)", "key" -> "column key (N)", ..."""
    match = re.match(r"choices\[([a-z])\]\.(th|en)", field or "")
    if match:
        letter, lang = match.groups()
        return where(letter if lang == "th" else f"{letter}_en")
    if (field or "").startswith("choices"):
        return where("a")
    head = re.split(r"[.\[]", field or "")[0]
    if head == "stem" and field.endswith(".en"):
        return where("stem_en")
    return where(FIELD_COLUMNS[head]) if head in FIELD_COLUMNS else field


class CellError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def _key(item_type: str, text: str, tolerance: str):
    """The item file's key from the key (and tolerance) cells (CellError when it cannot be)."""
    if item_type == "single":
        return _letter(text)
    if item_type == "multiple":
        return [_letter(p) for p in re.split(r"[,;\s]+", text) if p.strip()]
    if item_type == "true_false":
        word = text.casefold()
        if word in YES - {""}:
            return True
        if word in NO - {""}:
            return False
        raise CellError("key", N_('"%(value)s" must be true or false (ถูก or ผิด)', value=text))
    if item_type == "numeric":
        if not text:
            raise CellError("key", N_("required: the right number"))
        return {"value": text, **({"tolerance": tolerance} if tolerance else {})}
    return [p.strip() for p in text.split(TEXT_SEPARATOR) if p.strip()]


def _letter(text: str) -> str:
    text = text.strip().casefold()
    return LETTERS[THAI_LETTERS.index(text)] if len(text) == 1 and text in THAI_LETTERS else text


# ---- the template ---------------------------------------------------------------------------
TEMPLATE_COLUMNS = list(COLUMNS)


def template(fmt: str = "xlsx") -> bytes:
    """An empty sheet with the header row, to fill in; the workbook also has a sheet of
    examples, one per item type (CSV: the header row only)."""
    headers = [header_text(c) for c in TEMPLATE_COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(headers)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook()
    items = book.active
    items.title = "items"
    examples = book.create_sheet("examples")
    for sheet in (items, examples):
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 18
        sheet.freeze_panes = "A2"
    for example in EXAMPLES:
        examples.append([example.get(c, "") for c in TEMPLATE_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
