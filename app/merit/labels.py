"""What merit lists are called and how their states read: the titles of a list (Thai and
English, by the round's mode, the kind of list and its track) and the words for list statuses,
kinds, tracks, entry statuses, stages and the tie-break keys (the pages' template globals,
app/merit/views.py)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import labeller
from ..recruitment.models import Mode, Round, StageKind
from . import ranking
from .models import EntryStatus, ListKind, ListStatus, MeritList, Track
from .services import EXPIRED, UNKNOWN, VALID

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


def _titles(round_: Round, kind: str, track: str) -> tuple[str, str]:
    """The (Thai, English) title a list of the round is prepared with (generation._prepare)."""
    th, en = _MERIT_TITLE.get(round_.mode, _SELECTED) if kind == ListKind.MERIT else _KIND_TITLE[kind]
    sth, sen = _TRACK_SUFFIX[track]
    pos = round_.position
    return (
        f"{th}{sth} ตำแหน่ง{pos.title_th} ({round_.title_th})",
        f"{en}{sen}: {pos.title_en or pos.title_th} ({round_.title_en or round_.title_th})",
    )


def list_title(merit_list: MeritList, locale: str = "th") -> str:
    return merit_list.title_en if locale == "en" and merit_list.title_en else merit_list.title_th


# ---- labels ------------------------------------------------------------------------------

_STAGE_SHORT = {
    StageKind.PART_A: lambda: _("Part A"),
    StageKind.PART_B: lambda: _("Part B"),
    StageKind.PART_C: lambda: _("Part C"),
    StageKind.QUALIFICATIONS: lambda: _("Qualifications review"),
}


stage_short_label = labeller(_STAGE_SHORT)


def decided_by_label(key: str) -> str:
    """Why an entry sits above the next one, in words."""
    if key == ranking.TOTAL:
        return _("higher total")
    if key == ranking.APPLICATION_NUMBER:
        return _("earlier application number")
    if key in _STAGE_SHORT:
        return _("higher %(stage)s score", stage=stage_short_label(key))
    return key or "—"


def tie_break_label(merit_list: MeritList) -> str:
    keys = [ranking.TOTAL, *(merit_list.tie_break or [])]
    return " → ".join(decided_by_label(k) for k in keys)


_LIST_STATUS = {
    ListStatus.DRAFT: lambda: _("draft"),
    ListStatus.APPROVED: lambda: _("approved"),
    ListStatus.PUBLISHED: lambda: _("published"),
    ListStatus.SUPERSEDED: lambda: _("superseded"),
    ListStatus.CANCELLED: lambda: _("cancelled"),
    VALID: lambda: _("valid"),
    EXPIRED: lambda: _("expired"),
    UNKNOWN: lambda: _("unknown"),
}
_KIND = {
    ListKind.ELIGIBLE: lambda: _("Applicants eligible to sit"),
    ListKind.PASSED_TO_PART_C: lambda: _("Called to Part C"),
    ListKind.MERIT: lambda: _("Merit list"),
}
_TRACK = {
    Track.GENERAL: lambda: _("general"),
    Track.DISABILITY: lambda: _("persons with disabilities"),
    Track.SHORTAGE: lambda: _("shortage qualifications"),
}
_ENTRY_STATUS = {
    EntryStatus.AVAILABLE: lambda: _("available"),
    EntryStatus.CALLED: lambda: _("called"),
    EntryStatus.APPOINTED: lambda: _("appointed"),
    EntryStatus.WAIVED: lambda: _("waived"),
    EntryStatus.LAPSED: lambda: _("lapsed"),
}


list_status_label = labeller(_LIST_STATUS)
list_kind_label = labeller(_KIND)
track_label = labeller(_TRACK)
entry_status_label = labeller(_ENTRY_STATUS)
