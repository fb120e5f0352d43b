"""The shared Thai PDF toolkit: Sarabun fonts shaped by HarfBuzz, A4 pages numbered "หน้า X / Y",
QR codes, Buddhist Era dates and Thai line breaking. Documents build a story from these and call
`build_pdf`, which returns the PDF bytes. Every PDF of the app goes through it: the admission
ticket, the certificate, the interview score sheet and daily schedule, and the merit-list
announcement, whose `Footer` adds the list's digest, a QR code to its verify page and a
watermark on a draft, superseded or withdrawn copy.

Shaping: ReportLab (4.x/5.x) shapes text through HarfBuzz when `uharfbuzz` is importable, the
TTFont is `shapable` (the default unless `rl_config.unShapedFontGlob` matches it) and the
paragraph style has `shaping=1`; canvas strings need `shaping=True`. Without it Thai tone marks
vanish after upper vowels (ที่ prints as ที) or collide with them (ปั้น, ฝ้าย).

Line breaking: ReportLab breaks lines at spaces only. Its fallback for a word wider than the line
(`splitLongWords`) cuts at any character, which splits Thai syllables (ต้องป|ฏิบัติ, กํ|าหนด) and,
with shaping on, prints tofu boxes when such a paragraph is later split across pages (HarfBuzz
re-shapes the private-use glyph codes ReportLab substituted). Zero-width spaces do not help: the
shaped text prints them as a full space. So our styles turn `splitLongWords` off, Thai text is
broken at its spaces (which Thai writing puts between phrases), and `ThaiParagraph` breaks only
a run that cannot fit on a line, never inside a character cluster and preferably where a
syllable surely starts (see `break_points`). A real word segmenter (PyThaiNLP, ICU) would pick
better points but is too heavy a dependency for the names and titles on our documents.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape

import fontpkg_sarabun
from flask import current_app, has_app_context
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..common.clock import BANGKOK
from ..common.thai import format_date

FONT = "Sarabun"
FONT_BOLD = "Sarabun-Bold"
FONT_ITALIC = "Sarabun-Italic"
FONT_BOLD_ITALIC = "Sarabun-BoldItalic"
_FONT_FILES = {
    FONT: "Sarabun-Regular.ttf",
    FONT_BOLD: "Sarabun-Bold.ttf",
    FONT_ITALIC: "Sarabun-Italic.ttf",
    FONT_BOLD_ITALIC: "Sarabun-BoldItalic.ttf",
}

PAGE_SIZE = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 20 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - MARGIN_LEFT - MARGIN_RIGHT

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#7a7a7a")
BMA_GREEN = colors.HexColor("#1b5e20")  # the BMA's green, used sparingly for rules and titles

WEEKDAYS_TH = ["จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์"]


# ---- fonts and styles ---------------------------------------------------------------------
@functools.cache
def register_fonts() -> None:
    """Register the Sarabun family with ReportLab once per process (shapable TrueType fonts)."""
    files = fontpkg_sarabun.ROOT / "files"
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(files / filename), shapable=True))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )


# ---- copy, search and screen readers: the text behind shaped glyphs --------------------------
# HarfBuzz draws some Thai with variant glyphs that have no Unicode code point of their own: the
# mai ek raised over sara ii in ที่ ("uni0E48.small"), the ligature of nikhahit and mai tho in
# ก้ำ ("uni0E4D0E49"), ฬ shortened under sara i in นาฬิกา ("loChulathai.short"). ReportLab gives
# each such glyph a private-use code (U+E000…) and writes that code into the PDF's ToUnicode
# map, so copying, searching or reading the document aloud loses the mark (ที่ reads as ที).
# The glyphs' names say which characters they draw, so the map can say it too.
_UNI_NAME = re.compile(r"^uni((?:[0-9A-F]{4})+)$")
_THAI_LETTER_NAMES = {
    "yoYingthai": "\u0e0d",
    "doChadathai": "\u0e0e",
    "toPatakthai": "\u0e0f",
    "thoThanthai": "\u0e10",
    "loChulathai": "\u0e2c",
}
_TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"
_NIKHAHIT = "\u0e4d"


def glyph_text(name: str, nominal=lambda part: None) -> str | None:
    """The characters a glyph draws, from its name: `uniXXXX[YYYY…]`, a Thai letter's name, or
    parts joined by "_", each with an optional ".variant" suffix; `nominal(part)` gives the
    character of any other plain glyph name. In logical order (a tone mark before the nikhahit
    of sara am, as in the compatibility form of ก้ำ). None when a part is unknown."""
    text = ""
    for part in name.split(".", 1)[0].split("_"):
        m = _UNI_NAME.match(part)
        if m:
            hexes = m.group(1)
            text += "".join(chr(int(hexes[i : i + 4], 16)) for i in range(0, len(hexes), 4))
        elif part in _THAI_LETTER_NAMES:
            text += _THAI_LETTER_NAMES[part]
        elif part and (char := nominal(part)):
            text += char
        else:
            return None
    if len(text) == 2 and text[0] == _NIKHAHIT and text[1] in _TONE_MARKS:
        text = text[1] + text[0]
    return text


def _private_use_texts(base_font_name: str) -> dict[int, str]:
    """For the registered font behind a PDF subset name ("AAAAAA+Sarabun-Regular"), the text of
    each private-use code ReportLab gave a shaped glyph."""
    face_name = base_font_name.split("+", 1)[-1]
    for name in _FONT_FILES:
        font = pdfmetrics.getFont(name)
        if (font.face.name + font.face.subfontNameX).decode("latin-1") != face_name:
            continue
        # ReportLab keeps glyph name -> private-use code in a private attribute.
        codes = getattr(font, "_TTFont__hbUnis", None) or {}
        if not codes:
            return {}
        hb_font = font.hbFont()

        def nominal(part: str, hb_font=hb_font, font=font) -> str | None:
            gid = hb_font.get_glyph_from_name(part)
            chars = [c for c in font.face.glyphToChar.get(gid, ()) if not 0xE000 <= c <= 0xF8FF]
            return chr(chars[0]) if gid is not None and chars else None

        return {
            code: text for glyph, code in codes.items() if (text := glyph_text(glyph, nominal)) is not None
        }
    return {}


def _to_unicode_cmap(base_font_name: str, subset) -> str:
    cmap = _reportlab_to_unicode_cmap(base_font_name, subset)
    texts = _private_use_texts(base_font_name)
    for index, code in enumerate(subset):
        if code in texts:
            utf16 = texts[code].encode("utf-16-be").hex().upper()
            cmap = cmap.replace(f"<{index:02X}> <{code:04X}>\n", f"<{index:02X}> <{utf16}>\n", 1)
    return cmap


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap
ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def shaping_active() -> bool:
    """True when every Sarabun face goes through HarfBuzz (uharfbuzz importable, fonts shapable)."""
    register_fonts()
    return all(pdfmetrics.getFont(name).shapable for name in _FONT_FILES)


def _style(name: str, **kw) -> ParagraphStyle:
    # Thai needs about 1.5 times the font size between lines for marks stacked above and below.
    base = dict(fontName=FONT, fontSize=12, textColor=INK, shaping=1, splitLongWords=0)
    base.update(kw)
    base.setdefault("leading", base["fontSize"] * 1.5)
    return ParagraphStyle(name, **base)


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles: title, subtitle, heading, body, label, small, name, number and
    centred variants."""
    register_fonts()
    s = {
        "title": _style(
            "title", fontName=FONT_BOLD, fontSize=20, alignment=TA_CENTER, textColor=BMA_GREEN, spaceAfter=2
        ),
        "subtitle": _style("subtitle", fontName=FONT_BOLD, fontSize=14, alignment=TA_CENTER),
        "heading": _style(
            "heading", fontName=FONT_BOLD, fontSize=13, spaceBefore=8, spaceAfter=3, textColor=BMA_GREEN
        ),
        "body": _style("body"),
        "label": _style("label", fontSize=11, textColor=MUTED),
        "small": _style("small", fontSize=9, textColor=MUTED),
    }
    s["body_bold"] = _style("body_bold", fontName=FONT_BOLD)
    s["body_center"] = _style("body_center", alignment=TA_CENTER)
    s["name"] = _style("name", fontName=FONT_BOLD, fontSize=15)
    s["name_center"] = _style("name_center", fontName=FONT_BOLD, fontSize=18, alignment=TA_CENTER)
    s["code"] = _style("code", fontName=FONT_BOLD, fontSize=14, textColor=BMA_GREEN)
    s["number"] = _style("number", fontName=FONT_BOLD, fontSize=30, leading=38, textColor=BMA_GREEN)
    s["small10"] = _style("small10", fontSize=10, textColor=MUTED)
    s["small_center"] = _style("small_center", fontSize=9, textColor=MUTED, alignment=TA_CENTER)
    # A document's fine print that must still be read at arm's length (a ticket's rules).
    s["compact"] = _style("compact", fontSize=10, leading=14.5)
    s["compact_center"] = _style("compact_center", fontSize=10.5, leading=15, alignment=TA_CENTER)
    s["number_compact"] = _style(
        "number_compact", fontName=FONT_BOLD, fontSize=26, leading=33, textColor=BMA_GREEN
    )
    s["value_compact"] = _style("value_compact", fontSize=11, leading=16)
    s["name_compact"] = _style("name_compact", fontName=FONT_BOLD, fontSize=14)
    s["subtitle_compact"] = _style("subtitle_compact", fontName=FONT_BOLD, fontSize=12, alignment=TA_CENTER)
    s["signature_line"] = _style("signature_line", fontSize=11, alignment=TA_RIGHT)
    s["heading_compact"] = _style(
        "heading_compact", fontName=FONT_BOLD, fontSize=12, spaceBefore=5, spaceAfter=2, textColor=BMA_GREEN
    )
    return s


