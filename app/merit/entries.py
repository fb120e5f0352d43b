"""A list's entries in rank order: the one query behind the canonical content (digest.py), the
CSV/XLSX and the announcement (exports.py, announcement_pdf.py), the pages' search (public.py)
and the calls of candidates (offers.py). Only what is published is read, never the national ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..accounts.models import User
from ..applications.models import Application
from ..extensions import db
from .models import EntryStatus, MeritEntry, MeritList


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
