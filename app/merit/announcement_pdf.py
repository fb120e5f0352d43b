"""The official announcement of a list (ประกาศกรุงเทพมหานคร เรื่อง รายชื่อ…) as a Thai A4 PDF.

Every page carries in its footer the list's SHA-256 digest, a QR code to the verify page and
"หน้า X / Y"; the table's header row repeats on each page. A draft or approved list (an HR
preview) is watermarked "ร่าง — ยังไม่ได้ประกาศ"; a superseded or cancelled one says so on its
first page and on every page.

The table is drawn with plain strings (numbers) and single shaped lines (names), not a Paragraph
per cell: a 1,000-entry list then renders in about a second instead of many.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, HRFlowable, KeepTogether, Spacer
from sqlalchemy import select

from ..audit.services import anchors_for
from ..common.dates import years_later
from ..documents.pdf import (
    CONTENT_WIDTH,
    FONT,
    FONT_BOLD,
    INK,
    MUTED,
    WARNING_RED,
    Footer,
    PagedTable,
    build_pdf,
    emblem,
    para,
    qr_code,
    register_fonts,
    styles,
    table,
    thai_date,
    verification_lines,
)
from ..extensions import db
from ..recruitment.models import StageKind
from ..scores.part_a import basis_statement_th
from .entries import Row, columns_of, full_total, has_totals, rows_of
from .models import ListKind, ListStatus, MeritList
from .public import is_public, part_a_basis
from .ranking import APPLICATION_NUMBER, TOTAL
from .readiness import unmet_conditions
from .wording import (
    DRAFT_MARK,
    ISSUER,
    MERIT_WHO,
    MODE_VERB,
    NBSP,
    PURPOSE,
    SIGNATORY_ON_BEHALF,
    SIGNATORY_TITLE,
    TRACK_NOTE,
    bangkok_date,
    formal_date,
    join_th,
    level_th,
    number_text,
    part_th,
    ranking_rule_th,
    whole,
)

SIGN_QR = 28 * mm
TABLE_FONT_SIZE = 11
# One line of 11-point Thai with room for marks stacked above and below (points).
LINE_HEIGHT = 14
LINE_BASELINE = 2.8
NOTE_WIDTH = 26 * mm
CELL_PADDING = 4  # left and right, in the table's body
ZEBRA = colors.HexColor("#f3f6f3")
GRID = colors.HexColor("#b5b5b5")


def render_announcement(merit_list: MeritList, verify_url: str | None) -> bytes:
    """The announcement of `merit_list` as PDF bytes. `verify_url` (/verify/list/<digest>) goes
    in every page's QR code; a list not yet published (no digest) has none and is watermarked."""
    rows = rows_of(merit_list)
    words = _Words.of(merit_list)
    published = is_public(merit_list)
    if published and not merit_list.digest:
        raise ValueError("a published list has a digest")
    s = _styles()
    closing = [para(text, s["indent"]) for text in _closing(merit_list, words, len(rows))]
    story = [
        emblem(),  # at the head, as on an official announcement
        *_status_banner(merit_list),
        *_heading(merit_list, words),
        para(_opening(merit_list, words), s["indent"]),
        para(f"การจัดลำดับที่ในบัญชีนี้ ให้{ranking_rule_th(merit_list)}", s["indent"]),
        *([para(basis_statement_th(basis), s["indent"])] if (basis := part_a_basis(merit_list)) else []),
        Spacer(1, 3 * mm),
        *_entries_table(merit_list, rows),
        Spacer(1, 4 * mm),
        *closing[:-1],
        # "จึงประกาศมาเพื่อทราบโดยทั่วกัน", the date and the signature stay on one page.
        KeepTogether([closing[-1], *_signature(merit_list, verify_url if published else None)]),
        *(
            verification_lines(
                merit_list.digest,
                "ตรวจสอบความถูกต้องและสถานะปัจจุบันของบัญชี (ใช้ได้ หมดอายุ หรือถูกแทนที่) ได้ที่ " + verify_url,
                _anchor_line(merit_list),
            )
            if published and verify_url
            else []
        ),
    ]
    position = merit_list.round.position
    title = f"{words.issuer_line} เรื่อง {words.subject}"
    footer = Footer(
        note=f"{title} ตำแหน่ง{position.title_th}"
        + (f" (ฉบับที่ {merit_list.version})" if merit_list.version > 1 else ""),
        digest=merit_list.digest if published else None,
        verify_url=verify_url if published else None,
        verify_hint="สแกนคิวอาร์โค้ดเพื่อตรวจสอบรายชื่อและสถานะของบัญชีนี้",
        unverified_note="" if published else f"{DRAFT_MARK} ยังไม่มีรหัสตรวจสอบ",
        watermark=_watermark(merit_list),
    )
    return build_pdf(story, title=title, subject=merit_list.title_th, footer=footer, author=ISSUER)


