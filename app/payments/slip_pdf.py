"""The payment slip (ใบแจ้งชำระเงินค่าธรรมเนียมการสมัคร): amount, due date, the references and
the Thai QR code a banking app scans, built with the Thai PDF toolkit; and the same QR code as
SVG for the slip page."""

from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ..common.clock import BANGKOK, now
from ..common.national_id import masked
from ..documents.pdf import (
    BMA_GREEN,
    CONTENT_WIDTH,
    build_pdf,
    field_table,
    numbered,
    para,
    qr_code,
    rule,
    table,
    thai_date,
    thai_datetime,
    thai_time,
)
from .services import SlipData

QR_SIZE = 55 * mm


def baht(amount) -> str:
    return f"{amount:,.2f} บาท"


def render_slip(data: SlipData) -> bytes:
    p, app_, round_ = data.payment, data.application, data.round
    candidate = app_.candidate
    qr_block = table(
        [[[qr_code(data.qr_payload, QR_SIZE), para("Thai QR Payment / พร้อมเพย์", "small_center")]]],
        [CONTENT_WIDTH],
        [
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("BOX", (0, 0), (-1, -1), 1.2, BMA_GREEN),
            ("BACKGROUND", (0, 0), (-1, -1), colors.white),
        ],
    )
    story = [
        para("กรุงเทพมหานคร", "subtitle"),
        para("ใบแจ้งชำระเงินค่าธรรมเนียมการสมัครสอบ", "title"),
        para(round_.title("th"), "body_center"),
        rule(space=6),
        field_table(
            [
                ("เลขประจำตัวผู้สมัคร", app_.number),
                ("ชื่อผู้สมัคร", candidate.full_name_th),
                ("เลขประจำตัวประชาชน", masked(candidate.national_id) if candidate.national_id else "-"),
                ("จำนวนเงิน", baht(p.amount)),
                ("ชำระภายใน", thai_datetime(p.due_at)),
                ("ผู้รับเงิน", data.payee),
                ("รหัสผู้รับชำระ (Biller ID)", data.biller_id),
                ("เลขอ้างอิง 1 (Ref. 1)", data.ref1),
                ("เลขอ้างอิง 2 (Ref. 2)", data.ref2),
            ]
        ),
        Spacer(1, 5 * mm),
        qr_block,
        para("วิธีชำระเงิน", "heading"),
        numbered(
            [
                "สแกนคิวอาร์โค้ดด้วยแอปพลิเคชันของธนาคารใดก็ได้ จำนวนเงินและเลขอ้างอิงจะขึ้นให้เอง ตรวจสอบแล้วยืนยันการชำระ",
                "หรือชำระที่เคาน์เตอร์ธนาคารหรือตู้เอทีเอ็มด้วยบริการชำระค่าสินค้าและบริการ (Bill Payment) "
                "โดยแจ้งรหัสผู้รับชำระและเลขอ้างอิงทั้งสองให้ตรงตามใบแจ้งนี้",
                "ชำระเต็มจำนวนในครั้งเดียว ภายในวันและเวลาที่กำหนด การสมัครจะนับเป็นการสมัครที่สมบูรณ์เมื่อได้รับเงินแล้วเท่านั้น",
                "ธนาคารอาจเก็บค่าธรรมเนียมการโอนไม่เกิน 5 บาท "
                "ค่าธรรมเนียมการสมัครไม่คืนให้ เว้นแต่กรณีตามหลักเกณฑ์การคืนเงินที่ประกาศไว้",
                "สถานะการชำระเงินจะปรากฏในหน้าการสมัครของท่านเมื่อเจ้าหน้าที่นำเข้ารายการจากธนาคาร "
                "(ภายในหนึ่งถึงสองวันทำการ)",
            ]
        ),
    ]
    printed = now().astimezone(BANGKOK)
    return build_pdf(
        story,
        title=f"ใบแจ้งชำระเงิน {app_.number}",
        subject=round_.title("th"),
        footer_note=f"BMA Recruit · เลขอ้างอิง {data.ref1} · พิมพ์เมื่อ {thai_date(printed)} {thai_time(printed)}",
    )


def qr_svg(payload: str, size: int = 240) -> str:
    """The payload's QR code as an SVG document (error correction M, quiet zone of 4 modules)."""
    widget = QrCodeWidget(payload, barLevel="M", barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return renderSVG.drawToString(drawing)
