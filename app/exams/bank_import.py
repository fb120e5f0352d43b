"""Importing a checked bank into the database, and the items a form draws from it.

`import_bank` writes a valid bank in one transaction: an item's text and key are never edited
in place, a changed item gets a new version, so past attempts keep what they showed. A
blueprint becomes an exam, updated only while nobody has taken it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from . import bank_messages, media
from .bank_files import SOURCE_MAX, BankItem, Blueprint, LoadedBank, Skipped
from .bank_messages import N_, Message
from .models import Attempt, Exam, ExamItem, ItemVersion, Seat, Sitting


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # item codes
    new_versions: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reclassified: list[str] = field(default_factory=list)  # section/topic/difficulty
    blueprints_created: list[str] = field(default_factory=list)
    blueprints_updated: list[str] = field(default_factory=list)
    blueprints_unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # (code in the source, code given) for items imported under a new code (new_codes=True)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict:
        return {
            "items_created": len(self.created),
            "renamed": len(self.renamed),
            "versions_added": len(self.new_versions),
            "unchanged": len(self.unchanged),
            "reclassified": len(self.reclassified),
            "blueprints_created": len(self.blueprints_created),
            "blueprints_updated": len(self.blueprints_updated),
            "blueprints_unchanged": len(self.blueprints_unchanged),
            "skipped": len(self.skipped),
        }


class IdentityConflict(ValidationFailed):
    """Content for an existing code from a source that says it is another item."""

    def __init__(self, conflicts: list[str]):
        super().__init__(
            _(
                "%(n)d items have the code of a different item already in the bank; nothing was "
                "imported. Give them their own codes, or import them under new codes: %(list)s",
                n=len(conflicts),
                list="; ".join(bank_messages.shown(c) for c in conflicts),
            ),
            "code",
        )
        self.conflicts = conflicts


def import_bank(loaded: LoadedBank, actor=None, source: str = "", new_codes: bool = False) -> ImportReport:
    """Write a checked bank in one transaction; nothing is written if it has any error.

    An item whose code is in the bank already becomes a new version of it only when both come
    from the same origin (ExamItem.origin: the same package and resource, the same file and
    identifier or title). Otherwise the import is refused naming both places
    (IdentityConflict), or with `new_codes` the item gets the first free code CODE-2, CODE-3, ...
    """
    if loaded.errors:
        raise ValidationFailed(_("The bank has %(n)d errors; nothing was imported.", n=len(loaded.errors)))
    report = ImportReport(skipped=list(loaded.skipped))
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # Two imports of one bank at once would race for the same (bank, code).
            db.session.execute(text("SELECT pg_advisory_xact_lock(727002)"))
        _import_items(loaded.items, report, new_codes)
        _import_blueprints(loaded.blueprints, report)
        banks = loaded.banks
        record(
            "bank.import",
            actor=actor,
            object_type="exam_bank",
            object_id=banks[0][:40] if len(banks) == 1 else "",
            after={"banks": banks, "source": source, **report.counts()},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _import_items(items: list[BankItem], report: ImportReport, new_codes: bool) -> None:
    existing: dict[tuple[str, str], ExamItem] = {}
    for bank in sorted({i.bank for i in items}):
        for row in db.session.scalars(
            select(ExamItem).where(ExamItem.bank == bank).options(selectinload(ExamItem.versions))
        ):
            existing[(row.bank, row.code)] = row
    conflicts = []
    for item in items:
        row = existing.get((item.bank, item.code))
        if row is not None and not _same_item(row, item):
            if not new_codes:
                conflicts.append(_conflict(row, item))
                continue
            old = item.code
            item.code = _free_code(item.bank, old, existing)
            report.renamed.append((old, item.code))
            row = existing.get((item.bank, item.code))
        digest = item.content_hash
        if row is None:
            row = ExamItem(
                bank=item.bank,
                code=item.code,
                section=item.section,
                topic=item.topic,
                difficulty=item.difficulty,
                active=True,
                origin=item.origin,
            )
            db.session.add(row)
            existing[(item.bank, item.code)] = row
            row.versions.append(_version(item, 1, digest))
            report.created.append(item.code)
            continue
        if not row.origin:
            row.origin = item.origin  # (an item imported before origins were kept adopts this one)
        classification = (item.section, item.topic, item.difficulty)
        if (row.section, row.topic, row.difficulty) != classification:
            row.section, row.topic, row.difficulty = classification
            report.reclassified.append(item.code)
        current = row.current_version
        if current is not None and current.content_hash == digest:
            report.unchanged.append(item.code)
            continue
        number = (current.version if current else 0) + 1
        row.versions.append(_version(item, number, digest))
        report.new_versions.append((item.code, number))
    if conflicts:
        raise IdentityConflict(conflicts)
    db.session.flush()


def identity_conflicts(items: list[BankItem]) -> dict[tuple[str, str], Message]:
    """What `import_bank` would refuse without `new_codes`, nothing written: per (bank, code)
    of an item whose code belongs to a different item in the bank, the sentence naming both
    places (the bank page shows it before the import is confirmed)."""
    out: dict[tuple[str, str], str] = {}
    for bank in sorted({i.bank for i in items}):
        rows = {
            row.code: row
            for row in db.session.scalars(
                select(ExamItem).where(ExamItem.bank == bank).options(selectinload(ExamItem.versions))
            )
        }
        for item in (i for i in items if i.bank == bank):
            row = rows.get(item.code)
            if row is not None and not _same_item(row, item):
                out[(item.bank, item.code)] = _conflict(row, item)
    return out


def _same_item(row: ExamItem, item: BankItem) -> bool:
    """The same origin, or the same content (nothing would change), or an item kept before
    origins were."""
    if not row.origin or row.origin == item.origin:
        return True
    current = row.current_version
    return current is not None and current.content_hash == item.content_hash


def _conflict(row: ExamItem, item: BankItem) -> Message:
    return N_(
        "%(code)s of bank %(bank)s came from %(was)s; %(now)s is a different item with the same code",
        code=item.code,
        bank=item.bank,
        was=row.origin,
        now=item.origin,
    )


def _free_code(bank: str, code: str, existing: dict) -> str:
    """CODE-2, CODE-3, ...: the first code no item of the bank has (at most 40 characters)."""
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = code[: 40 - len(suffix)] + suffix
        if (bank, candidate) not in existing:
            return candidate
        n += 1


def _version(item: BankItem, number: int, digest: str) -> ItemVersion:
    version = ItemVersion(
        version=number,
        stem_th=item.stem["th"],
        stem_en=item.stem["en"],
        item_type=item.item_type,
        choices=[dict(c) for c in item.choices],
        key=item.key,
        fixed_order=item.fixed_order,
        min_choices=item.min_choices,
        max_choices=item.max_choices,
        explanation_th=item.explanation["th"],
        explanation_en=item.explanation["en"],
        content_hash=digest,
        source=item.source[:SOURCE_MAX],
    )
    media.attach(version, item.bank, item.media)  # the images and audio its texts show
    return version


def _import_blueprints(blueprints: list[Blueprint], report: ImportReport) -> None:
    for bp in blueprints:
        exam = db.session.scalar(select(Exam).where(Exam.code == bp.code))
        wanted = bp.exam_fields()
        if exam is None:
            db.session.add(Exam(code=bp.code, **wanted))
            report.blueprints_created.append(bp.code)
            continue
        if all(_same(getattr(exam, k), v) for k, v in wanted.items()):
            report.blueprints_unchanged.append(bp.code)
            continue
        if _has_attempts(exam):
            # Scores already given were computed with the old sections, points and pass mark.
            raise NotAllowed(
                _(
                    "Exam %(code)s has already been taken, so its blueprint cannot "
                    "change; give the new blueprint a new code.",
                    code=bp.code,
                )
            )
        for k, v in wanted.items():
            setattr(exam, k, v)
        report.blueprints_updated.append(bp.code)
    db.session.flush()


def _same(stored, wanted) -> bool:
    if isinstance(wanted, Decimal):
        return stored is not None and Decimal(stored) == wanted
    return stored == wanted


def _has_attempts(exam: Exam) -> bool:
    return (
        db.session.scalar(
            select(Attempt.id)
            .join(Seat, Attempt.seat_id == Seat.id)
            .join(Sitting, Seat.sitting_id == Sitting.id)
            .where(Sitting.exam_id == exam.id)
            .limit(1)
        )
        is not None
    )


# ---- what a form draws ---------------------------------------------------------------------
def items_for(bank: str, section: str, difficulty: str) -> list[ExamItem]:
    """The active items a form may draw for one section and difficulty band."""
    return list(
        db.session.scalars(
            select(ExamItem)
            .where(
                ExamItem.bank == bank,
                ExamItem.section == section,
                ExamItem.difficulty == difficulty,
                ExamItem.active.is_(True),
            )
            .options(selectinload(ExamItem.versions))
            .order_by(ExamItem.code)
        )
    )
