"""What merit lists are called and how their states read: the titles of a list (Thai and
English, by the round's mode, the kind of list and its track) and the words for list statuses,
kinds, tracks, entry statuses, stages and the tie-break keys (the pages' template globals,
app/merit/views.py)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import current_locale, labeller
from ..recruitment.models import StageKind
from . import ranking
from .models import EntryStatus, ListKind, ListStatus, MeritList, Track
from .services import EXPIRED, UNKNOWN, VALID


def list_title(merit_list: MeritList, locale: str | None = None) -> str:
    """The list's title in `locale` (the request's by default); Thai when it has no English."""
    locale = locale or current_locale()
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


# ---- what an irreversible step will do (the confirmation dialog and page name it) -----------


_CONSEQUENCES = {
    "approve": lambda **v: _(
        "Version %(v)s of “%(title)s” will be approved as checked by a second person. It can "
        "then be published; to change it afterwards a new version must be prepared and approved.",
        **v,
    ),
    "publish": lambda **v: _(
        "Version %(v)s of “%(title)s” will be published: anyone can read it on the public result "
        "lists, with its digest, and it cannot be unpublished. A mistake then needs a correction "
        "or a withdrawal, each approved by two people.",
        **v,
    ),
    "withdrawal_request": lambda **v: _(
        "A withdrawal of version %(v)s will be requested with your reason. The list stays in "
        "force until a second HR approver confirms it.",
        **v,
    ),
    "withdraw": lambda **v: _(
        "Version %(v)s of “%(title)s” will be withdrawn: it is no longer in force and its public "
        "page says why. Offers awaiting an answer are withdrawn and the candidates told; this "
        "cannot be undone.",
        **v,
    ),
    "cancel": lambda **v: _(
        "Version %(v)s of “%(title)s” will be cancelled: it can never be approved, published or "
        "used. A new version would have to be prepared.",
        **v,
    ),
}


def consequence(step: str, merit_list: MeritList) -> str:
    """What `step` (approve, publish, withdrawal_request, withdraw, cancel) will do to this
    version of the list."""
    return _CONSEQUENCES[step](v=merit_list.version, title=list_title(merit_list))


def consequences(merit_list: MeritList) -> dict[str, str]:
    """Every step's consequence, for the list page's confirmation dialogs."""
    return {step: consequence(step, merit_list) for step in _CONSEQUENCES}


def waive_consequence(offer) -> str:
    """What waiving an offer does, said to the candidate before they confirm."""
    return _(
        "You give up the post of %(position)s: the offer goes back to the agency, which may call "
        "the next candidate on the list. This cannot be undone.",
        position=offer.position.title(current_locale()),
    )