# ---- Thai line breaking ---------------------------------------------------------------------
_COMBINING = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))
_FOLLOWING_VOWELS = frozenset("ะาำๅ")
_LEADING_VOWELS = frozenset("เแโใไ")
_SYLLABLE_ENDS = frozenset("ะำ์ๆ")  # nothing of the syllable can follow these
# Words on our documents that must never be torn, and whose edges are good places to break.
KEEP_WHOLE = (
    "กรุงเทพมหานคร",
    "ข้าราชการ",
    "คณะกรรมการ",
    "สำนักงาน",
    "ความสามารถ",
    "ความรู้",
    "ผู้สมัคร",
    "ผู้เข้าสอบ",
    "ตำแหน่ง",
    "ปฏิบัติ",
)


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def break_points(run: str) -> dict[int, bool]:
    """Where a line may end inside a space-free run: {index: good?} meaning "before run[index]".

    Never inside a character cluster (before a combining mark or ะ า ำ, after เ แ โ ใ ไ) or inside
    a KEEP_WHOLE word. A point is good when a syllable surely starts there: before a leading
    vowel, after ะ ำ ์ ๆ, at a KEEP_WHOLE word's edge, where Thai meets other script, or before
    a URL's / ? &.
    """
    inside, edges = set(), set()
    for word in KEEP_WHOLE:
        start = run.find(word)
        while start >= 0:
            inside.update(range(start + 1, start + len(word)))
            edges.update((start, start + len(word)))
            start = run.find(word, start + 1)
    points = {}
    for i in range(1, len(run)):
        ch, prev = run[i], run[i - 1]
        if ch in _COMBINING or ch in _FOLLOWING_VOWELS or prev in _LEADING_VOWELS or i in inside:
            continue
        points[i] = (
            ch in _LEADING_VOWELS
            or prev in _SYLLABLE_ENDS
            or i in edges
            or _is_thai(ch) != _is_thai(prev)
            or ch in "/?&"
        )  # "/?&": inside URLs
    return points