# ---- words of the announcement -------------------------------------------------------------
@dataclass(frozen=True)
class _Words:
    issuer_line: str  # ประกาศกรุงเทพมหานคร
    subject: str  # รายชื่อผู้สอบแข่งขันได้
    verb: str  # สอบแข่งขัน
    done: str  # what has been done before this list: ดำเนินการสอบแข่งขันเสร็จสิ้นแล้ว

    @classmethod
    def of(cls, merit_list: MeritList) -> _Words:
        round_ = merit_list.round
        verb = MODE_VERB.get(round_.mode, "คัดเลือก")
        examined = any(s.kind in (StageKind.PART_A, StageKind.PART_B) for s in round_.stages)
        if merit_list.kind == ListKind.ELIGIBLE:
            who = "ผู้มีสิทธิ์สอบ" if examined else "ผู้มีสิทธิ์เข้ารับการประเมิน"
            done = "ได้ตรวจสอบคุณสมบัติของผู้สมัครเรียบร้อยแล้ว"
        elif merit_list.kind == ListKind.PASSED_TO_PART_C:
            before = _stages_before_part_c(round_)
            who = f"ผู้ผ่าน{before} และมีสิทธิ์เข้ารับการประเมินภาค ค"
            done = f"ได้ดำเนิน{before} เสร็จสิ้นแล้ว"
        else:
            who = MERIT_WHO.get(round_.mode, "ผู้ผ่านการคัดเลือก")
            done = f"ได้ดำเนินการ{verb}เสร็จสิ้นแล้ว"
        if unmet_conditions(round_, merit_list.kind):
            # The round is not where this list needs it (a preview of a list prepared before
            # the gates, or a round still running): say no more than is true.
            done = "ได้ประมวลผลจากข้อมูลที่มีอยู่ ณ ขณะนี้ ซึ่งขั้นตอนยังดำเนินการไม่ครบถ้วน"
        return cls(issuer_line=f"ประกาศ{ISSUER}", subject=f"รายชื่อ{who}", verb=verb, done=done)


def _stages_before_part_c(round_) -> str:
    """ "การสอบภาค ก และภาค ข", "การประเมินคุณสมบัติ": what a candidate passed to reach Part C."""
    kinds = []
    for stage in sorted(round_.stages, key=lambda s: s.seq):
        if stage.kind == StageKind.PART_C:
            break
        kinds.append(stage.kind)
    exams = [part_th(k) for k in kinds if k in (StageKind.PART_A, StageKind.PART_B)]
    phrases = (["การประเมินคุณสมบัติ"] if StageKind.QUALIFICATIONS in kinds else []) + (
        [f"การสอบ{join_th(exams)}"] if exams else []
    )
    return join_th(phrases) if phrases else "การประเมินขั้นก่อนหน้า"


def _opening(merit_list: MeritList, words: _Words) -> str:
    round_ = merit_list.round
    position = round_.position
    track = f" ({TRACK_NOTE[merit_list.track]})" if merit_list.track in TRACK_NOTE else ""
    return (
        f"ตามที่{ISSUER}ได้ประกาศรับสมัคร{words.verb}{PURPOSE} ตำแหน่ง{position.title_th} "
        f"ระดับ{level_th(position.level)} สังกัด{round_.agency.name_th} "
        f"({round_.title_th} รหัส {round_.code}) โดยเปิดรับสมัครตั้งแต่วันที่ "
        f"{_day(round_.opens_at)} ถึงวันที่ {_day(round_.closes_at)} นั้น "
        f"บัดนี้ {words.done} จึงประกาศ{words.subject}{track} ตามลำดับที่ ดังต่อไปนี้"
    )


