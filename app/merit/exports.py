"""The machine-readable outputs of a published list: CSV and XLSX only. Their rows and columns
come from entries.py, their words from wording.py, who may download them from public.py.

CSV layout (UTF-8 with a BOM, so Excel reads the Thai): three LEADING comment lines starting
with "#", then the header row, then one row per entry in rank order:

    # sha256=<digest of the list's canonical content (docs/merit-lists.md), not of this file>
    # list=<id> version=<n> kind=<kind> track=<track> status=<status>
    # canonical={…the canonical content without its entries, as compact JSON…}
    ลำดับที่ / rank,เลขประจำตัวสอบ / application_number,ชื่อ-สกุล / name,คะแนนภาค ก / part_a,…

Leading rather than trailing, so the digest is read before the data it vouches for and a reader
that skips comments (pandas `comment="#"`, R `comment.char`) never takes it for an entry. The
CSV and XLSX carry every score an entry holds (a merit list's Part A too, an eligible list's room
and seat); with the third line the canonical content, and so the digest, can be rebuilt from the
CSV alone (a blank cell is null). The PDF shows the ranking parts only.
No output carries a national ID: rows are read column by column, never as whole user rows.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..common.thai import format_date
from .digest import canonical_dict
from .entries import columns_of, has_totals, rows_of, sources_by_rank
from .models import MeritList
from .wording import (
    KIND_EN,
    KIND_TH,
    STATUS_TH,
    TRACK_EN,
    TRACK_TH,
    bangkok_date,
    decided_by_en,
    decided_by_th,
    level_th,
    number_text,
    ranking_rule_en,
    ranking_rule_th,
)


def file_stem(merit_list: MeritList) -> str:
    """ "R12-2569-merit-general-v2": the download's file name without extension."""
    return f"{merit_list.round.code}-{merit_list.kind}-{merit_list.track}-v{merit_list.version}"


# ---- spreadsheet cells: never a formula ---------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell a spreadsheet will not run (OWASP CSV injection): one that begins with
    = + - @, a tab or a carriage return gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def canonical_line_json(content: dict) -> str:
    """The canonical content as compact JSON for the CSV's "# canonical=" line, with commas and
    formula starters inside strings written as \\u escapes: the same JSON to a parser, but a
    spreadsheet splitting the line at commas never finds a cell that begins a formula."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    out, in_string, escaped, string_start = [], False, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            elif ch == "," or (string_start and ch in "=+-@"):
                ch = f"\\u{ord(ch):04x}"
            string_start = False
        elif ch == '"':
            in_string, string_start = True, True
        out.append(ch)
    return "".join(out)


# ---- CSV ----------------------------------------------------------------------------------------
def to_csv(merit_list: MeritList) -> bytes:
    """The list as CSV: UTF-8 with BOM, two leading "#" lines (digest, identity), a Thai and
    English header row, one row per entry in rank order."""
    rows = rows_of(merit_list)
    columns = columns_of(merit_list, rows, every_score=True)
    totals = has_totals(rows)
    header_content = {k: v for k, v in canonical_dict(merit_list).items() if k != "entries"}
    out = io.StringIO()
    out.write(f"# sha256={merit_list.digest or ''}\r\n")
    out.write(
        f"# list={merit_list.id} version={merit_list.version} kind={merit_list.kind} "
        f"track={merit_list.track} status={merit_list.status}\r\n"
    )
    out.write("# canonical=" + canonical_line_json(header_content) + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    header = [
        "ลำดับที่ / rank",
        "เลขประจำตัวสอบ / application_number",
        "ชื่อ-สกุล / name",
        *[f"{c.th} / {c.key}" for c in columns],
    ]
    if totals:
        header.append("คะแนนรวม / total")
    header.append("อยู่ในลำดับที่ดีกว่าคนถัดไปเพราะ / decided_by")
    sources = sources_by_rank(merit_list)
    if sources is not None:  # format 2: each score's source is part of the content
        header.append("ที่มาของคะแนน / sources")
    writer.writerow(header)
    for row in rows:
        line = [
            row.rank,
            row.number,
            row.name_th,
            *[c.text(row) if c.numeric else c.value(row) for c in columns],
        ]
        if totals:
            line.append(number_text(row.total))
        line.append(
            f"{decided_by_th(row.decided_by)} ({decided_by_en(row.decided_by)})" if row.decided_by else ""
        )
        if sources is not None:
            line.append(
                json.dumps(
                    sources.get(row.rank) or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
                )
            )
        writer.writerow([csv_cell(v) for v in line])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# ---- XLSX ---------------------------------------------------------------------------------------
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E3EFE3")
_SCORE_FORMAT = "0.00"


def to_xlsx(merit_list: MeritList) -> bytes:
    """The list as a workbook: sheet "บัญชี" (the table: frozen header, numbers as numbers) and
    sheet "ข้อมูลบัญชี" (round, kind, track, version, dates, digest, ranking rule)."""
    rows = rows_of(merit_list)
    columns = columns_of(merit_list, rows, every_score=True)
    totals = has_totals(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = "บัญชี"
    header = ["ลำดับที่", "เลขประจำตัวสอบ", "ชื่อ-สกุล", *[c.th for c in columns]]
    widths = [10, 20, 34, *[16] * len(columns)]
    if totals:
        header.append("คะแนนรวม")
        widths.append(14)
    header.append("อยู่ในลำดับที่ดีกว่าคนถัดไปเพราะ")
    widths.append(30)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                row.rank,
                row.number,
                row.name_th,
                *[c.value(row) for c in columns],
                *([row.total] if totals else []),
                decided_by_th(row.decided_by),
            ]
        )
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    numeric = [4 + i for i, c in enumerate(columns) if c.numeric]
    if totals:
        numeric.append(4 + len(columns))
    for col in numeric:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = _SCORE_FORMAT
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"

    info = book.create_sheet("ข้อมูลบัญชี")
    for label, value in _info_rows(merit_list, len(rows)):
        info.append([label, value])
    for cell in info["A"]:
        cell.font = _BOLD
        cell.alignment = Alignment(vertical="top")
    for cell in info["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    info.column_dimensions["A"].width = 36
    info.column_dimensions["B"].width = 90
    for ws in (sheet, info):
        _no_formulas(ws)

    book.properties.title = merit_list.title_th
    book.properties.creator = "BMA Recruit"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _no_formulas(sheet) -> None:
    """Every text cell stays text (OWASP CSV injection, for XLSX): openpyxl would store a value
    beginning with "=" as a formula; such cells are typed as strings and marked quotePrefix, so
    Excel shows the text as written and does not turn it into a formula when it is edited."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


