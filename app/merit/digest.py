"""The fixed content of a published list and its proof: the canonical content (the exact
bytes, docs/merit-lists.md), its SHA-256 digest (set at publication by workflow.publish),
checking that the stored content still matches it, and verifying a digest someone holds
(valid / expired / superseded, with the version in force / cancelled / unknown).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..common.clock import BANGKOK
from ..extensions import db
from .entries import RankedEntry, ranked_entries
from .models import CONTENT_FORMAT, CONTENT_FORMAT_1, ListStatus, MeritEntry, MeritList  # noqa: F401
from .services import UNKNOWN, score_text, status_on, versions_of


def canonical_dict(merit_list: MeritList) -> dict:
    """Format 2 (lists prepared since score sources were kept) adds each entry's `sources`;
    a list keeps the format it was published with, so its digest still verifies."""
    fmt = merit_list.content_format or CONTENT_FORMAT_1
    published = merit_list.published_at
    old = db.session.get(MeritList, merit_list.supersedes_id) if merit_list.supersedes_id else None
    return {
        "format": fmt,
        "agency": merit_list.round.agency.code,
        "round": merit_list.round.code,
        "kind": merit_list.kind,
        "track": merit_list.track,
        "version": merit_list.version,
        "title_th": merit_list.title_th,
        "ranking_parts": merit_list.ranking_parts or [],
        "tie_break": merit_list.tie_break or [],
        "published_on": published.astimezone(BANGKOK).date().isoformat() if published else None,
        "supersedes": old.digest if old is not None else None,
        "correction_reason": merit_list.correction_reason or "",
        "entries": [_entry(fmt, e) for e in ranked_entries(merit_list)],
    }


def _entry(fmt: str, e: RankedEntry) -> dict:
    entry = {
        "rank": e.rank,
        "application_number": e.number,
        "name_th": e.name_th,
        "scores": e.scores,
        "total": score_text(e.total),
    }
    if fmt != CONTENT_FORMAT_1:
        entry["sources"] = e.sources
    return entry


def canonical_content(merit_list: MeritList) -> bytes:
    """The bytes the digest is taken of (docs/merit-lists.md): JSON, keys sorted, no
    whitespace, UTF-8 (Thai as is)."""
    return json.dumps(
        canonical_dict(merit_list), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def digest_of(merit_list: MeritList) -> str:
    return hashlib.sha256(canonical_content(merit_list)).hexdigest()


def content_matches(merit_list: MeritList) -> bool:
    """Does the stored content still hash to the published digest?"""
    return merit_list.digest is not None and digest_of(merit_list) == merit_list.digest


@dataclass
class Verification:
    status: str  # valid / expired / superseded / cancelled / unknown
    merit_list: MeritList | None = None
    current: MeritList | None = None  # the version in force, when this one was superseded


def normalize_digest(value: str | None) -> str:
    value = (value or "").strip().lower()
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else ""


def verify(digest: str | None, on: date | None = None) -> Verification:
    digest = normalize_digest(digest)
    found = db.session.scalar(select(MeritList).where(MeritList.digest == digest)) if digest else None
    if found is None or found.published_at is None:
        return Verification(UNKNOWN)
    current = None
    if found.status == ListStatus.SUPERSEDED:
        current = next((v for v in reversed(versions_of(found)) if v.status == ListStatus.PUBLISHED), None)
    return Verification(status_on(found, on), found, current)