def _cut(run: str, font_name: str, font_size: float, limit: float) -> int:
    """Where to break a run too wide for `limit`: the last good point that fills at least half
    the line, else the last point that fits; 0 if not even one cluster fits."""
    fitting = [
        (i, good)
        for i, good in sorted(break_points(run).items())
        if pdfmetrics.stringWidth(run[:i], font_name, font_size) <= limit
    ]
    good = [
        i for i, ok in fitting if ok and pdfmetrics.stringWidth(run[:i], font_name, font_size) >= limit / 2
    ]
    return good[-1] if good else (fitting[-1][0] if fitting else 0)


def fit_long_runs(text: str, font_name: str, font_size: float, width: float) -> str:
    """`text` with a newline inside each space-free run wider than `width` (see `break_points`).

    Runs that fit are left whole: ReportLab will break between them at the spaces.
    """
    limit = width * 0.98  # shaped widths can differ a little from the plain metrics
    lines = []
    for line in text.split("\n"):
        runs = []
        for run in line.split(" "):
            while pdfmetrics.stringWidth(run, font_name, font_size) > limit:
                cut = _cut(run, font_name, font_size, limit)
                if not cut:  # not even one cluster fits: let it overflow rather than tear it
                    break
                runs.append(run[:cut] + "\n")
                run = run[cut:]
            runs.append(run)
        lines.append(" ".join(runs).replace("\n ", "\n"))
    return "\n".join(lines)


