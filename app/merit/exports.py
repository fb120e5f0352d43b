"""The machine-readable outputs of a published list (CSV, XLSX) and what every output of a list
shares: its rows, its columns, the names of its parts, its ranking rule in words, and who may
download it.

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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..common.access import is_hr_of
from ..common.clock import BANGKOK
from ..common.errors import NotAllowed, NotFound
from ..common.thai import format_date
from ..extensions import db
from ..recruitment.models import StageKind
from .digest import canonical_dict, content_matches
from .entries import ranked_entries
from .models import CONTENT_FORMAT_1, ListKind, ListStatus, MeritEntry, MeritList, Track

PUBLIC_STATUSES = (ListStatus.PUBLISHED, ListStatus.SUPERSEDED, ListStatus.CANCELLED)
PREVIEW_STATUSES = (ListStatus.DRAFT, ListStatus.APPROVED)
TOTAL = "total"
APPLICATION_NUMBER = "application_number"

PART_TH = {
    StageKind.PART_A: "ภาค ก",
    StageKind.PART_B: "ภาค ข",
    StageKind.PART_C: "ภาค ค",
    StageKind.QUALIFICATIONS: "การประเมินคุณสมบัติ",
}
PART_EN = {
    StageKind.PART_A: "Part A",
    StageKind.PART_B: "Part B",
    StageKind.PART_C: "Part C",
    StageKind.QUALIFICATIONS: "qualifications review",
}
# What an eligible-to-sit list carries instead of scores: where each candidate sits.
SEATING = {"room": ("ห้องสอบ", "room"), "seat": ("เลขที่นั่งสอบ", "seat")}
TRACK_TH = {
    Track.GENERAL: "บัญชีทั่วไป",
    Track.DISABILITY: "บัญชีสำหรับคนพิการ",
    Track.SHORTAGE: "บัญชีสำหรับผู้มีวุฒิที่ขาดแคลน",
}
TRACK_EN = {
    Track.GENERAL: "general",
    Track.DISABILITY: "persons with disabilities",
    Track.SHORTAGE: "shortage qualifications",
}
KIND_TH = {
    ListKind.MERIT: "บัญชีผู้สอบแข่งขันได้ / ผู้ได้รับการคัดเลือก",
    ListKind.ELIGIBLE: "รายชื่อผู้มีสิทธิ์สอบ / เข้ารับการประเมิน",
    ListKind.PASSED_TO_PART_C: "รายชื่อผู้มีสิทธิ์เข้ารับการประเมินภาค ค",
}
KIND_EN = {
    ListKind.MERIT: "merit list",
    ListKind.ELIGIBLE: "eligible to sit",
    ListKind.PASSED_TO_PART_C: "passed to Part C",
}
STATUS_TH = {
    ListStatus.DRAFT: "ร่าง",
    ListStatus.APPROVED: "อนุมัติแล้ว รอประกาศ",
    ListStatus.PUBLISHED: "ประกาศแล้ว",
    ListStatus.SUPERSEDED: "ถูกแทนที่ด้วยฉบับใหม่",
    ListStatus.CANCELLED: "ยกเลิก",
}


# ---- the rows and columns of a list -----------------------------------------------------------
@dataclass(frozen=True)
class Row:
    rank: int
    number: str  # the application number (เลขประจำตัวสอบ)
    name_th: str
    values: dict  # the entry's scores (or room and seat) as stored
    total: Decimal | None
    decided_by: str


@dataclass(frozen=True)
class Column:
    key: str  # a stage kind, "room", "seat"
    th: str
    en: str
    numeric: bool
    max_score: Decimal | None = None

    def value(self, row: Row):
        """A score as a Decimal (None when missing), anything else as text."""
        raw = row.values.get(self.key)
        return to_decimal(raw) if self.numeric else ("" if raw is None else str(raw))

    def text(self, row: Row) -> str:
        value = self.value(row)
        return number_text(value) if self.numeric else value


def rows_of(merit_list: MeritList) -> list[Row]:
    """The entries in rank order, with only what is published (never the national ID)."""
    return [
        Row(e.rank, e.number, e.name_th, e.scores, to_decimal(e.total), e.decided_by)
        for e in ranked_entries(merit_list)
    ]


def sources_by_rank(merit_list: MeritList) -> dict[int, dict] | None:
    """Each entry's score sources by rank (None for a list of canonical format 1, which
    published no sources)."""
    if (merit_list.content_format or CONTENT_FORMAT_1) == CONTENT_FORMAT_1:
        return None
    return dict(
        db.session.execute(
            select(MeritEntry.rank, MeritEntry.sources).where(MeritEntry.list_id == merit_list.id)
        ).all()
    )


def ranking_stages(merit_list: MeritList) -> list[tuple[str, Decimal]]:
    """The ranking parts as (stage kind, weight): stored as [{"stage", "weight"}, …]."""
    out = []
    for part in merit_list.ranking_parts or []:
        if isinstance(part, dict):
            out.append((part["stage"], Decimal(str(part.get("weight", "1")))))
        else:
            out.append((str(part), Decimal(1)))
    return out


def columns_of(merit_list: MeritList, rows: list[Row], every_score: bool = False) -> list[Column]:
    """The columns after rank, number and name (the total comes separately): what the entries
    hold (the stages' scores in stage order; room and seat on the list of those eligible to
    sit), or for the announcement of a merit list (`every_score` False) its ranking parts."""
    stages = {s.kind: s for s in merit_list.round.stages}
    seen = []
    for row in rows:
        seen.extend(k for k in row.values if k not in seen)
    if merit_list.kind == ListKind.MERIT and merit_list.ranking_parts and not every_score:
        keys = [k for k, _w in ranking_stages(merit_list)]
    else:
        keys = [k for k in StageKind.ALL if k in seen] + [k for k in seen if k not in StageKind.ALL]
    columns = []
    for key in keys:
        if key in SEATING:
            columns.append(Column(key, *SEATING[key], numeric=False))
        else:
            numeric = all(_is_number(row.values.get(key)) for row in rows)
            stage = stages.get(key)
            columns.append(
                Column(
                    key,
                    f"คะแนน{part_th(key)}",
                    f"{part_en(key)} score",
                    numeric,
                    stage.max_score if stage else None,
                )
            )
    return columns


def has_totals(rows: list[Row]) -> bool:
    return any(row.total is not None for row in rows)


def full_total(merit_list: MeritList) -> Decimal | None:
    """The total's full marks: Σ weight × the stage's full marks over the ranking parts."""
    stages = {s.kind: s for s in merit_list.round.stages}
    parts = ranking_stages(merit_list)
    if not parts or any(k not in stages for k, _w in parts):
        return None
    return sum((w * stages[k].max_score for k, w in parts), Decimal(0))


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _is_number(value) -> bool:
    return value is None or value == "" or to_decimal(value) is not None


def number_text(value: Decimal | None) -> str:
    """Scores as published: two decimals ("150.00"), blank when there is none."""
    return "" if value is None else f"{value:.2f}"


def whole(value: Decimal) -> str:
    """Full marks as people write them: 200, 150.5."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"