def _closing(merit_list: MeritList, words: _Words, count: int) -> list[str]:
    texts = [f"รวมทั้งสิ้น {count:,} ราย"]
    if merit_list.kind == ListKind.MERIT:
        texts.append(f"{ISSUER}จะเรียกผู้มีรายชื่อมารายงานตัว เพื่อบรรจุและแต่งตั้งตามลำดับที่ในบัญชี ตามจำนวนตำแหน่งว่างที่จะบรรจุ")
    validity = _validity(merit_list, words)
    if validity:
        texts.append(validity)
    if merit_list.supersedes_id or merit_list.version > 1:
        texts.append(_version_note(merit_list))
    texts.append("จึงประกาศมาเพื่อทราบโดยทั่วกัน")
    return texts


def _validity(merit_list: MeritList, words: _Words) -> str:
    """ "บัญชีนี้มีอายุ 2 ปี นับแต่วันประกาศ คือตั้งแต่วันที่ … ถึงวันที่ …" (merit lists only: the
    other lists are not used for appointments)."""
    if merit_list.kind != ListKind.MERIT:
        return ""
    published, until = bangkok_date(merit_list), merit_list.valid_until
    years = years_later(published, until)
    if published is None:  # a preview: the dates are fixed at publication
        span = f"มีอายุ {current_app.config['MERIT_LIST_VALID_YEARS']} ปี นับแต่วันประกาศ"
    elif merit_list.supersedes_id:  # a correction keeps the validity of the list it corrects
        span = f"ใช้ได้ถึงวันที่ {_day(until)} ตามอายุของบัญชีฉบับเดิม" if until else ""
    elif years and not merit_list.extended:
        span = f"มีอายุ {years} ปี นับแต่วันประกาศ คือตั้งแต่วันที่ {_day(published)} ถึงวันที่ {_day(until)}"
    else:
        span = f"ใช้ได้ตั้งแต่วันที่ {_day(published)} ถึงวันที่ {_day(until)}" if until else ""
    if not span:
        return ""
    text = f"บัญชีนี้{span} แต่ถ้ามีการ{words.verb}ในตำแหน่งเดียวกันนี้อีก และได้ประกาศบัญชีใหม่แล้ว บัญชีนี้เป็นอันยกเลิก"
    if merit_list.extended:
        text += f" ทั้งนี้ ได้ขยายอายุบัญชีแล้ว เนื่องจาก{merit_list.extension_reason}"
    return text


def _version_note(merit_list: MeritList) -> str:
    previous = db.session.get(MeritList, merit_list.supersedes_id) if merit_list.supersedes_id else None
    text = f"ประกาศนี้เป็นฉบับแก้ไข (ฉบับที่ {merit_list.version})"
    if previous is not None:
        text += f" ใช้แทนประกาศฉบับที่ {previous.version}"
        if previous.published_at:
            text += f" ลงวันที่ {_day(previous.published_at)}"
        if previous.digest:
            text += f" (รหัสตรวจสอบ {previous.digest[:16]}…)"
    if merit_list.correction_reason:
        text += f" เหตุผลการแก้ไข: {merit_list.correction_reason}"
    return text


def _day(value: date | datetime) -> str:
    """ "1 ธันวาคม 2569" with no-break spaces: a date is never split across two lines."""
    return thai_date(value).replace(" ", NBSP)


# ---- styles ------------------------------------------------------------------------------
def _style(name: str, **kw) -> ParagraphStyle:
    """A style of the shared toolkit's body (Sarabun, HarfBuzz shaping, no torn Thai words)."""
    kw.setdefault("leading", kw.get("fontSize", 12) * 1.5)
    return ParagraphStyle(name, parent=styles()["body"], **kw)