def _markup(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


class ThaiParagraph(Paragraph):
    """Plain text (no markup) whose runs too wide for the line break at `break_points`."""

    def __init__(self, text, style=None, *args, **kwargs):
        # ReportLab itself calls this with (None, style, frags=...) when it splits a paragraph.
        super().__init__(text, style, *args, **kwargs)
        self._plain: str | None = None
        self._fitted_for: float | None = None

    @classmethod
    def of(cls, text: str, style: ParagraphStyle) -> ThaiParagraph:
        p = cls(_markup(text), style)
        p._plain = text
        return p

    def wrap(self, availWidth, availHeight):
        if self._plain is not None and availWidth != self._fitted_for:
            self._fitted_for = availWidth
            st = self.style
            usable = availWidth - st.leftIndent - st.rightIndent - max(st.firstLineIndent, 0)
            Paragraph.__init__(
                self, _markup(fit_long_runs(self._plain, st.fontName, st.fontSize, usable)), st
            )
        return super().wrap(availWidth, availHeight)


def para(text: str, style: str | ParagraphStyle = "body") -> Paragraph:
    """A paragraph of plain text (escaped; "\\n" starts a new line) in one of `styles()`."""
    return ThaiParagraph.of(text, styles()[style] if isinstance(style, str) else style)


# ---- Buddhist Era dates and Bangkok times ---------------------------------------------------
def _bangkok(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("documents need timezone-aware datetimes (stored times are UTC)")
    return value.astimezone(BANGKOK)


def thai_date(value: date | datetime, weekday: bool = False) -> str:
    """ "25 พฤศจิกายน 2569", or with the weekday "วันพุธที่ 25 พฤศจิกายน 2569" (Bangkok date)."""
    day = _bangkok(value).date() if isinstance(value, datetime) else value
    text = format_date(day, "th")
    return f"วัน{WEEKDAYS_TH[day.weekday()]}ที่ {text}" if weekday else text


def thai_time(value: datetime) -> str:
    """ "09.00 น." in Bangkok time, the way Thai official documents write the time."""
    return _bangkok(value).strftime("%H.%M น.")


def thai_datetime(value: datetime) -> str:
    """ "วันพุธที่ 25 พฤศจิกายน 2569 เวลา 09.00 น."."""
    return f"{thai_date(value, weekday=True)} เวลา {thai_time(value)}"


# ---- flowables ---------------------------------------------------------------------------------
def qr_code(url: str, size: float = 32 * mm) -> QrCode:
    """A square QR code flowable for `url`, quiet zone included, `size` points wide.

    ReportLab's QrCode flowable (the QrCodeWidget's encoder drawn straight on the canvas) rather
    than the widget in a Drawing, whose renderer would put a Helvetica reference in the PDF.
    """
    return QrCode(url, width=size, height=size, qrLevel="M", qrBorder=4)


def emblem(size: float = 20 * mm) -> Flowable:
    """The organisation's emblem (config ORG_EMBLEM_PATH), centred, for the head of a document;
    an empty spacer when none is configured or the file cannot be read, so a missing emblem
    never stops a ticket from printing."""
    path = current_app.config["ORG_EMBLEM_PATH"] if has_app_context() else ""
    if path:
        try:
            image = Image(str(path), width=size, height=size, kind="proportional")
            image.hAlign = "CENTER"
            image.wrap(size, size)  # reads the file now, not halfway through the layout
            return image
        except OSError:
            pass
    return Spacer(1, 1)


def photo_box(path: str | None, width: float = 30 * mm, height: float = 40 * mm) -> Flowable:
    """A candidate's photograph in a 3 x 4 frame, or the empty framed box to stick one into."""
    if path:
        try:
            image = Image(str(path), width=width, height=height, kind="proportional")
            image.wrap(width, height)
            return table([[image]], [width], [("ALIGN", (0, 0), (-1, -1), "CENTER")], row_heights=[height])
        except OSError:
            pass
    return table(
        [[[para("ติดรูปถ่าย", "small_center"), para("ขนาด 1 นิ้ว", "small_center")]]],
        [width],
        [("BOX", (0, 0), (-1, -1), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
        row_heights=[height],
    )


def rule(color=BMA_GREEN, thickness: float = 1.2, space: float = 4) -> HRFlowable:
    """A full-width horizontal line."""
    return HRFlowable(width="100%", thickness=thickness, color=color, spaceBefore=space, spaceAfter=space)


def table(
    rows: list[list],
    col_widths: list[float],
    commands: list[tuple],
    *,
    repeat_rows: int = 0,
    row_heights: list[float | None] | None = None,
) -> Table:
    """A Table in Sarabun (ReportLab's cell default, Helvetica, would otherwise be referenced).
    `repeat_rows` header rows repeat on every page; `row_heights` known up front spare ReportLab
    from measuring every remaining row again each time it splits a long table."""
    t = Table(rows, colWidths=col_widths, rowHeights=row_heights, repeatRows=repeat_rows)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands]))
    return t


class PagedTable(Flowable):
    """A long table laid out one page at a time. ReportLab's Table measures all of its
    remaining rows again (spans, styles) each time it splits at a page end, which grows with
    the square of the rows: an announcement of 10,000 entries spent most of its time there.
    This one is given every body row's height up front, builds a Table only of the rows the
    page in hand takes (under the header rows, repeated on each page) and keeps the rest for
    the next page. A ROWBACKGROUNDS command keeps its alternation across the pages."""

    def __init__(self, header: list[list], body: list[list], col_widths, commands, heights, offset=0):
        super().__init__()
        self.header, self.body, self.col_widths = header, body, col_widths
        self.commands, self.heights, self.offset = commands, heights, offset
        self._head_height: float | None = None

    def _table(self, n: int) -> Table:
        commands = []
        for command in self.commands:
            if command[0] == "ROWBACKGROUNDS" and self.offset % len(command[3]):
                shift = self.offset % len(command[3])
                command = (*command[:3], command[3][shift:] + command[3][:shift])
            commands.append(command)
        rows = self.header + self.body[:n]
        heights = [None] * len(self.header) + self.heights[:n]
        return table(rows, self.col_widths, commands, repeat_rows=len(self.header), row_heights=heights)

    def _head(self, width: float) -> float:
        if self._head_height is None:
            self._head_height = self._table(1).wrap(width, 10**6)[1] - self.heights[0]
        return self._head_height

    def wrap(self, avail_width, avail_height):
        self.width = sum(self.col_widths)
        self.height = self._head(self.width) + sum(self.heights)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        room, n = avail_height - self._head(sum(self.col_widths)), 0
        while n < len(self.body) and room >= self.heights[n]:
            room -= self.heights[n]
            n += 1
        if n == 0:
            return []
        if n == len(self.body):
            return [self._table(n)]
        rest = PagedTable(
            self.header, self.body[n:], self.col_widths, self.commands, self.heights[n:], self.offset + n
        )
        rest._head_height = self._head_height
        return [self._table(n), rest]

    def draw(self):
        whole = self._table(len(self.body))
        whole.wrapOn(self.canv, self.width, self.height)
        whole.drawOn(self.canv, 0, 0)


def verification_lines(digest: str, where: str, anchor_line: str = "") -> list:
    """The closing lines of an official record: its SHA-256 digest in full, where to verify it,
    and the audit chain's anchor at the time it was issued (a printed copy the database cannot
    rewrite, docs/audit.md), under a thin rule."""
    return [
        Spacer(1, 5 * mm),
        HRFlowable(width="100%", thickness=0.4, color=RULE, spaceAfter=2),
        para(f"รหัสตรวจสอบ (SHA-256) {digest}", "small10"),
        para(where, "small10"),
        *([para(anchor_line, "small10")] if anchor_line else []),
    ]


def field_table(
    rows: list[tuple[str, str | Flowable]],
    label_width: float = 48 * mm,
    width: float = CONTENT_WIDTH,
    *,
    value_style: str = "body",
    padding: float = 4,
) -> Table:
    """Label/value rows ("ห้องสอบ" | "301"), values as text or any flowable, lightly ruled.
    A document that must keep to one page passes a smaller `value_style` and `padding`."""
    data = [
        [para(label, "label"), para(value, value_style) if isinstance(value, str) else value]
        for label, value in rows
    ]
    return table(
        data,
        [label_width, width - label_width],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#c8c8c8")),
            ("TOPPADDING", (0, 0), (-1, -1), padding - 1),
            ("TOPPADDING", (0, 0), (0, -1), padding),  # the smaller label then shares the value's baseline
            ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ],
    )


