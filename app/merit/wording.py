"""The Thai (and English) phrases of a list's official outputs: the names of its parts, tracks,
kinds and statuses, the ranking rule and tie-breaks in formal Thai, the titles a list is
prepared with, the announcement's fixed wording, and numbers and dates as published. One place,
so the announcement, the CSV/XLSX and the pages say the same thing the same way. (The pages'
translatable labels are in labels.py.)"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..common.clock import BANGKOK
from ..common.thai import MONTHS_TH, be_year
from ..recruitment.models import Mode, Round, StageKind
from .models import ListKind, ListStatus, MeritList, Track
from .ranking import APPLICATION_NUMBER, TOTAL
from .services import ranking_stages

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

ISSUER = "กรุงเทพมหานคร"
PURPOSE = "เพื่อบรรจุและแต่งตั้งบุคคลเข้ารับราชการ เป็นข้าราชการกรุงเทพมหานครสามัญ"
# The signature block: the name is signed on paper or added when the announcement is issued.
SIGNATORY_TITLE = "ปลัดกรุงเทพมหานคร"
SIGNATORY_ON_BEHALF = "ปฏิบัติราชการแทนผู้ว่าราชการกรุงเทพมหานคร"
DRAFT_MARK = "ร่าง — ยังไม่ได้ประกาศ"
NBSP = "\u00a0"

MODE_VERB = {
    Mode.COMPETITIVE_EXAM: "สอบแข่งขัน",
    Mode.SELECTION_EXAM: "สอบคัดเลือก",
    Mode.SELECTION: "คัดเลือก",
    Mode.SHORTAGE: "คัดเลือกผู้มีวุฒิที่ขาดแคลน",
    Mode.DISABILITY: "คัดเลือกคนพิการ",
}
MERIT_WHO = {Mode.COMPETITIVE_EXAM: "ผู้สอบแข่งขันได้", Mode.SELECTION_EXAM: "ผู้สอบคัดเลือกได้"}
TRACK_NOTE = {k: v for k, v in TRACK_TH.items() if k != Track.GENERAL}  # said after a title


# ---- titles ------------------------------------------------------------------------------

_MERIT_TITLE = {
    Mode.COMPETITIVE_EXAM: ("บัญชีรายชื่อผู้สอบแข่งขันได้", "Merit list of successful candidates"),
    Mode.SELECTION_EXAM: ("บัญชีรายชื่อผู้สอบคัดเลือกได้", "Merit list of successful candidates"),
}
_SELECTED = ("บัญชีรายชื่อผู้ได้รับการคัดเลือก", "List of selected candidates")
_KIND_TITLE = {
    ListKind.ELIGIBLE: ("ประกาศรายชื่อผู้มีสิทธิ์เข้ารับการสอบ", "Applicants eligible to sit"),
    ListKind.PASSED_TO_PART_C: ("ประกาศรายชื่อผู้มีสิทธิ์เข้ารับการประเมินภาค ค", "Candidates called to Part C"),
}
_TRACK_SUFFIX = {
    Track.DISABILITY: (" (คนพิการ)", " (persons with disabilities)"),
    Track.SHORTAGE: (" (วุฒิที่ขาดแคลน)", " (shortage qualifications)"),
    Track.GENERAL: ("", ""),
}


def list_titles(round_: Round, kind: str, track: str) -> tuple[str, str]:
    """The (Thai, English) title a list of the round is prepared with (generation.prepare_version)."""
    th, en = _MERIT_TITLE.get(round_.mode, _SELECTED) if kind == ListKind.MERIT else _KIND_TITLE[kind]
    sth, sen = _TRACK_SUFFIX[track]
    pos = round_.position
    return (
        f"{th}{sth} ตำแหน่ง{pos.title_th} ({round_.title_th})",
        f"{en}{sen}: {pos.title_en or pos.title_th} ({round_.title_en or round_.title_th})",
    )


# ---- numbers and dates as published ---------------------------------------------------------
def number_text(value: Decimal | None) -> str:
    """Scores as published: two decimals ("150.00"), blank when there is none."""
    return "" if value is None else f"{value:.2f}"


def whole(value: Decimal) -> str:
    """Full marks as people write them: 200, 150.5."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"


def formal_date(value: date) -> str:
    """ "1 ธันวาคม พ.ศ. 2569": the era written out, as at the foot of an announcement."""
    return f"{value.day} {MONTHS_TH[value.month - 1]} พ.ศ. {be_year(value)}"


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
