"""Reading lists for the pages: the published lists and one of them for the public, a list's
entries searched by application number or name (never the national ID; the HR page uses it
too), its counts, its score columns and the people behind it, and a candidate's own places on
the published lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select

from ..accounts.models import User
from ..applications.models import Application
from ..common.access import is_hr_of
from ..common.errors import NotAllowed, NotFound
from ..extensions import db
from ..recruitment.models import StageKind
from ..scores import part_a
from .digest import content_matches
from .entries import entries_with_people, sources_by_rank, status_counts
from .models import EntryStatus, ListKind, ListStatus, MeritEntry, MeritList
from .services import get_list, status_on


def public_lists() -> list[MeritList]:
    """Lists in force or cancelled after publication (superseded versions are reached from
    their successor's version history)."""
    return list(
        db.session.scalars(
            select(MeritList)
            .where(MeritList.published_at.is_not(None), MeritList.status != ListStatus.SUPERSEDED)
            .order_by(MeritList.published_at.desc(), MeritList.id.desc())
        )
    )


def rounds_with_public_lists(round_ids: list[int]) -> set[int]:
    """Which of these rounds have a list out (in force or cancelled after publication)."""
    if not round_ids:
        return set()
    return set(
        db.session.scalars(
            select(MeritList.round_id).where(
                MeritList.round_id.in_(round_ids),
                MeritList.published_at.is_not(None),
                MeritList.status != ListStatus.SUPERSEDED,
            )
        )
    )


def public_list(list_id: int) -> MeritList:
    found = get_list(list_id)
    if found.published_at is None:
        raise NotFound(_("No such list."))
    return found


@dataclass
class EntryRow:
    rank: int
    application_number: str
    name_th: str
    name_en: str
    scores: dict
    total: Decimal | None
    decided_by: str
    status: str
    entry_id: int


def search_entries(
    merit_list: MeritList, q: str = "", page: int = 1, per_page: int = 100, status: str = ""
) -> Pagination:
    """Entries in rank order, filtered by application number or name (Thai or English), and by
    where they stand (`status`: available, called, ...; HR's page); never the national ID. A
    Flask-SQLAlchemy page whose items are EntryRows."""
    stmt = entries_with_people(merit_list)
    if status in EntryStatus.ALL:
        stmt = stmt.where(MeritEntry.status == status)
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        name_th = User.first_name_th + " " + User.last_name_th
        name_en = User.first_name_en + " " + User.last_name_en
        stmt = stmt.where(or_(Application.number.ilike(like), name_th.ilike(like), name_en.ilike(like)))
    found = db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)
    found.items = [_entry_row(e) for e in found.items]
    return found


def _entry_row(entry: MeritEntry) -> EntryRow:
    return EntryRow(
        entry.rank,
        entry.application.number,
        entry.candidate.full_name_th,
        entry.candidate.full_name_en,
        entry.scores or {},
        entry.total,
        entry.decided_by,
        entry.status,
        entry.id,
    )


def entry_counts(merit_list: MeritList) -> dict[str, int]:
    """How many entries have been called, appointed, waived (or lapsed) and remain."""
    counts = status_counts(merit_list)
    return {
        "total": sum(counts.values()),
        "called": counts.get(EntryStatus.CALLED, 0),
        "appointed": counts.get(EntryStatus.APPOINTED, 0),
        "waived": counts.get(EntryStatus.WAIVED, 0) + counts.get(EntryStatus.LAPSED, 0),
        "remaining": counts.get(EntryStatus.AVAILABLE, 0),
    }


@dataclass
class MyRanking:
    merit_list: MeritList
    entry: MeritEntry
    size: int  # entries on the list
    status: str  # valid / expired / cancelled