@functools.cache
def _styles() -> dict:
    register_fonts()
    return {
        "issuer": _style("ann_issuer", fontName=FONT_BOLD, fontSize=18, alignment=TA_CENTER),
        "subject": _style("ann_subject", fontName=FONT_BOLD, fontSize=15, alignment=TA_CENTER),
        "center": _style("ann_center", fontSize=13, alignment=TA_CENTER),
        "indent": _style("ann_indent", fontSize=13, firstLineIndent=20 * mm, spaceAfter=2),
        "th": _style("ann_th", fontName=FONT_BOLD, fontSize=10, alignment=TA_CENTER, leading=13.5),
        "table_note": _style("ann_table_note", fontSize=10, textColor=MUTED),
        "sign": _style("ann_sign", fontSize=13, alignment=TA_CENTER),
        "banner": _style(
            "ann_banner",
            fontName=FONT_BOLD,
            fontSize=13,
            alignment=TA_CENTER,
            textColor=WARNING_RED,
        ),
        "qr_caption": _style("ann_qr_caption", fontSize=9, textColor=MUTED),
    }


# ---- parts of the story -------------------------------------------------------------------
def _heading(merit_list: MeritList, words: _Words) -> list:
    round_ = merit_list.round
    position = round_.position
    s = _styles()
    lines = [
        para(words.issuer_line, s["issuer"]),
        para(f"เรื่อง {words.subject}", s["subject"]),
        para(f"ตำแหน่ง{position.title_th} ระดับ{level_th(position.level)}", s["subject"]),
        para(f"สังกัด{round_.agency.name_th}", s["center"]),
        para(round_.title_th, s["center"]),
    ]
    if merit_list.track in TRACK_NOTE:
        lines.append(para(f"({TRACK_NOTE[merit_list.track]})", s["subject"]))
    if merit_list.version > 1:
        lines.append(para(f"(ฉบับแก้ไข ฉบับที่ {merit_list.version})", s["center"]))
    lines.append(HRFlowable(width=40 * mm, thickness=0.8, color=INK, spaceBefore=4, spaceAfter=8))
    return lines


def _status_banner(merit_list: MeritList) -> list:
    if merit_list.status == ListStatus.SUPERSEDED:
        newer = db.session.scalar(
            select(MeritList)
            .where(MeritList.supersedes_id == merit_list.id)
            .order_by(MeritList.version.desc())
        )
        text = "บัญชีฉบับนี้ถูกแทนที่แล้ว"
        if newer is not None:
            text += f" โดยฉบับที่ {newer.version}"
            if newer.published_at:
                text += f" ประกาศเมื่อวันที่ {_day(newer.published_at)}"
        text += " โปรดใช้ฉบับปัจจุบัน"
    elif merit_list.status == ListStatus.CANCELLED and merit_list.withdrawal_requested_by_id:
        text = "บัญชีนี้ถูกเพิกถอนแล้ว"
        if merit_list.cancelled_at:
            text += f" เมื่อวันที่ {_day(merit_list.cancelled_at)}"
        if merit_list.cancel_reason:
            text += f" เนื่องจาก{merit_list.cancel_reason}"
    elif merit_list.status == ListStatus.CANCELLED:
        text = "บัญชีนี้ถูกยกเลิกแล้ว"
        if merit_list.cancelled_at:
            text += f" เมื่อวันที่ {_day(merit_list.cancelled_at)}"
        if merit_list.cancel_reason:
            text += f" เนื่องจาก{merit_list.cancel_reason}"
    elif merit_list.status in (ListStatus.DRAFT, ListStatus.APPROVED):
        text = f"{DRAFT_MARK} เอกสารนี้ใช้ตรวจทานภายในเท่านั้น ไม่ใช่ประกาศทางราชการ"
    else:
        return []
    box = table(
        [[para(text, _styles()["banner"])]],
        [CONTENT_WIDTH],
        [
            ("BOX", (0, 0), (-1, -1), 1, WARNING_RED),
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fbeaea")),
        ],
    )
    return [box, Spacer(1, 4 * mm)]


def _watermark(merit_list: MeritList) -> str:
    return {
        ListStatus.DRAFT: DRAFT_MARK,
        ListStatus.APPROVED: DRAFT_MARK,
        ListStatus.SUPERSEDED: "ฉบับที่ถูกแทนที่แล้ว",
        ListStatus.CANCELLED: "บัญชีที่ยกเลิกแล้ว",
    }.get(merit_list.status, "")


