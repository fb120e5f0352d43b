"""The interview score sheet (แบบสรุปคะแนนการสอบสัมภาษณ์ ภาค ค) of one candidate: every scoring
member's points per criterion with their names, the totals, the panel's aggregate, the Part C
score on the stage's scale, corrections with their reasons, and signature lines.

Available once every scoring member has submitted (before that the points are secret even
from the panel); marked as a draft until the chair finalizes.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from ..accounts.models import User
from ..common.thai import format_date
from ..documents.pdf import (
    BMA_GREEN,
    CONTENT_WIDTH,
    build_pdf,
    field_table,
    para,
    rule,
    table,
    thai_datetime,
    thai_time,
)
from ..extensions import db
from . import scoreboard, scoring
from .models import Interview

TITLE = "แบบสรุปคะแนนการสอบสัมภาษณ์ (ภาค ค)"
ROLE_TH = {"chair": "ประธานกรรมการ", "member": "กรรมการ", "substitute": "กรรมการแทน"}
ROLE_SHORT_TH = {"chair": "ประธาน", "member": "กรรมการ", "substitute": "กรรมการแทน"}
AGGREGATE_TH = {"mean": "ค่าเฉลี่ย", "median": "มัธยฐาน"}
NAMES_IN_HEADER = 5  # more members than this: numbered columns and a key under the table
GRID = colors.HexColor("#9e9e9e")
HEAD_BG = colors.HexColor("#e8f1e8")
FLAG_BG = colors.HexColor("#fff3cd")


def render_score_sheet(interview: Interview) -> bytes:
    """The score sheet as PDF bytes; raises scoring.NotReady before everyone has submitted."""
    view = scoreboard.side_by_side(interview, "th")
    application = interview.application
    round_ = application.round
    slot = interview.slot
    panel = slot.panel
    finalized = view["finalized"]
    place = (
        f"ออนไลน์ {slot.meeting_link or panel.meeting_link}".strip()
        if slot.mode == "online"
        else f"ณ {slot.room or panel.room}".strip()
    )
    story = [
        para(round_.agency.name_th if round_.agency else "กรุงเทพมหานคร", "subtitle"),
        para(TITLE, "title"),
        rule(space=6),
        field_table(
            [
                ("ประกาศรับสมัคร", f"{round_.title_th} ({round_.code})"),
                (
                    "ตำแหน่ง",
                    f"{round_.position.title_th} ระดับ{round_.position.level}"
                    if round_.position.level
                    else round_.position.title_th,
                ),
                ("ผู้สมัคร", application.candidate.full_name_th),
                ("เลขที่ใบสมัคร", application.number),
                ("วันและเวลาสัมภาษณ์", f"{thai_datetime(slot.starts_at)} – {thai_time(slot.ends_at)}"),
                ("คณะกรรมการ", f"{panel.name} · {place}"),
            ],
            label_width=40 * mm,
        ),
        Spacer(1, 4 * mm),
        para("คะแนนรายเกณฑ์ของกรรมการแต่ละคน", "heading"),
        *_score_table(view),
        Spacer(1, 3 * mm),
        _summary(view, interview),
    ]
    recused = scoreboard.progress(interview)["recused"]
    if recused:
        story.append(
            para(
                "กรรมการที่แจ้งว่ามีส่วนได้เสียกับผู้สมัครและไม่ได้ให้คะแนน: " + ", ".join(r["name"] for r in recused),
                "label",
            )
        )
    if interview.acting_chair is not None:
        story.append(
            para(
                f"ผู้ทำหน้าที่ประธานกรรมการสำหรับผู้สมัครรายนี้: "
                f"{interview.acting_chair.full_name_th} (ประธานกรรมการมีส่วนได้เสีย)",
                "label",
            )
        )
    fixes = scoreboard.corrections(interview)
    if fixes:
        story.append(KeepTogether([para("การแก้ไขคะแนนหลังรับรองผล", "heading"), _corrections_table(fixes)]))
    story += [Spacer(1, 6 * mm), _signatures(view, interview.acting_chair_id)]
    return build_pdf(
        story,
        title=TITLE,
        subject=f"{application.number} {application.candidate.full_name_th}",
        footer_note=(
            f"{TITLE} · {application.number}" if finalized else f"ร่าง ยังไม่รับรองผล · {application.number}"
        ),
    )


def _pts(value: str | None) -> str:
    return value if value is not None else "–"


def _score_table(view: dict) -> list:
    members = view["members"]
    n = len(members)
    named = n <= NAMES_IN_HEADER
    max_w = 12 * mm
    member_w = min(30 * mm, (CONTENT_WIDTH - 40 * mm - max_w) / max(n, 1))
    first_w = CONTENT_WIDTH - max_w - member_w * n
    head = [para("เกณฑ์การประเมิน", "body_bold"), para("เต็ม", "body_bold")]
    for i, m in enumerate(members, start=1):
        # First and last name on lines of their own: a Thai name is never torn mid-word.
        label = (
            m["name"].replace(" ", "\n", 1) + f"\n({ROLE_SHORT_TH.get(m['role'], 'กรรมการ')})"
            if named
            else f"คนที่ {i}"
        )
        head.append(para(label, "small_center"))
    rows = [head]
    for row_no, c in enumerate(view["criteria"], start=1):
        rows.append(
            [para(f"{row_no}. {c['title']}"), para(c["max_points"], "body_center")]
            + [para(_pts(m["points"].get(str(c["id"]))), "body_center") for m in members]
        )
    rows.append(
        [para("รวม", "body_bold"), para(view["rubric_max"], "body_center")]
        + [para(m["total"], "body_center") for m in members]
    )
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("BACKGROUND", (0, -1), (-1, -1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (1, 0), (-1, -1), 2),
        ("RIGHTPADDING", (1, 0), (-1, -1), 2),
    ]
    t = table(rows, [first_w, max_w] + [member_w] * n, commands)
    t.repeatRows = 1
    out = [t]
    if not named:  # the key: who is who, two a row
        cells = [
            para(f"คนที่ {i}  {m['name']} ({ROLE_TH.get(m['role'], 'กรรมการ')})", "label")
            for i, m in enumerate(members, start=1)
        ]
        if len(cells) % 2:
            cells.append("")
        out += [
            Spacer(1, 1.5 * mm),
            table(
                [cells[i : i + 2] for i in range(0, len(cells), 2)],
                [CONTENT_WIDTH / 2] * 2,
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ],
            ),
        ]
    return out


def _summary(view: dict, interview: Interview):
    how = AGGREGATE_TH.get(view["aggregate_method"], view["aggregate_method"])
    spread = f"{view['spread']} คะแนน (เกณฑ์ไม่เกิน {view['spread_threshold']} คะแนน)"
    if view["spread_flag"]:
        spread += " — เกินเกณฑ์"
    rows = [
        (f"คะแนนรวมของคณะ ({how})", f"{view['aggregate']} จาก {view['rubric_max']} คะแนน"),
        ("ส่วนต่างคะแนนรวม สูงสุด–ต่ำสุด", spread),
    ]
    if view["finalized"]:
        chair = db.session.get(User, interview.finalized_by_id)
        rows.append(
            ("คะแนนภาค ค", f"{scoring.num(interview.final_score)} จากคะแนนเต็ม {view['stage_max']} คะแนน")
        )
        rows.append(
            ("รับรองผล", f"{chair.full_name_th if chair else ''} เมื่อ{thai_datetime(interview.finalized_at)}")
        )
    else:
        rows.append(
            ("คะแนนภาค ค (ร่าง)", f"{view['part_c_score']} จากคะแนนเต็ม {view['stage_max']} คะแนน ยังไม่รับรองผล")
        )
    box = field_table(rows, label_width=55 * mm)
    if view["spread_flag"]:
        box.setStyle([("BACKGROUND", (0, 1), (-1, 1), FLAG_BG)])
    return KeepTogether(
        [
            box,
            para(
                f"คะแนนภาค ค = คะแนนรวมของคณะ × {view['stage_max']} ÷ {view['rubric_max']} "
                "ปัดเศษทศนิยมสองตำแหน่ง",
                "small",
            ),
        ]
    )


def _corrections_table(fixes: list[dict]):
    head = [para(h, "body_bold") for h in ("วันเวลา", "เดิม", "ใหม่", "เหตุผล", "ผู้แก้ไข")]
    rows = [head] + [
        [
            para(f"{format_date(f['at_dt'], 'th', short=True)}\n{thai_time(f['at_dt'])}", "small"),
            para(f["before"] or "–", "body_center"),
            para(f["after"] or "–", "body_center"),
            para(f["reason"]),
            para(f["by"], "small"),
        ]
        for f in fixes
    ]
    widths = [24 * mm, 16 * mm, 16 * mm, CONTENT_WIDTH - 92 * mm, 36 * mm]
    t = table(
        rows,
        widths,
        [
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ],
    )
    t.repeatRows = 1
    return t


def _signatures(view: dict, acting_chair_id: int | None):
    """Two signature blocks a row: the chair first, as the members are listed."""
    blocks = [
        [
            para("ลงชื่อ ...............................................", "body_center"),
            para(f"({m['name']})", "body_center"),
            para(
                ROLE_TH.get(m["role"], "กรรมการ")
                + (" ทำหน้าที่ประธานกรรมการ" if m["user_id"] == acting_chair_id else ""),
                "body_center",
            ),
            Spacer(1, 6 * mm),
        ]
        for m in view["members"]
    ]
    if len(blocks) % 2:
        blocks.append("")
    rows = [blocks[i : i + 2] for i in range(0, len(blocks), 2)]
    half = CONTENT_WIDTH / 2
    t = table(rows, [half, half], [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 8)])
    return KeepTogether([para("ลงชื่อคณะกรรมการ", "heading"), rule(BMA_GREEN, 0.6, 2), t])