def _info_rows(merit_list: MeritList, count: int) -> list[tuple[str, object]]:
    round_ = merit_list.round
    rows = [
        ("บัญชี / list", merit_list.title_th),
        ("การสรรหา / round", f"{round_.title_th} ({round_.code})"),
        ("ตำแหน่ง / position", f"{round_.position.title_th} ระดับ{level_th(round_.position.level)}"),
        ("หน่วยงาน / agency", round_.agency.name_th),
        ("ประเภทรายชื่อ / kind", f"{KIND_TH[merit_list.kind]} ({KIND_EN[merit_list.kind]})"),
        ("ประเภทบัญชี / track", f"{TRACK_TH[merit_list.track]} ({TRACK_EN[merit_list.track]})"),
        ("ฉบับที่ / version", merit_list.version),
        ("สถานะ / status", f"{STATUS_TH[merit_list.status]} ({merit_list.status})"),
        ("วันที่ประกาศ / published", _dates(bangkok_date(merit_list))),
        ("ใช้ได้ถึง / valid until", _dates(merit_list.valid_until)),
        ("รหัสตรวจสอบ SHA-256 / digest", merit_list.digest or ""),
        ("เกณฑ์การจัดลำดับ / ranking rule", ranking_rule_th(merit_list)),
        ("Ranking rule", ranking_rule_en(merit_list)),
        ("จำนวนผู้มีรายชื่อ / entries", count),
    ]
    if merit_list.extended:
        rows.append(("การขยายอายุบัญชี / extension", merit_list.extension_reason))
    if merit_list.supersedes_id:
        rows.append(("แทนบัญชีเลขที่ / supersedes list", merit_list.supersedes_id))
        rows.append(("เหตุผลการแก้ไข / correction reason", merit_list.correction_reason))
    return rows


def _dates(value: date | None) -> str:
    """ "1 ธันวาคม 2569 (2026-12-01)": the Thai date for people, ISO for machines."""
    return f"{format_date(value, 'th')} ({value.isoformat()})" if value else ""
