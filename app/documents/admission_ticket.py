"""The admission ticket (บัตรประจำตัวผู้สอบ) a candidate prints and brings to the exam room."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table

from ..common.clock import BANGKOK, now
from .pdf import (
    BMA_GREEN,
    CONTENT_WIDTH,
    build_pdf,
    emblem,
    field_table,
    numbered,
    numbered_columns,
    para,
    photo_box,
    qr_code,
    rule,
    table,
    thai_date,
    thai_datetime,
    thai_time,
)


@dataclass(frozen=True)
class AdmissionTicket:
    application_number: str
    candidate_name_th: str
    candidate_name_en: str
    national_id_masked: str  # e.g. "X-XXXX-XXXX3-45-6": the full number never goes on paper
    round_title: str
    agency_name: str
    exam_title: str
    sitting_at: datetime  # timezone-aware; shown in Bangkok time
    room: str
    seat: str
    check_in_opens_at: datetime  # timezone-aware
    verify_url: str
    rules: list[str] = field(default_factory=list)
    accommodations: list[str] = field(default_factory=list)
    venue: str = ""  # the test centre, when the candidate booked a seat in one
    # The photograph from the application's documents (a JPEG or PNG file), None for the box
    # the candidate sticks a photo into.
    photo_path: str | None = None

    def __post_init__(self):
        for name in ("sitting_at", "check_in_opens_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


def render_admission_ticket(data: AdmissionTicket) -> bytes:
    """The ticket as one A4 page: the worst realistic case (a long venue and room name wrapped
    on three lines, a long name, the photo, the emblem, accommodations and ten rules) still fits
    with the signature, the rules being set smaller and in two columns. Only a far longer list
    of rules flows onto a second page."""
    story = [
        _head(data),
        rule(space=4),
        _identity_box(data),
        Spacer(1, 3 * mm),
        field_table(
            [
                ("เลขประจำตัวประชาชน", data.national_id_masked),
                ("วิชาที่สอบ", data.exam_title),
                ("วันและเวลาสอบ", thai_datetime(data.sitting_at)),
                *([("สนามสอบ", data.venue)] if data.venue else []),
                ("ห้องสอบ", data.room),
                ("เลขที่นั่งสอบ", data.seat),
                ("เปิดให้รายงานตัว", _check_in_text(data)),
            ],
            label_width=42 * mm,
            value_style="value_compact",
            padding=2,
        ),
    ]
    if data.accommodations:
        story.append(
            KeepTogether([para("การอำนวยความสะดวกในการสอบ", "heading_compact"), _listed(data.accommodations)])
        )
    if data.rules:
        story.append(KeepTogether([para("ข้อปฏิบัติของผู้เข้าสอบ", "heading_compact"), _listed(data.rules)]))
    story += [Spacer(1, 3 * mm), KeepTogether(_signature(data))]
    printed = now().astimezone(BANGKOK)
    return build_pdf(
        story,
        title=f"บัตรประจำตัวผู้สอบ {data.application_number}",
        subject=data.round_title,
        # The number on every page, in case a second page gets separated from the first.
        footer_note=f"BMA Recruit · เลขประจำตัวสอบ {data.application_number} · "
        f"พิมพ์เมื่อ {thai_date(printed)} {thai_time(printed)}",
    )


# A list of this many items goes in two columns; a short one reads better in one, and a longer
# one (which cannot fit one page anyway) goes in one that may break across pages (a two-column
# row cannot).
TWO_COLUMNS = range(5, 15)


def _listed(items: list[str]):
    """A list in the compact type, in two columns (numbers continuing) when it is long."""
    return numbered_columns(items) if len(items) in TWO_COLUMNS else numbered(items, "compact")


def _head(data: AdmissionTicket) -> Table:
    """The emblem beside the titles (not above them: the page's height goes to the rules)."""
    side = 18 * mm
    titles = [
        para("กรุงเทพมหานคร", "subtitle_compact"),
        para("บัตรประจำตัวผู้สอบ", "title"),
        para(data.round_title, "compact_center"),
        para(data.agency_name, "compact_center"),
    ]
    return table(
        [[emblem(side), titles, Spacer(1, 1)]],
        [side + 2 * mm, CONTENT_WIDTH - 2 * (side + 2 * mm), side + 2 * mm],
        [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ],
    )


def _check_in_text(data: AdmissionTicket) -> str:
    opens = data.check_in_opens_at.astimezone(BANGKOK)
    if opens.date() == data.sitting_at.astimezone(BANGKOK).date():
        return f"ตั้งแต่เวลา {thai_time(opens)} ของวันสอบ"
    return f"ตั้งแต่{thai_datetime(opens)}"


def _identity_box(data: AdmissionTicket) -> Table:
    """The photograph, the exam number (the application's number), large, and the name, beside
    the QR code that verifies the ticket."""
    qr_size = 26 * mm
    photo_width = 27 * mm
    left = [
        para("เลขประจำตัวสอบ", "label"),
        para(data.application_number, "number_compact"),
        Spacer(1, 2 * mm),
        para(data.candidate_name_th, "name_compact"),
        para(data.candidate_name_en, "compact"),
    ]
    right = [qr_code(data.verify_url, qr_size), para("สแกนเพื่อตรวจสอบบัตร", "small_center")]
    return table(
        [[photo_box(data.photo_path, photo_width, 36 * mm), left, right]],
        [photo_width + 6 * mm, CONTENT_WIDTH - photo_width - qr_size - 18 * mm, qr_size + 12 * mm],
        [
            ("BOX", (0, 0), (-1, -1), 1.2, BMA_GREEN),
            ("BACKGROUND", (0, 0), (1, 0), colors.HexColor("#f1f7f1")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (0, 0), 3 * mm),
            ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
            ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
            ("ALIGN", (2, 0), (2, 0), "CENTER"),
        ],
    )


def _signature(data: AdmissionTicket) -> list:
    """One line to sign on (the name is printed above, in the box): the rules are signed for."""
    return [
        para(
            "ลงชื่อผู้เข้าสอบ ............................................................................",
            "signature_line",
        )
    ]
