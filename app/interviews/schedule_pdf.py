"""The daily interview schedule of a panel (กำหนดการสัมภาษณ์ ภาค ค), a Thai A4 PDF for the panel's
table: the date in the Buddhist Era, the panel and its members, and each slot's candidate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ..common.clock import BANGKOK, now
from ..documents.pdf import (
    BMA_GREEN,
    CONTENT_WIDTH,
    build_pdf,
    field_table,
    para,
    rule,
    table,
    thai_date,
    thai_time,
)
from ..recruitment.models import Accommodation
from . import placement, schedule, services
from .models import Panel

ACCOMMODATIONS_TH = {
    Accommodation.EXTRA_TIME: "เวลาเพิ่ม",
    Accommodation.LARGE_TEXT: "ตัวอักษรขนาดใหญ่",
    Accommodation.HIGH_CONTRAST: "สีตัดกันสูง",
    Accommodation.SCREEN_READER: "โปรแกรมอ่านหน้าจอ",
    Accommodation.ASSISTANT: "ผู้ช่วย",
}
STATUS_TH = {
    "scheduled": "รอยืนยัน",
    "confirmed": "ยืนยันแล้ว",
    "checked_in": "รายงานตัวแล้ว",
    "scoring": "กำลังให้คะแนน",
    "finalized": "สรุปคะแนนแล้ว",
    "no_show": "ไม่มา",
    "cancelled": "ยกเลิก",
}
ROLE_TH = {services.CHAIR: "ประธานกรรมการ", services.MEMBER: "กรรมการ"}


@dataclass(frozen=True)
class Row:
    starts_at: datetime
    ends_at: datetime
    application_number: str  # "" for a free slot
    candidate_name: str
    where: str  # "ออนไลน์ · https://…" or "ห้อง 301"
    accommodations: str
    status: str


@dataclass(frozen=True)
class DailySchedule:
    round_title: str
    round_code: str
    agency_name: str
    panel_name: str
    day: date
    members: list[tuple[str, str]]  # (Thai role, name)
    rows: list[Row] = field(default_factory=list)


def _where(slot) -> str:
    if slot.mode == services.ONLINE:
        return f"ออนไลน์ · {services.slot_link(slot)}"
    return f"ณ สถานที่ · {services.slot_room(slot)}"


def daily_schedule(panel: Panel, day: date) -> DailySchedule:
    """Every slot of the panel on that Bangkok day, booked or free, in time order."""
    members = sorted(panel.members, key=lambda m: (m.role != services.CHAIR, m.id))
    rows = []
    for slot in schedule.slots_of_panel(panel):
        if slot.starts_at.astimezone(BANGKOK).date() != day:
            continue
        iv = slot.interview
        if iv is None:
            rows.append(Row(slot.starts_at, slot.ends_at, "", "(ว่าง)", _where(slot), "—", ""))
            continue
        kinds = placement.accommodation_kinds(iv.application)
        extra = ["ห้อง/ช่วงเวลาที่เข้าถึงได้"] if slot.accessible and kinds else []
        rows.append(
            Row(
                slot.starts_at,
                slot.ends_at,
                iv.application.number,
                iv.application.candidate.full_name_th,
                _where(slot),
                ", ".join([ACCOMMODATIONS_TH.get(k, k) for k in kinds] + extra) or "—",
                STATUS_TH.get(iv.status, iv.status),
            )
        )
    round_ = panel.round
    return DailySchedule(
        round_title=round_.title_th,
        round_code=round_.code,
        agency_name=round_.agency.name_th if round_.agency else "",
        panel_name=panel.name,
        day=day,
        members=[(ROLE_TH.get(m.role, m.role), m.user.full_name_th) for m in members],
        rows=rows,
    )


def render_daily_schedule(data: DailySchedule) -> bytes:
    story = [
        para("กรุงเทพมหานคร", "subtitle"),
        para("กำหนดการสัมภาษณ์ (ภาค ค)", "title"),
        para(f"{data.round_code} {data.round_title}", "body_center"),
        para(data.agency_name, "body_center"),
        rule(space=6),
        field_table(
            [
                ("คณะกรรมการ", data.panel_name),
                ("วันที่", thai_date(data.day, weekday=True)),
                ("กรรมการ", "\n".join(f"{name} ({role})" for role, name in data.members) or "—"),
            ],
            label_width=30 * mm,
        ),
        Spacer(1, 4 * mm),
    ]
    header = ["เวลา", "เลขที่สมัคร", "ชื่อ–สกุล", "รูปแบบ / สถานที่", "การอำนวย\nความสะดวก", "สถานะ"]
    body = [[para(h, "body_bold") for h in header]]
    for r in data.rows:
        body.append(
            [
                para(f"{thai_time(r.starts_at)}\n– {thai_time(r.ends_at)}"),
                para(r.application_number or "—"),
                para(r.candidate_name),
                para(r.where, "small"),
                para(r.accommodations, "small"),
                para(r.status, "small"),
            ]
        )
    if not data.rows:
        body.append([para("ไม่มีช่วงเวลาสัมภาษณ์ในวันนี้"), "", "", "", "", ""])
    widths = [21 * mm, 40 * mm, 32 * mm, 30 * mm, 25 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6efe6")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BMA_GREEN),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#c8c8c8")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if not data.rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    t = table(body, widths, commands)
    t.repeatRows = 1
    story.append(t)
    printed = now().astimezone(BANGKOK)
    return build_pdf(
        story,
        title=f"กำหนดการสัมภาษณ์ {data.panel_name} {thai_date(data.day)}",
        subject=data.round_title,
        footer_note=f"BMA Recruit · {data.round_code} · พิมพ์เมื่อ {thai_date(printed)} {thai_time(printed)}",
    )


def daily_schedule_pdf(panel: Panel, day: date) -> bytes:
    return render_daily_schedule(daily_schedule(panel, day))
