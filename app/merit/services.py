"""What the merit-list modules share: the status constants, finding a list (and HR's right to
it) and its versions, the track a round fills, a list's validity on a day, and the immutability
of a published list.

A list moves draft → approved → published. The approver is a second HR user of the agency
holding the hr_approver role (the database refuses approver = preparer too). A published list
is immutable: `_guard_published`, a before_flush hook on every session registered when this
module is imported (app/merit/__init__.py imports it), refuses any change but its lifecycle,
its one extension and its entries' use status; a correction is a new version that supersedes
it when published.

The rest of the lists: generation.py (rules, ranking, storing the entries, preparing a draft),
workflow.py (approve, publish, correct, extend, cancel), digest.py (canonical content, digest,
verification), entries.py (the entries in rank order, the rows and columns of every output),
public.py (reading a list for the pages, candidates' places, who may download), wording.py
(the Thai phrases of the official outputs, titles), labels.py (the pages' translated labels),
exports.py (CSV/XLSX), announcement_pdf.py (the announcement, built with documents/pdf.py).
Canonical content and digest: docs/merit-lists.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..common.access import need_hr_of_round
from ..common.clock import today_bangkok
from ..common.errors import NotAllowed
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..recruitment.models import Round
from ..recruitment.services import track_of_mode
from .models import ListKind, ListStatus, MeritEntry, MeritList, Track


class Validity(StrEnum):
    """What a list is on a given day (status_on), beside its stored status."""

    VALID = "valid"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


VALID, EXPIRED, SUPERSEDED, CANCELLED, UNKNOWN = Validity
# Statuses whose content is fixed (the list was published).
FROZEN = (ListStatus.PUBLISHED, ListStatus.SUPERSEDED, ListStatus.CANCELLED)
PENDING = (ListStatus.DRAFT, ListStatus.APPROVED)


class ListImmutable(NotAllowed):
    code = "list_immutable"


# ---- tracks ------------------------------------------------------------------------------


def track_of_round(round_: Round) -> str:
    """A round has one track, from its mode: disability rounds fill the disability track,
    shortage-qualification rounds the shortage track, every other mode the general track.
    (Applications carry no track of their own: a person applies to a round of a track.)"""
    return Track(track_of_mode(round_.mode))


# ---- access ------------------------------------------------------------------------------

# HR of the round's agency, or Forbidden (app/common/access.py).
need_hr = need_hr_of_round


def get_list(list_id: int) -> MeritList:
    return get_or_not_found(MeritList, list_id, _("No such list."))


def list_for_hr(list_id: int, user) -> MeritList:
    found = get_list(list_id)
    need_hr(user, found.round)
    return found


def lists_of_round(round_: Round) -> list[MeritList]:
    return list(
        db.session.scalars(
            select(MeritList)
            .where(MeritList.round_id == round_.id)
            .order_by(MeritList.kind, MeritList.track, MeritList.version.desc())
        )
    )


def versions_in(round_id: int, kind: str, track: str) -> list[MeritList]:
    """Every version of the list of this round, kind and track, oldest first."""
    return list(
        db.session.scalars(
            select(MeritList)
            .where(MeritList.round_id == round_id, MeritList.kind == kind, MeritList.track == track)
            .order_by(MeritList.version)
        )
    )


def versions_of(merit_list: MeritList) -> list[MeritList]:
    """Every version of the same list (round, kind, track), oldest first."""
    return versions_in(merit_list.round_id, merit_list.kind, merit_list.track)


def list_snapshot(ml: MeritList) -> dict:
    """What the audit log keeps of a list before and after a step."""
    return {
        "round": ml.round_id,
        "kind": ml.kind,
        "track": ml.track,
        "version": ml.version,
        "status": ml.status,
        "ranking_parts": ml.ranking_parts,
        "tie_break": ml.tie_break,
        "prepared_by": ml.prepared_by_id,
        "approved_by": ml.approved_by_id,
        "published_by": ml.published_by_id,
        "published_at": ml.published_at,
        "valid_until": ml.valid_until,
        "extended": ml.extended,
        "digest": ml.digest,
        "supersedes": ml.supersedes_id,
    }


def score_text(value) -> str | None:
    """A score or total as the entries store it and the canonical content hashes it: text
    with two decimals."""
    return None if value is None else f"{Decimal(value):.2f}"


def ranking_stages(merit_list: MeritList) -> list[tuple[str, Decimal]]:
    """The ranking parts as (stage kind, weight): stored as [{"stage", "weight"}, …]."""
    out = []
    for part in merit_list.ranking_parts or []:
        if isinstance(part, dict):
            out.append((part["stage"], Decimal(str(part.get("weight", "1")))))
        else:
            out.append((str(part), Decimal(1)))
    return out


# ---- validity ----------------------------------------------------------------------------


def status_on(merit_list: MeritList, on: date | None = None) -> str:
    """valid / expired / superseded / cancelled (draft / approved before publication)."""
    if merit_list.status == ListStatus.CANCELLED:
        return CANCELLED
    if merit_list.status == ListStatus.SUPERSEDED:
        return SUPERSEDED
    if merit_list.status != ListStatus.PUBLISHED:
        return merit_list.status
    on = on or today_bangkok()
    if merit_list.valid_until is not None and on > merit_list.valid_until:
        return EXPIRED
    return VALID


def usable(merit_list: MeritList, on: date | None = None) -> bool:
    """Can candidates be called from it: a published merit list, within validity, not
    cancelled or superseded."""
    return merit_list.kind == ListKind.MERIT and status_on(merit_list, on) == VALID


# ---- immutability ------------------------------------------------------------------------

# What may still change on a published list: its lifecycle (superseded, cancelled) and its
# validity (one extension). Entries may change only their use status (offers).
_LIST_MUTABLE_AFTER_PUBLICATION = {
    "status",
    "cancelled_at",
    "cancel_reason",
    "valid_until",
    "extended",
    "extension_reason",
    "cancelled_by_id",
    "withdrawal_requested_by_id",
    "withdrawal_requested_at",
    "withdrawal_reason",
}
_ALLOWED_TRANSITIONS = {ListStatus.PUBLISHED: {ListStatus.SUPERSEDED, ListStatus.CANCELLED}}


def _committed(obj, attr: str):
    """The value in the database before this flush (read back when the attribute was set
    while expired, so its history does not know the old value)."""
    state = inspect(obj)
    hist = state.attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.added and state.identity is not None:
        model = type(obj)
        return state.session.execute(
            select(getattr(model, attr)).where(model.id == state.identity[0])
        ).scalar()
    return getattr(obj, attr)


def _changed(obj) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}


def _frozen_list(session, list_id: int | None) -> bool:
    if list_id is None:
        return False
    ml = session.get(MeritList, list_id)
    return ml is not None and _committed(ml, "status") in FROZEN


def _refuse():
    raise ListImmutable(_("A published list cannot be changed: publish a correction instead."))


@event.listens_for(Session, "before_flush")
def _guard_published(session, _flush_context, _instances):
    for obj in session.dirty:
        if isinstance(obj, MeritList):
            was = _committed(obj, "status")
            if was not in FROZEN:
                continue
            changed = _changed(obj)
            if changed - _LIST_MUTABLE_AFTER_PUBLICATION:
                _refuse()
            if "status" in changed and obj.status not in _ALLOWED_TRANSITIONS.get(was, set()):
                _refuse()
            if changed & {"valid_until", "extended", "extension_reason"} and was != ListStatus.PUBLISHED:
                _refuse()
        elif (
            isinstance(obj, MeritEntry)
            and _changed(obj) - {"status"}
            and _frozen_list(session, _committed(obj, "list_id"))
        ):
            _refuse()
    for obj in session.new:
        if isinstance(obj, MeritEntry) and _frozen_list(session, obj.list_id):
            _refuse()
    for obj in session.deleted:
        if isinstance(obj, MeritList) and _committed(obj, "status") in FROZEN:
            _refuse()
        if isinstance(obj, MeritEntry) and _frozen_list(session, obj.list_id):
            _refuse()