def numbered_columns(items: list[str], style: str = "compact", width: float = CONTENT_WIDTH) -> Table:
    """A numbered list in two columns (1–5 on the left, 6–10 on the right), numbers continuing:
    half the height of one column, for a list that must share a page."""
    half = (len(items) + 1) // 2
    gap = 6 * mm
    column = (width - gap) / 2
    left = numbered(items[:half], style, column)
    right = numbered(items[half:], style, column, start=half + 1) if items[half:] else Spacer(1, 1)
    return table(
        [[left, right]],
        [column + gap, column],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ],
    )


def numbered(items: list[str], style: str = "body", width: float = CONTENT_WIDTH, start: int = 1) -> Table:
    """A numbered list ("1." "2." ...) whose wrapped lines stay indented under their text;
    `start` continues a list split into columns."""
    data = [[para(f"{n}.", style), para(item, style)] for n, item in enumerate(items, start=start)]
    number_width = 8 * mm if styles()[style].fontSize >= 12 else 7 * mm
    return table(
        data,
        [number_width, width - number_width],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
    )


# ---- the document ---------------------------------------------------------------------------
FOOTER_QR = 17 * mm
SEALED_BOTTOM_MARGIN = 30 * mm  # room for the footer's QR code, digest and page number
WARNING_RED = colors.HexColor("#8a1c1c")
_QR_FORM = "FooterQR"