def _entries_table(merit_list: MeritList, rows: list[Row]) -> list:
    """The entries under a two-row header (the scores grouped under "คะแนน") that repeats on
    every page, and what its "หมายเหตุ" column means."""
    columns = columns_of(merit_list, rows)
    totals = has_totals(rows)
    note = any(row.decided_by not in ("", TOTAL) for row in rows)
    s = _styles()

    number_width = max(
        [30 * mm]
        + [pdfmetrics.stringWidth(r.number, FONT, TABLE_FONT_SIZE) + 2 * CELL_PADDING + 1 for r in rows]
    )
    # (top header, bottom header, width); a top of None joins the "คะแนน" group.
    heads = [("ลำดับที่", "", 15 * mm), ("เลขประจำตัวสอบ", "", number_width), ("ชื่อ - สกุล", "", 0)]
    for c in columns:
        if c.numeric:
            label = c.th.removeprefix("คะแนน")
            heads.append((None, label + (f"\n(เต็ม {whole(c.max_score)})" if c.max_score else ""), 17 * mm))
        else:
            heads.append((c.th, "", 22 * mm))
    if totals:
        full = full_total(merit_list)
        heads.append((None, "รวม" + (f"\n(เต็ม {whole(full)})" if full else ""), 18 * mm))
    if note:
        heads.append(("หมายเหตุ", "", NOTE_WIDTH))
    widths = [w for _t, _b, w in heads]
    widths[2] = CONTENT_WIDTH - sum(widths)
    grouped_cols = [i for i, (top, _b, _w) in enumerate(heads) if top is None]

    if grouped_cols:  # two header rows: "คะแนน" over the scores, the others span both rows
        data = [
            [
                para("คะแนน", s["th"]) if i == grouped_cols[0] else "" if top is None else para(top, s["th"])
                for i, (top, _b, _w) in enumerate(heads)
            ],
            ["" if top is not None else para(bottom, s["th"]) for top, bottom, _w in heads],
        ]
        commands = [
            ("SPAN", (grouped_cols[0], 0), (grouped_cols[-1], 0)),
            *[("SPAN", (i, 0), (i, 1)) for i, (top, _b, _w) in enumerate(heads) if top is not None],
        ]
    else:
        data, commands = [[para(top, s["th"]) for top, _b, _w in heads]], []
    header_rows = len(data)

    name_room = widths[2] - 2 * CELL_PADDING
    for row in rows:
        line = [
            str(row.rank),
            row.number,
            _text_cell(row.name_th, name_room),
            *[c.text(row) for c in columns],
        ]
        if totals:
            line.append(number_text(row.total))
        if note:
            line.append(_note_cell(row))
        data.append(line)

    first = 3
    numbers = [first + i for i, c in enumerate(columns) if c.numeric]
    if totals:
        numbers.append(first + len(columns))
    body = header_rows
    commands += [
        ("FONTSIZE", (0, body), (-1, -1), TABLE_FONT_SIZE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, body - 1), colors.HexColor("#e3efe3")),
        ("LINEBELOW", (0, body - 1), (-1, body - 1), 0.9, INK),
        ("TOPPADDING", (0, 0), (-1, body - 1), 2),
        ("LEFTPADDING", (0, 0), (-1, body - 1), 2),
        ("RIGHTPADDING", (0, 0), (-1, body - 1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, body - 1), 3),
        ("TOPPADDING", (0, body), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, body), (-1, -1), 1.5),
        ("LEFTPADDING", (0, body), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, body), (-1, -1), CELL_PADDING),
        ("ALIGN", (0, body), (1, -1), "CENTER"),
        *[
            ("ALIGN", (first + i, body), (first + i, -1), "CENTER")
            for i, c in enumerate(columns)
            if not c.numeric
        ],
        *[("ALIGN", (col, body), (col, -1), "RIGHT") for col in numbers],
    ]
    if totals:
        commands.append(("FONTNAME", (numbers[-1], body), (numbers[-1], -1), FONT_BOLD))
    if len(rows) > 1:
        commands.append(("ROWBACKGROUNDS", (0, body), (-1, -1), [colors.white, ZEBRA]))
    # Row heights known up front spare ReportLab from measuring every remaining row again
    # each time it splits the table at a page end.
    # (A page's rows at a time: one Table of 10,000 rows re-measured at every page end took
    # most of the time; documents.pdf.PagedTable.)
    heights = [_row_height(line, widths) for line in data[header_rows:]]
    entries = PagedTable(data[:header_rows], data[header_rows:], widths, commands, heights)
    if not note:
        return [entries]
    return [
        entries,
        Spacer(1, 1.5 * mm),
        para(
            "หมายเหตุ: กรณีคะแนนรวมเท่ากับผู้อยู่ในลำดับถัดไป "
            "ระบุเกณฑ์ที่ตัดสินให้อยู่ในลำดับที่ดีกว่า "
            "คือ คะแนนภาคที่ระบุสูงกว่า หรือเลขประจำตัวสอบน้อยกว่า",
            s["table_note"],
        ),
    ]


