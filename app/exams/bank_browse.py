"""What the bank pages show and the one change they make besides importing: the banks, their
items with versions, use and statistics, an item as a candidate sees it, and retiring an item.

Showing an item is the same everywhere (`candidate_view`): its texts rendered by
app/exams/content.py, the choices labelled as on the test page (ก ข ค … in Thai).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, NotFound, ValidationFailed
from ..extensions import db
from . import analysis, assembly, bank_import, content, item_types
from .bank_files import BankItem, LoadedBank, choice_labels
from .models import ExamItem, ItemVersion

REASON_MAX = 500


def difficulty_label(band: str) -> str:
    """easy / medium / hard in the reader's language."""
    label = assembly.BAND_LABELS.get(band)
    return label() if label else band


# ---- an item as a candidate sees it ---------------------------------------------------------
@dataclass
class CandidateView:
    """One item in one language, rendered as on the test page (choices in the author's order)."""

    lang: str
    stem: str  # sanitised HTML
    choices: list[dict]  # {"id", "label", "html"}
    key_label: str = ""
    item_type: str = item_types.SINGLE  # (how it is answered: item_types.py)
    limit_hint: str = ""  # multiple response: "Choose up to 2 answers."


def candidate_view(
    stem: dict,
    choices: list[dict],
    key,
    lang: str,
    media_base: str,
    item_type: str = item_types.SINGLE,
    limits: tuple = (None, None),
) -> CandidateView:
    labels = choice_labels(lang)
    rendered = [
        {
            "id": c["id"],
            "label": labels[pos] if pos < len(labels) else c["id"],
            "html": content.to_inline_html(c.get(lang) or "", media_base, lang),
        }
        for pos, c in enumerate(choices)
    ]
    by_id = {c["id"]: c["label"] for c in rendered}
    key_label = item_types.key_shown(item_type, key, lambda cid: by_id.get(cid, cid))
    stem_html = content.to_html(stem.get(lang) or "", media_base, lang)
    hint = item_types.choice_limit_hint(*limits) if item_type == item_types.MULTIPLE else ""
    return CandidateView(lang, stem_html, rendered, key_label, item_type, hint)


def views_of(
    stem: dict,
    choices: list[dict],
    key,
    media_base: str,
    item_type: str = item_types.SINGLE,
    limits: tuple = (None, None),
) -> list[CandidateView]:
    """The item in each language it is written in, Thai first; `limits` (min, max) choices of
    a multiple-response item."""
    return [
        candidate_view(stem, choices, key, lang, media_base, item_type, limits)
        for lang in ("th", "en")
        if stem.get(lang)
    ]


# ---- the upload's preview -------------------------------------------------------------------
NEW, NEW_VERSION, UNCHANGED, CONFLICT = "new", "new_version", "unchanged", "conflict"


@dataclass
class PreviewItem:
    item: BankItem
    status: str  # NEW, NEW_VERSION, UNCHANGED or CONFLICT, against the bank as it is
    views: list[CandidateView] = field(default_factory=list)
    # CONFLICT: the code belongs to a different item (another origin), both places named
    conflict: str = ""


def preview(loaded: LoadedBank, media_base) -> list[PreviewItem]:
    """Every item read from an upload, as candidates will see it, and what importing it would
    do. `media_base(code)` says where the upload's files are shown."""
    current = {
        (row.bank, row.code): row.current_version
        for row in db.session.scalars(
            select(ExamItem)
            .where(ExamItem.bank.in_({i.bank for i in loaded.items}))
            .options(selectinload(ExamItem.versions))
        )
    }
    conflicts = bank_import.identity_conflicts(loaded.items)
    out = []
    for item in loaded.items:
        version = current.get((item.bank, item.code))
        conflict = conflicts.get((item.bank, item.code), "")
        status = (
            CONFLICT
            if conflict
            else NEW
            if version is None
            else UNCHANGED
            if version.content_hash == item.content_hash
            else NEW_VERSION
        )
        views = views_of(
            item.stem,
            item.choices,
            item.key,
            media_base(item.code),
            item.item_type,
            (item.min_choices, item.max_choices),
        )
        out.append(PreviewItem(item, status, views, conflict))
    return out