@dataclass(frozen=True)
class Footer:
    """What every page's footer carries besides "หน้า X / Y".

    `note`: a line on the left (a document's short title), cut with "…" to fit. A document that
    can be verified adds `digest` (printed in groups of eight), `verify_url` (a QR code to it, at
    the left) and `verify_hint` (a line under the digest); one that cannot be yet says why in
    `unverified_note` (in red). `watermark`: large diagonal text across every page (a draft, a
    superseded or withdrawn document). A footer with any of the verification parts is taller, so
    the page's bottom margin grows to SEALED_BOTTOM_MARGIN."""

    note: str = ""
    digest: str | None = None
    verify_url: str | None = None
    verify_hint: str = ""
    unverified_note: str = ""
    watermark: str = ""

    @property
    def sealed(self) -> bool:
        return bool(self.digest or self.verify_url or self.unverified_note)

    @property
    def bottom_margin(self) -> float:
        return SEALED_BOTTOM_MARGIN if self.sealed else MARGIN_BOTTOM


def grouped(digest: str, size: int = 8) -> str:
    """ "3f2a9b1c 0d4e…": a digest in groups a reader can compare by eye."""
    return " ".join(digest[i : i + size] for i in range(0, len(digest), size))


def fit_line(text: str, font: str, size: float, room: float) -> str:
    """`text` cut (with "…") to fit `room` points on one line."""
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