def my_rankings(user) -> list[MyRanking]:
    """The candidate's place on each published list (current versions and cancelled ones)."""
    if not getattr(user, "is_authenticated", False):
        return []
    pairs = db.session.execute(
        select(MeritList, MeritEntry)
        .join(MeritEntry, MeritEntry.list_id == MeritList.id)
        .where(
            MeritEntry.candidate_id == user.id,
            MeritList.published_at.is_not(None),
            MeritList.status != ListStatus.SUPERSEDED,
        )
        .order_by(MeritList.published_at.desc())
    ).all()
    sizes = (
        dict(
            db.session.execute(
                select(MeritEntry.list_id, func.count())
                .where(MeritEntry.list_id.in_([ml.id for ml, _e in pairs]))
                .group_by(MeritEntry.list_id)
            ).all()
        )
        if pairs
        else {}
    )
    return [MyRanking(ml, e, sizes.get(ml.id, 0), status_on(ml)) for ml, e in pairs]


def rankings_of_application(application: Application) -> list[MyRanking]:
    """The same, for one application (its page shows it)."""
    return [r for r in my_rankings(application.candidate) if r.entry.application_id == application.id]


def people_of(merit_list: MeritList) -> dict[str, User | None]:
    """Who prepared, approved and published the list (the two-person rule, shown)."""
    get = lambda uid: db.session.get(User, uid) if uid else None  # noqa: E731
    return {
        "prepared": get(merit_list.prepared_by_id),
        "approved": get(merit_list.approved_by_id),
        "published": get(merit_list.published_by_id),
    }


def score_columns(merit_list: MeritList) -> list[str]:
    """The stage scores an entry of this list shows, in stage order."""
    if merit_list.kind == ListKind.ELIGIBLE:
        return []
    stages = [s.kind for s in merit_list.round.stages]
    if merit_list.kind == ListKind.PASSED_TO_PART_C:
        part_c = merit_list.round.stage(StageKind.PART_C)
        return [s.kind for s in merit_list.round.stages if part_c is None or s.seq < part_c.seq]
    return stages


PUBLIC_STATUSES = (ListStatus.PUBLISHED, ListStatus.SUPERSEDED, ListStatus.CANCELLED)
PREVIEW_STATUSES = (ListStatus.DRAFT, ListStatus.APPROVED)


# ---- who may download ---------------------------------------------------------------------------
def is_public(merit_list: MeritList) -> bool:
    """Published, or published and then superseded or cancelled (a public record either way:
    the announcement says which). A draft cancelled before publication never was."""
    return merit_list.status in PUBLIC_STATUSES and merit_list.published_at is not None


def list_for_download(list_id: int, viewer=None, *, allow_preview: bool = False) -> MeritList:
    """The list whose outputs `viewer` may download: a public list (`is_public`), for anyone;
    a draft or approved one only as a preview (`allow_preview`) for HR of the round's agency.
    Anything else is NotFound, so no one learns that an unpublished list exists.

    A published list whose stored content no longer hashes to its digest is refused: its
    outputs would vouch for a digest that does not match them.
    """
    merit_list = get_list(list_id)
    if is_public(merit_list):
        if not content_matches(merit_list):
            raise NotAllowed(
                _(
                    "This list's content does not match its published digest. "
                    "Please contact the agency that published it."
                )
            )
        return merit_list
    if (
        allow_preview
        and merit_list.status in PREVIEW_STATUSES
        and is_hr_of(viewer, merit_list.round.agency_id)
    ):
        return merit_list
    raise NotFound(_("No such list."))


def part_a_basis(merit_list: MeritList):
    """Which Part A score a list used (raw or equated, from its entries' score sources as
    ranked), or None when the round has no Part A, the list is the eligible list (no scores),
    or it carries no sources."""
    if merit_list.kind == ListKind.ELIGIBLE or merit_list.round.stage(StageKind.PART_A) is None:
        return None
    sources = sources_by_rank(merit_list)
    if not sources:
        return None
    found = [s.get(StageKind.PART_A, "") for s in sources.values() if s]
    return part_a.list_basis(merit_list.round, [f for f in found if f])
