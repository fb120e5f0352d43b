"""A list's entries in rank order, and the rows and columns every output of a list shows: the
one query behind the canonical content (digest.py), the
CSV/XLSX and the announcement (exports.py, announcement_pdf.py), the pages' search (public.py)
and the calls of candidates (offers.py). Only what is published is read, never the national ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..applications.models import Application
from ..extensions import db
from ..recruitment.models import StageKind
from .models import CONTENT_FORMAT_1, EntryStatus, ListKind, MeritEntry, MeritList
from .services import ranking_stages
from .wording import SEATING, number_text, part_en, part_th


@dataclass(frozen=True)
class RankedEntry:
    """One entry as every output of the list shows it."""

    rank: int
    number: str  # the application number (เลขประจำตัวสอบ)
    name_th: str  # "first last", exactly as the canonical content hashes it
    scores: dict  # the entry's scores (or room and seat) as stored
    total: Decimal | str | None
    decided_by: str
    sources: dict


def ranked_entries(merit_list: MeritList) -> list[RankedEntry]:
    """Every entry of the list in rank order, read column by column (never whole user rows).

    Read on the session's connection, without an autoflush: the digest is computed while a
    publication is being flushed, and a flush then would run the published-list guard early."""
    stmt = (
        select(
            MeritEntry.rank,
            Application.number,
            User.first_name_th,
            User.last_name_th,
            MeritEntry.scores,
            MeritEntry.total,
            MeritEntry.decided_by,
            MeritEntry.sources,
        )
        .join(Application, Application.id == MeritEntry.application_id)
        .join(User, User.id == MeritEntry.candidate_id)
        .where(MeritEntry.list_id == merit_list.id)
        .order_by(MeritEntry.rank)
    )
    return [
        RankedEntry(
            rank, number, f"{first} {last}", dict(scores or {}), total, decided or "", dict(sources or {})
        )
        for rank, number, first, last, scores, total, decided, sources in db.session.connection().execute(
            stmt
        )
    ]


def status_counts(merit_list: MeritList) -> dict[str, int]:
    """How many of the list's entries stand in each status (a status no entry has is left out)."""
    return dict(
        db.session.execute(
            select(MeritEntry.status, func.count())
            .where(MeritEntry.list_id == merit_list.id)
            .group_by(MeritEntry.status)
        ).all()
    )


def entries_with_people(merit_list: MeritList) -> Select:
    """The list's MeritEntry rows in rank order, their application and candidate loaded with
    them (join on Application and User to filter by number or name)."""
    return (
        select(MeritEntry)
        .join(Application, Application.id == MeritEntry.application_id)
        .join(User, User.id == MeritEntry.candidate_id)
        .options(contains_eager(MeritEntry.application), contains_eager(MeritEntry.candidate))
        .where(MeritEntry.list_id == merit_list.id)
        .order_by(MeritEntry.rank)
    )


def available_in_rank_order(merit_list: MeritList, what=MeritEntry) -> Select:
    """`what` (the entries, or a column of them) of the entries still available to be called,
    best rank first."""
    return (
        select(what)
        .where(MeritEntry.list_id == merit_list.id, MeritEntry.status == EntryStatus.AVAILABLE)
        .order_by(MeritEntry.rank)
    )


# ---- the rows and columns of a list -----------------------------------------------------------
@dataclass(frozen=True)
class Row:
    rank: int
    number: str  # the application number (เลขประจำตัวสอบ)
    name_th: str
    values: dict  # the entry's scores (or room and seat) as stored
    total: Decimal | None
    decided_by: str


@dataclass(frozen=True)
class Column:
    key: str  # a stage kind, "room", "seat"
    th: str
    en: str
    numeric: bool
    max_score: Decimal | None = None

    def value(self, row: Row):
        """A score as a Decimal (None when missing), anything else as text."""
        raw = row.values.get(self.key)
        return to_decimal(raw) if self.numeric else ("" if raw is None else str(raw))

    def text(self, row: Row) -> str:
        value = self.value(row)
        return number_text(value) if self.numeric else value


def rows_of(merit_list: MeritList) -> list[Row]:
    """The entries in rank order, with only what is published (never the national ID)."""
    return [
        Row(e.rank, e.number, e.name_th, e.scores, to_decimal(e.total), e.decided_by)
        for e in ranked_entries(merit_list)
    ]


def sources_by_rank(merit_list: MeritList) -> dict[int, dict] | None:
    """Each entry's score sources by rank (None for a list of canonical format 1, which
    published no sources)."""
    if (merit_list.content_format or CONTENT_FORMAT_1) == CONTENT_FORMAT_1:
        return None
    return dict(
        db.session.execute(
            select(MeritEntry.rank, MeritEntry.sources).where(MeritEntry.list_id == merit_list.id)
        ).all()
    )


def columns_of(merit_list: MeritList, rows: list[Row], every_score: bool = False) -> list[Column]:
    """The columns after rank, number and name (the total comes separately): what the entries
    hold (the stages' scores in stage order; room and seat on the list of those eligible to
    sit), or for the announcement of a merit list (`every_score` False) its ranking parts."""
    stages = {s.kind: s for s in merit_list.round.stages}
    seen = []
    for row in rows:
        seen.extend(k for k in row.values if k not in seen)
    if merit_list.kind == ListKind.MERIT and merit_list.ranking_parts and not every_score:
        keys = [k for k, _w in ranking_stages(merit_list)]
    else:
        keys = [k for k in StageKind.ALL if k in seen] + [k for k in seen if k not in StageKind.ALL]
    columns = []
    for key in keys:
        if key in SEATING:
            columns.append(Column(key, *SEATING[key], numeric=False))
        else:
            numeric = all(_is_number(row.values.get(key)) for row in rows)
            stage = stages.get(key)
            columns.append(
                Column(
                    key,
                    f"คะแนน{part_th(key)}",
                    f"{part_en(key)} score",
                    numeric,
                    stage.max_score if stage else None,
                )
            )
    return columns


def has_totals(rows: list[Row]) -> bool:
    return any(row.total is not None for row in rows)


def full_total(merit_list: MeritList) -> Decimal | None:
    """The total's full marks: Σ weight × the stage's full marks over the ranking parts."""
    stages = {s.kind: s for s in merit_list.round.stages}
    parts = ranking_stages(merit_list)
    if not parts or any(k not in stages for k, _w in parts):
        return None
    return sum((w * stages[k].max_score for k, w in parts), Decimal(0))


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _is_number(value) -> bool:
    return value is None or value == "" or to_decimal(value) is not None