def _row_height(cells: list, widths: list[float]) -> float:
    tallest = TABLE_FONT_SIZE * 1.2  # a plain string's leading
    for cell, width in zip(cells, widths):
        if isinstance(cell, Flowable):
            tallest = max(tallest, cell.wrap(width - 2 * CELL_PADDING, 10_000)[1])
    return tallest + 3  # the 1.5 + 1.5 padding


def _note_cell(row: Row):
    """Why an entry whose total ties with the next one sits above it: "ภาค ข สูงกว่า"."""
    if row.decided_by in ("", TOTAL):  # a higher total, or the last entry
        return ""
    key = row.decided_by
    if key == APPLICATION_NUMBER:
        words = "เลขประจำตัวสอบ"
    else:
        words = f"{'คุณสมบัติ' if key == StageKind.QUALIFICATIONS else part_th(key)} สูงกว่า"
    return _text_cell(words, NOTE_WIDTH - 2 * CELL_PADDING, size=9)


class _Line(Flowable):
    """One shaped line of text in a table cell, far cheaper than a Paragraph per name."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.text, self.size = text, size

    def wrap(self, avail_width, avail_height):
        return avail_width, LINE_HEIGHT

    def draw(self):
        self.canv.setFont(FONT, self.size)
        self.canv.setFillColor(INK)
        # The baseline where the table sets its plain-string cells of the same row.
        self.canv.drawString(0, LINE_BASELINE, self.text, shaping=True)


def _text_cell(text: str, room: float, size: float = TABLE_FONT_SIZE):
    """Text as one shaped line when it fits (a little smaller if need be), else a paragraph."""
    for smaller in (size, size - 1, size - 1.5):
        if pdfmetrics.stringWidth(text, FONT, smaller) <= room:
            return _Line(text, smaller)
    return para(text, _cell_style(size))


@functools.cache
def _cell_style(size: float) -> ParagraphStyle:
    return _style(f"ann_cell_{size}", fontSize=size, leading=size * 1.35)


def _signature(merit_list: MeritList, verify_url: str | None) -> list:
    """The date, and the issuing authority's signature block on the right; on the left the QR
    code to the verify page (a list not yet published has none)."""
    s = _styles()
    published = bangkok_date(merit_list)
    on = (
        f"ประกาศ ณ วันที่ {formal_date(published)}"
        if published
        else "ประกาศ ณ วันที่ ............................................"
    )
    block = [
        Spacer(1, 12 * mm),
        para("(ลงชื่อ) ..................................................", s["sign"]),
        para("(..................................................)", s["sign"]),
        para(SIGNATORY_TITLE, s["sign"]),
        para(SIGNATORY_ON_BEHALF, s["sign"]),
    ]
    left = (
        [qr_code(verify_url, SIGN_QR), para("สแกนเพื่อตรวจสอบประกาศนี้", s["qr_caption"])] if verify_url else ""
    )
    box = table(
        [[left, block]],
        [CONTENT_WIDTH * 0.35, CONTENT_WIDTH * 0.65],
        [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
        ],
    )
    return [Spacer(1, 3 * mm), para(on, s["sign"]), box]


def _anchor_line(merit_list: MeritList) -> str:
    """The audit chain's head recorded when the list was published (docs/audit.md): a printed
    copy the database cannot rewrite."""
    found = next(
        (a for a in anchors_for("merit_lists", merit_list.id) if a.reason == "merit_list.publish"), None
    )
    if found is None:
        return ""
    return f"จุดยึดบันทึกการตรวจสอบ (audit anchor) ณ การประกาศ: ลำดับที่ {found.seq} แฮช {found.hash}"