class _NumberedCanvas(Canvas):
    """Holds every page back until the end so the footer can say "หน้า X / Y"; then draws the
    footer (and any watermark) on each page."""

    def __init__(self, *args, footer: Footer, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []
        if footer.verify_url:  # encoded and drawn once, shown on every page (a PDF form)
            self.beginForm(_QR_FORM)
            qr_code(footer.verify_url, FOOTER_QR).drawOn(self, 0, 0)
            self.endForm()

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            if self._footer.watermark:
                self._draw_watermark(self._footer.watermark)
            if self._footer.sealed:
                self._draw_sealed_footer(number, total)
            else:
                self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_watermark(self, text: str) -> None:
        width, height = PAGE_SIZE
        self.saveState()
        self.setFillColor(colors.Color(0.75, 0.2, 0.2, alpha=0.16))
        self.translate(width / 2, height / 2)
        self.rotate(50)
        self.setFont(FONT_BOLD, 52)
        self.drawCentredString(0, 0, text, shaping=True)
        self.restoreState()

    def _draw_footer(self, number: int, total: int) -> None:
        width = PAGE_SIZE[0]
        y = 12 * mm
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.4)
        self.line(MARGIN_LEFT, y + 4 * mm, width - MARGIN_RIGHT, y + 4 * mm)
        self.setFillColor(MUTED)
        self.setFont(FONT, 9)
        if self._footer.note:
            self.drawString(MARGIN_LEFT, y, self._footer.note, shaping=True)
        self.drawRightString(width - MARGIN_RIGHT, y, f"หน้า {number} / {total}", shaping=True)
        self.restoreState()

    def _draw_sealed_footer(self, number: int, total: int) -> None:
        """QR code at the left; the note, the digest and the hint beside it; the page number at
        the right."""
        f = self._footer
        width = PAGE_SIZE[0]
        top = SEALED_BOTTOM_MARGIN - 5 * mm
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.4)
        self.line(MARGIN_LEFT, top, width - MARGIN_RIGHT, top)
        x = MARGIN_LEFT
        if f.verify_url:
            self.saveState()
            self.translate(MARGIN_LEFT - 1.5 * mm, top - FOOTER_QR - 0.5 * mm)
            self.doForm(_QR_FORM)
            self.restoreState()
            x += FOOTER_QR + 1 * mm
        page = f"หน้า {number} / {total}"
        self.setFillColor(MUTED)
        self.setFont(FONT, 9)
        self.drawRightString(width - MARGIN_RIGHT, top - 5 * mm, page, shaping=True)
        room = width - MARGIN_RIGHT - x - pdfmetrics.stringWidth(page, FONT, 9) - 4 * mm
        self.setFont(FONT, 8.5)
        self.drawString(x, top - 5 * mm, fit_line(f.note, FONT, 8.5, room), shaping=True)
        if f.digest:
            self.drawString(x, top - 9.5 * mm, f"SHA-256  {grouped(f.digest)}", shaping=True)
            if f.verify_hint:
                self.setFont(FONT, 8)
                self.drawString(x, top - 13.5 * mm, f.verify_hint, shaping=True)
        elif f.unverified_note:
            self.setFillColor(WARNING_RED)
            self.setFont(FONT_BOLD, 9)
            self.drawString(x, top - 9.5 * mm, f.unverified_note, shaping=True)
        self.restoreState()


def build_pdf(
    story: list,
    *,
    title: str,
    subject: str = "",
    footer_note: str = "",
    footer: Footer | None = None,
    page_border: bool = False,
    author: str = "กรุงเทพมหานคร",
) -> bytes:
    """Lay `story` out on A4 pages with the standard margins and footer; return the PDF bytes.

    `footer_note` is the plain footer's left line; pass a `Footer` instead for a digest, a QR
    code to a verify page, or a watermark (the bottom margin grows to make room)."""
    register_fonts()
    footer = footer or Footer(note=footer_note)
    bottom = footer.bottom_margin
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=bottom,
        title=title,
        subject=subject,
        author=author,
        creator="BMA Recruit",
        lang="th-TH",
        # Sarabun from the start, so no page refers to ReportLab's default Helvetica.
        initialFontName=FONT,
        initialFontSize=12,
        initialLeading=18,
    )
    # No frame padding, so CONTENT_WIDTH is exactly the width flowables get.
    frame = Frame(
        MARGIN_LEFT,
        bottom,
        CONTENT_WIDTH,
        PAGE_SIZE[1] - MARGIN_TOP - bottom,
        id="content",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template = (
        PageTemplate("bordered", frames=[frame], onPage=_draw_page_border)
        if page_border
        else PageTemplate("plain", frames=[frame])
    )
    doc.addPageTemplates([template])
    doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _draw_page_border(canvas, doc) -> None:
    """A double rule around the page, for certificates."""
    width, height = PAGE_SIZE
    canvas.saveState()
    canvas.setStrokeColor(BMA_GREEN)
    canvas.setLineWidth(1.6)
    canvas.rect(7 * mm, 7 * mm, width - 14 * mm, height - 14 * mm)
    canvas.setLineWidth(0.5)
    canvas.rect(8.5 * mm, 8.5 * mm, width - 17 * mm, height - 17 * mm)
    canvas.restoreState()
