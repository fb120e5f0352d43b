"""The Part A pass certificate (หนังสือรับรองผลการสอบผ่านภาค ก), reusable for later rounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table

from ..common.thai import MONTHS_TH, be_year
from .pdf import (
    BMA_GREEN,
    CONTENT_WIDTH,
    build_pdf,
    emblem,
    field_table,
    para,
    qr_code,
    rule,
    table,
    thai_date,
)

ISSUING_OFFICE = "สำนักงานคณะกรรมการข้าราชการกรุงเทพมหานคร"
TITLE = "หนังสือรับรองผลการสอบผ่านภาคความรู้ความสามารถทั่วไป (ภาค ก)"


@dataclass(frozen=True)
class PartACertificate:
    candidate_name_th: str
    national_id_masked: str
    exam_title: str
    sat_on: date | datetime  # a datetime must be timezone-aware (shown as the Bangkok date)
    score: Decimal | int | float
    total: Decimal | int | float
    issued_on: date
    verification_code: str
    verify_url: str
    pass_percent: Decimal | int | float = Decimal("60")
    valid_until: date | None = None

    @property
    def percent(self) -> Decimal:
        return (Decimal(str(self.score)) * 100 / Decimal(str(self.total))).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )

    @property
    def pass_score(self) -> Decimal:
        return Decimal(str(self.total)) * Decimal(str(self.pass_percent)) / 100

    def __post_init__(self):
        if isinstance(self.sat_on, datetime) and self.sat_on.tzinfo is None:
            raise ValueError("sat_on must be a date or a timezone-aware datetime")
        if Decimal(str(self.total)) <= 0:
            raise ValueError("the total score must be positive")
        # A pass certificate for a score under the pass mark would be a false official document.
        if Decimal(str(self.score)) < self.pass_score:
            raise ValueError("the score is below the pass mark: no pass certificate")


def render_part_a_certificate(data: PartACertificate) -> bytes:
    """The certificate as a one-page A4 PDF with a verification code and QR code."""
    details = [
        ("การสอบ", data.exam_title),
        ("วันที่สอบ", thai_date(data.sat_on, weekday=True)),
        ("คะแนนที่ได้", f"{_number(data.score)} จากคะแนนเต็ม {_number(data.total)} คะแนน (ร้อยละ {data.percent})"),
        ("เกณฑ์การผ่าน", f"ร้อยละ {_number(data.pass_percent)} ของคะแนนเต็ม ({_number(data.pass_score)} คะแนน)"),
        ("ผลการสอบ", "ผ่าน"),
    ]
    if data.valid_until:
        details.append(("ใช้ได้ถึงวันที่", thai_date(data.valid_until)))
    story = [
        emblem(22 * mm),
        Spacer(1, 2 * mm),
        para(ISSUING_OFFICE, "subtitle"),
        para("กรุงเทพมหานคร", "body_center"),
        Spacer(1, 6 * mm),
        para("หนังสือรับรองผลการสอบผ่าน", "title"),
        para("ภาคความรู้ความสามารถทั่วไป (ภาค ก)", "title"),
        rule(space=8),
        para("หนังสือฉบับนี้ให้ไว้เพื่อรับรองว่า", "body_center"),
        Spacer(1, 2 * mm),
        para(data.candidate_name_th, "name_center"),
        para(f"เลขประจำตัวประชาชน {data.national_id_masked}", "body_center"),
        Spacer(1, 2 * mm),
        para(
            "ได้เข้าสอบและสอบผ่านภาคความรู้ความสามารถทั่วไป (ภาค ก) ของกรุงเทพมหานคร โดยมีรายละเอียดดังนี้", "body_center"
        ),
        Spacer(1, 4 * mm),
        _centered(field_table(details, label_width=34 * mm, width=150 * mm)),
        Spacer(1, 8 * mm),
        para(f"ให้ไว้ ณ วันที่ {_formal_date(data.issued_on)}", "body_center"),
        Spacer(1, 10 * mm),
        KeepTogether(
            [
                para(ISSUING_OFFICE, "body_center"),
                para("เอกสารอิเล็กทรอนิกส์ ตรวจสอบความถูกต้องได้ด้วยรหัสตรวจสอบด้านล่าง", "small_center"),
            ]
        ),
        Spacer(1, 12 * mm),
        _verification_box(data),
    ]
    return build_pdf(
        story,
        title=TITLE,
        subject=data.candidate_name_th,
        page_border=True,
        footer_note=f"รหัสตรวจสอบ {data.verification_code}",
    )


def _number(value: Decimal | int | float) -> str:
    """150 not 150.00; 150.5 stays 150.5."""
    d = Decimal(str(value))
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d.normalize():,f}"


def _formal_date(value: date) -> str:
    """ "1 ธันวาคม พ.ศ. 2569": the era written out, as at the foot of an official letter."""
    return f"{value.day} {MONTHS_TH[value.month - 1]} พ.ศ. {be_year(value)}"


def _centered(t: Table) -> Table:
    t.hAlign = "CENTER"
    return t


def _verification_box(data: PartACertificate) -> Table:
    qr_size = 30 * mm
    text = [
        para("ตรวจสอบความถูกต้องของหนังสือรับรอง", "body_bold"),
        para("สแกนคิวอาร์โค้ด หรือเปิดที่อยู่ด้านล่างแล้วกรอกรหัสตรวจสอบ", "label"),
        Spacer(1, 1.5 * mm),
        para(f"รหัสตรวจสอบ  {data.verification_code}", "code"),
        para(data.verify_url, "small"),
    ]
    return table(
        [[qr_code(data.verify_url, qr_size), text]],
        [qr_size + 6 * mm, CONTENT_WIDTH - qr_size - 6 * mm],
        [
            ("BOX", (0, 0), (-1, -1), 0.8, BMA_GREEN),
            ("BACKGROUND", (1, 0), (1, 0), colors.HexColor("#f1f7f1")),  # the QR code stays on white
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
        ],
    )