# ---- browsing -------------------------------------------------------------------------------
@dataclass
class BankRow:
    bank: str
    items: int
    retired: int


def banks() -> list[BankRow]:
    rows = db.session.execute(
        select(ExamItem.bank, func.count(), func.sum(func.cast(ExamItem.retired_at.is_not(None), db.Integer)))
        .group_by(ExamItem.bank)
        .order_by(ExamItem.bank)
    )
    return [BankRow(bank, items, int(retired or 0)) for bank, items, retired in rows]


@dataclass
class ItemRow:
    item: ExamItem
    drawn: int  # attempts that drew any version
    stats: analysis.ItemStats | None  # of the current version
    summary: str  # the stem in one line
    summary_lang: str = "th"  # its language ("en" for an English-only item: marked on the page)


def items_of(bank: str) -> list[ItemRow]:
    """The bank's items by section and code, with use and the current version's statistics."""
    items = list(
        db.session.scalars(
            select(ExamItem)
            .where(ExamItem.bank == bank)
            .options(selectinload(ExamItem.versions))
            .order_by(ExamItem.section, ExamItem.code)
        )
    )
    if not items:
        raise NotFound(_("There is no bank %(bank)s.", bank=bank))
    use = analysis.bank_item_use(bank)
    rows = []
    for item in items:
        version = item.current_version
        rows.append(
            ItemRow(
                item=item,
                drawn=sum(use[v.id].drawn for v in item.versions if v.id in use),
                stats=use[version.id].stats if version is not None and version.id in use else None,
                summary=content.to_plain(version.stem_th or version.stem_en) if version else "",
                summary_lang="en" if version is not None and not version.stem_th else "th",
            )
        )
    return rows


def item_of(bank: str, code: str) -> ExamItem:
    item = db.session.scalar(
        select(ExamItem)
        .where(ExamItem.bank == bank, ExamItem.code == code)
        .options(selectinload(ExamItem.versions).selectinload(ItemVersion.assets))
    )
    if item is None:
        raise NotFound(_("There is no item %(code)s in bank %(bank)s.", code=code, bank=bank))
    return item


@dataclass
class VersionRow:
    version: ItemVersion
    use: analysis.BankUse
    views: list[CandidateView]


def versions_of(item: ExamItem, media_base) -> list[VersionRow]:
    """Each version of an item, newest first, as candidates saw it, with its use and statistics.
    `media_base(version id)` says where each version's files are served."""
    use = analysis.bank_item_use(item.bank)
    return [
        VersionRow(
            v,
            use.get(v.id, analysis.BankUse()),
            views_of(
                {"th": v.stem_th, "en": v.stem_en},
                v.choices,
                v.key,
                media_base(v.id),
                v.item_type,
                (v.min_choices, v.max_choices),
            ),
        )
        for v in reversed(item.versions)
    ]


def summary_of(version_id: int, locale: str = "th") -> str:
    """An item version's stem in one line (item analysis tables)."""
    version = db.session.get(ItemVersion, version_id)
    if version is None:
        return ""
    return content.to_plain((version.stem_en if locale == "en" else "") or version.stem_th or version.stem_en)


# ---- retiring -------------------------------------------------------------------------------
def retire(user, item: ExamItem, reason: str) -> None:
    """Take an item out of new forms, with the reason (audited). Forms already drawn keep it."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why the item is retired."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("The reason is longer than %(n)d characters.", n=REASON_MAX), "reason")
    if item.retired_at is not None:
        raise NotAllowed(_("Item %(code)s is already retired.", code=item.code))
    item.active = False
    item.retired_at = now()
    item.retired_by_id = user.id
    item.retired_reason = reason
    record(
        "bank.item_retire",
        actor=user,
        object_type="exam_item",
        object_id=str(item.id),
        before={"active": True},
        after={"bank": item.bank, "code": item.code, "active": False, "reason": reason},
    )
    db.session.commit()