# ---- words ------------------------------------------------------------------------------------
def part_th(part: str) -> str:
    return PART_TH.get(part, part)


def part_en(part: str) -> str:
    return PART_EN.get(part, part.replace("_", " "))


def join_th(items: list[str]) -> str:
    """ "ภาค ก ภาค ข และภาค ค": Thai lists put และ before the last item only."""
    return items[0] if len(items) == 1 else " ".join(items[:-1]) + " และ" + items[-1]


def join_en(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _tie_chain(merit_list: MeritList) -> list[str]:
    """The tie-break chain after the total (a leading "total" is the ranking itself)."""
    return [k for k in merit_list.tie_break or [] if k != TOTAL]


def _weights_th(parts: list[tuple[str, Decimal]]) -> str:
    if all(w == 1 for _k, w in parts):
        return ""
    return " โดยคิดน้ำหนัก" + "".join(f" {part_th(k)} {whole(w)} เท่า" for k, w in parts)


def ranking_rule_th(merit_list: MeritList) -> str:
    """The ranking rule and tie-break chain in formal Thai, as printed on the announcement:
    "เรียงลำดับจากผู้ได้คะแนนรวมภาค ข และภาค ค สูงสุดลงมา กรณีคะแนนรวมเท่ากัน ให้ผู้ได้คะแนน
    ภาค ข สูงกว่าอยู่ในลำดับที่ดีกว่า หากยังเท่ากันอีก ให้ผู้มีเลขประจำตัวสอบน้อยกว่า…"."""
    parts = ranking_stages(merit_list)
    if merit_list.kind != ListKind.MERIT or not parts:
        return "เรียงตามเลขประจำตัวสอบ"
    if len(parts) == 1:
        text = f"เรียงลำดับจากผู้ได้คะแนน{part_th(parts[0][0])} สูงสุดลงมา"
        tie = f"กรณีคะแนน{part_th(parts[0][0])} เท่ากัน"
    else:
        text = (
            f"เรียงลำดับจากผู้ได้คะแนนรวม{join_th([part_th(k) for k, _w in parts])}{_weights_th(parts)} สูงสุดลงมา"
        )
        tie = "กรณีคะแนนรวมเท่ากัน"
    for n, key in enumerate(_tie_chain(merit_list)):
        text += f" {tie if n == 0 else 'หากยังเท่ากันอีก'} ให้{_better_th(key)}อยู่ในลำดับที่ดีกว่า"
    return text


def ranking_rule_en(merit_list: MeritList) -> str:
    parts = ranking_stages(merit_list)
    if merit_list.kind != ListKind.MERIT or not parts:
        return "In order of application number."
    names = [part_en(k) + ("" if w == 1 else f" (x{whole(w)})") for k, w in parts]
    what = f"the {names[0]} score" if len(parts) == 1 else f"the total of {join_en(names)}"
    text = f"Ranked by {what}, highest first"
    for n, key in enumerate(_tie_chain(merit_list)):
        text += f"; {'if equal' if n == 0 else 'if still equal'}, {_better_en(key)} ranks first"
    return text + "."


def _better_th(key: str) -> str:
    if key == APPLICATION_NUMBER:
        return "ผู้มีเลขประจำตัวสอบน้อยกว่า"
    return f"ผู้ได้คะแนน{part_th(key)} สูงกว่า"


def _better_en(key: str) -> str:
    return (
        "the earlier application number" if key == APPLICATION_NUMBER else f"the higher {part_en(key)} score"
    )


def decided_by_th(key: str) -> str:
    """Why an entry sits above the next one: "คะแนนภาค ข สูงกว่า"; "" for the last entry."""
    if not key:
        return ""
    if key == APPLICATION_NUMBER:
        return "เลขประจำตัวสอบน้อยกว่า"
    return f"คะแนน{'รวม' if key == TOTAL else part_th(key)} สูงกว่า"


def decided_by_en(key: str) -> str:
    if not key:
        return ""
    if key == APPLICATION_NUMBER:
        return "earlier application number"
    return "higher total" if key == TOTAL else f"higher {part_en(key)} score"


def bangkok_date(merit_list: MeritList) -> date | None:
    """The day the list was announced, in Bangkok."""
    return merit_list.published_at.astimezone(BANGKOK).date() if merit_list.published_at else None


def level_th(level: str) -> str:
    """Levels are stored as "ปฏิบัติการ / Operational" or in Thai only: the Thai half."""
    return level.split(" / ")[0].strip()


# ---- who may download ---------------------------------------------------------------------------
def is_public(merit_list: MeritList) -> bool:
    """Published, or published and then superseded or cancelled (a public record either way:
    the announcement says which). A draft cancelled before publication never was."""
    return merit_list.status in PUBLIC_STATUSES and merit_list.published_at is not None


def list_for_download(list_id: int, viewer=None, *, allow_preview: bool = False) -> MeritList:
    """The list whose outputs `viewer` may download: a public list (`is_public`), for anyone;
    a draft or approved one only as a preview (`allow_preview`) for HR of the round's agency.
    Anything else is NotFound, so no one learns that an unpublished list exists.

    A published list whose stored content no longer hashes to its digest is refused: its
    outputs would vouch for a digest that does not match them.
    """
    merit_list = db.session.get(MeritList, list_id)
    if merit_list is None:
        raise NotFound(_("No such list."))
    if is_public(merit_list):
        if not content_matches(merit_list):
            raise NotAllowed(
                _(
                    "This list's content does not match its published digest. "
                    "Please contact the agency that published it."
                )
            )
        return merit_list
    if (
        allow_preview
        and merit_list.status in PREVIEW_STATUSES
        and is_hr_of(viewer, merit_list.round.agency_id)
    ):
        return merit_list
    raise NotFound(_("No such list."))


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
