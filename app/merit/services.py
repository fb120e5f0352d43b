"""Result lists of a round and the merit list: generating them from the stage scores, the
two-person publishing workflow, versions and corrections, the digest, validity, public search.

A list moves draft → approved → published. The approver is a second HR user of the agency
holding the hr_approver role (the database refuses approver = preparer too). A published list
is immutable (`_guard_published` refuses any change but its use status); a correction is a new
version that supersedes it when published. Canonical content and digest: docs/merit-lists.md.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import (Integer, cast, delete, event, func, inspect, or_, select,
                        update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..accounts.models import Role, User
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import BANGKOK, now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..exams.models import Seat, Sitting
from ..extensions import db
from ..recruitment.models import Mode, Round, StageKind
from ..recruitment.services import is_hr_of
from ..scores.models import StageScore
from . import ranking
from .models import EntryStatus, ListKind, ListStatus, MeritEntry, MeritList, Track

DEFAULT_VALID_YEARS = 2  # config MERIT_LIST_VALID_YEARS overrides
MAX_EXTENSION_YEARS = 2  # config MERIT_LIST_MAX_EXTENSION_YEARS overrides
CONTENT_FORMAT = "bma-recruit/merit-list/1"

VALID, EXPIRED, SUPERSEDED, CANCELLED, UNKNOWN = (
    "valid", "expired", "superseded", "cancelled", "unknown")
# Statuses whose content is fixed (the list was published).
FROZEN = (ListStatus.PUBLISHED, ListStatus.SUPERSEDED, ListStatus.CANCELLED)
PENDING = (ListStatus.DRAFT, ListStatus.APPROVED)


class ListImmutable(NotAllowed):
    code = "list_immutable"


# ---- tracks and titles -------------------------------------------------------------------

def track_of_round(round_: Round) -> str:
    """A round has one track, from its mode: disability rounds fill the disability track,
    shortage-qualification rounds the shortage track, every other mode the general track.
    (Applications carry no track of their own: a person applies to a round of a track.)"""
    if round_.mode == Mode.DISABILITY:
        return Track.DISABILITY
    if round_.mode == Mode.SHORTAGE:
        return Track.SHORTAGE
    return Track.GENERAL


_MERIT_TITLE = {
    Mode.COMPETITIVE_EXAM: ("บัญชีรายชื่อผู้สอบแข่งขันได้", "Merit list of successful candidates"),
    Mode.SELECTION_EXAM: ("บัญชีรายชื่อผู้สอบคัดเลือกได้", "Merit list of successful candidates"),
}
_SELECTED = ("บัญชีรายชื่อผู้ได้รับการคัดเลือก", "List of selected candidates")
_KIND_TITLE = {
    ListKind.ELIGIBLE: ("ประกาศรายชื่อผู้มีสิทธิ์เข้ารับการสอบ", "Applicants eligible to sit"),
    ListKind.PASSED_TO_PART_C: ("ประกาศรายชื่อผู้มีสิทธิ์เข้ารับการประเมินภาค ค",
                                "Candidates called to Part C"),
}
_TRACK_SUFFIX = {Track.DISABILITY: (" (คนพิการ)", " (persons with disabilities)"),
                 Track.SHORTAGE: (" (วุฒิที่ขาดแคลน)", " (shortage qualifications)"),
                 Track.GENERAL: ("", "")}


def _titles(round_: Round, kind: str, track: str) -> tuple[str, str]:
    th, en = (_MERIT_TITLE.get(round_.mode, _SELECTED) if kind == ListKind.MERIT
              else _KIND_TITLE[kind])
    sth, sen = _TRACK_SUFFIX[track]
    pos = round_.position
    return (f"{th}{sth} ตำแหน่ง{pos.title_th} ({round_.title_th})",
            f"{en}{sen}: {pos.title_en or pos.title_th} ({round_.title_en or round_.title_th})")


def list_title(merit_list: MeritList, locale: str = "th") -> str:
    return merit_list.title_en if locale == "en" and merit_list.title_en else merit_list.title_th


# ---- access ------------------------------------------------------------------------------

def _need_hr(user, round_: Round) -> None:
    if not is_hr_of(user, round_):
        raise Forbidden(_("This round belongs to another agency."))


def get_list(list_id: int) -> MeritList:
    found = db.session.get(MeritList, list_id)
    if found is None:
        raise NotFound(_("No such list."))
    return found


def list_for_hr(list_id: int, user) -> MeritList:
    found = get_list(list_id)
    _need_hr(user, found.round)
    return found


def lists_of_round(round_: Round) -> list[MeritList]:
    return list(db.session.scalars(select(MeritList).where(MeritList.round_id == round_.id)
                                   .order_by(MeritList.kind, MeritList.track,
                                             MeritList.version.desc())))


def _versions(round_id: int, kind: str, track: str) -> list[MeritList]:
    return list(db.session.scalars(select(MeritList).where(
        MeritList.round_id == round_id, MeritList.kind == kind, MeritList.track == track)
        .order_by(MeritList.version)))


def versions_of(merit_list: MeritList) -> list[MeritList]:
    """Every version of the same list (round, kind, track), oldest first."""
    return _versions(merit_list.round_id, merit_list.kind, merit_list.track)


def _snapshot(ml: MeritList) -> dict:
    return {"round": ml.round_id, "kind": ml.kind, "track": ml.track, "version": ml.version,
            "status": ml.status, "ranking_parts": ml.ranking_parts, "tie_break": ml.tie_break,
            "prepared_by": ml.prepared_by_id, "approved_by": ml.approved_by_id,
            "published_by": ml.published_by_id, "published_at": ml.published_at,
            "valid_until": ml.valid_until, "extended": ml.extended, "digest": ml.digest,
            "supersedes": ml.supersedes_id}


# ---- rules of a merit list ---------------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    parts: tuple[tuple[str, Decimal], ...]  # (stage kind, weight)
    tie_break: tuple[str, ...]  # after the total; ends with "application_number"


def default_tie_break(round_: Round) -> list[str]:
    """Higher Part B, then earlier application number (domain default); a round without
    Part B breaks ties on its first ranking stage instead."""
    kinds = [s.kind for s in round_.stages]
    if StageKind.PART_B in kinds:
        return [StageKind.PART_B, ranking.APPLICATION_NUMBER]
    first = next((s.kind for s in round_.stages if s.counts_for_ranking), None)
    return [k for k in (first, ranking.APPLICATION_NUMBER) if k]


def _rules_for(round_: Round, tie_break) -> Rules:
    parts = tuple((s.kind, Decimal(s.weight).quantize(ranking.CENT))
                  for s in round_.stages if s.counts_for_ranking)
    if not parts:
        raise ValidationFailed(_("No stage of this round counts for ranking: mark at least "
                                 "one stage as a ranking part."), "ranking_parts")
    if isinstance(tie_break, str):
        tie_break = [k.strip() for k in tie_break.replace(";", ",").split(",") if k.strip()]
    chain = ranking.normalize_chain(tie_break or default_tie_break(round_))
    kinds = {s.kind for s in round_.stages}
    unknown = [k for k in chain if k != ranking.APPLICATION_NUMBER and k not in kinds]
    if unknown:
        raise ValidationFailed(_("The tie-break chain names %(keys)s, which is not a stage of "
                                 "this round. Use stage codes (%(stages)s) and "
                                 "application_number.", keys=", ".join(unknown),
                                 stages=", ".join(sorted(kinds))), "tie_break")
    return Rules(parts, chain)


def rules_of(merit_list: MeritList) -> Rules:
    """The ranking parts with their weights and the tie-break chain a list was ranked with."""
    parts = tuple((p["stage"], Decimal(p["weight"])) for p in merit_list.ranking_parts or [])
    return Rules(parts, tuple(merit_list.tie_break or []))


# ---- generating --------------------------------------------------------------------------

def _fmt(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def load_candidates(round_: Round) -> list[ranking.Candidate]:
    """Every approved application of the round with its stage scores (plain data).
    `ref` is (application id, candidate id)."""
    kinds = [s.kind for s in round_.stages]
    # One row per application with one outer join per stage (each on the unique
    # (application, stage) index), and per stage one integer: score in whole cents × 2 +
    # passed (-2 + passed when the stage has a result but no score, NULL when it has none).
    # Plain ints and no ORM loading: this is the hot path for 100,000 candidates.
    stmt = select(Application.id, Application.number, Application.candidate_id)
    for kind in kinds:
        score = aliased(StageScore)
        stmt = stmt.outerjoin(score, (score.application_id == Application.id)
                              & (score.stage_kind == kind)).add_columns(
            func.coalesce(cast(func.round(score.score * 100), Integer) * 2, -2)
            + cast(score.passed, Integer))
    track = track_of_round(round_)
    score_in, passed_in = _ScoreCodes().__getitem__, _PassedCodes().__getitem__
    new = ranking.Candidate._make
    out = []
    with ranking.gc_paused():
        rows = db.session.connection().execute(stmt.where(
            Application.round_id == round_.id,
            Application.status == ApplicationStatus.APPROVED)).all()
        for row in rows:
            codes = row[3:]
            if None in codes:  # a stage without a result: left out of both
                present = [(k, c) for k, c in zip(kinds, codes) if c is not None]
                scores = {k: score_in(c) for k, c in present}
                passed = {k: passed_in(c) for k, c in present}
            else:
                scores = dict(zip(kinds, map(score_in, codes)))
                passed = dict(zip(kinds, map(passed_in, codes)))
            out.append(new((row[1], scores, passed, track, (row[0], row[2]))))
    return out


class _ScoreCodes(dict):
    """A stage's code in load_candidates -> its score (a two-decimal Decimal, shared by equal
    scores) or None."""

    def __missing__(self, code: int) -> Decimal | None:
        value = self[code] = None if code < 0 else Decimal(code >> 1).scaleb(-2)
        return value


class _PassedCodes(dict):
    """A stage's code in load_candidates -> passed."""

    def __missing__(self, code: int) -> bool:
        value = self[code] = bool(code & 1)
        return value


def rank_round(round_: Round, rules: Rules,
               candidates: list[ranking.Candidate] | None = None) -> list[ranking.RankedEntry]:
    """The merit order of the round: passed every stage of the round, ranked by `rules`."""
    candidates = load_candidates(round_) if candidates is None else candidates
    return ranking.rank(candidates, rules.parts, rules.tie_break,
                        required=[s.kind for s in round_.stages])


def merit_entry_rows(ranked: list[ranking.RankedEntry]) -> Iterator[tuple]:
    """Entry tuples (see store_entries) of ranked candidates, made as they are stored: on
    PostgreSQL the server inserts the rows already sent while the next ones are made. The
    scores' JSON is written directly: stage codes are plain ASCII and every score has two
    decimals (load_candidates), so this is what the JSON encoder would write, only faster;
    each distinct score and total is formatted once."""
    fragment = _ScoreFragments().__getitem__
    total_text = _TotalTexts().__getitem__
    for e in ranked:
        c = e.candidate
        yield (e.rank, c.ref[0], c.ref[1], total_text(e.total),
               "{" + ",".join(map(fragment, sorted(c.scores.items()))) + "}", e.decided_by)


class _ScoreFragments(dict):
    """(stage code, score) -> its member of the scores' JSON object."""

    def __missing__(self, item) -> str:
        kind, score = item
        text = self[item] = f'"{kind}":null' if score is None else f'"{kind}":"{score:.2f}"'
        return text


class _TotalTexts(dict):
    """total -> its text with two decimals (equal totals share it)."""

    def __missing__(self, total) -> str | None:
        text = self[total] = _fmt(total)
        return text


def _seats_of_round(round_: Round) -> dict[int, tuple[str, str]]:
    """(room, seat) of each candidate seated in a sitting of the round (the latest sitting)."""
    rows = db.session.execute(
        select(Seat.candidate_id, Seat.room, Seat.seat_number).join(Sitting)
        .where(Sitting.round_id == round_.id).order_by(Sitting.starts_at, Seat.id)).all()
    return {cand: (room, seat) for cand, room, seat in rows}


def _by_number(candidates: list[ranking.Candidate]) -> list[ranking.Candidate]:
    return sorted(candidates, key=lambda c: ranking.number_key(c.application_number))


def _eligible_rows(round_: Round) -> list[tuple]:
    seats = _seats_of_round(round_)
    rows = []
    for i, c in enumerate(_by_number(load_candidates(round_)), start=1):
        app_id, cand_id = c.ref
        room, seat = seats.get(cand_id, ("", ""))
        rows.append((i, app_id, cand_id, None,
                     _json({"room": room, "seat": seat} if seat or room else {}), ""))
    return rows


def stages_before_part_c(round_: Round) -> list[str]:
    part_c = round_.stage(StageKind.PART_C)
    if part_c is None:
        raise NotAllowed(_("This round has no Part C stage."))
    return [s.kind for s in round_.stages if s.seq < part_c.seq]


def _passed_to_part_c_rows(round_: Round) -> list[tuple]:
    before = stages_before_part_c(round_)
    chosen = [c for c in load_candidates(round_) if ranking.passes(c, before)]
    return [(i, c.ref[0], c.ref[1], None, _json({k: _fmt(c.scores.get(k)) for k in before}), "")
            for i, c in enumerate(_by_number(chosen), start=1)]


# The stored form of an entry's scores: compact JSON, keys sorted, Thai as is.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

SQLITE_STORE_CACHE_KIB = -65536  # negative: KiB, i.e. 64 MiB while storing entries
_ENTRY_COLUMNS = ("list_id", "rank", "application_id", "candidate_id", "total", "scores",
                  "decided_by", "status")


def store_entries(list_id: int, rows: Iterable[tuple]) -> int:
    """Bulk insert of a list's entries in the session's transaction, no ORM object and no
    per-row SQLAlchemy parameter processing: PostgreSQL gets COPY, SQLite one DB-API
    executemany (the list and the status, the same for every row, written once into the
    statement). `rows` are (rank, application_id, candidate_id, total as text or None,
    scores as JSON text, decided_by); returns how many were stored."""
    list_id = int(list_id)
    available = EntryStatus.AVAILABLE
    conn = db.session.connection()
    dbapi = conn.connection.dbapi_connection
    columns = ", ".join(_ENTRY_COLUMNS)
    with ranking.gc_paused():
        if conn.dialect.name == "postgresql":
            with dbapi.cursor() as cur, \
                    cur.copy(f"COPY {MeritEntry.__tablename__} ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                stored = 0
                for r in rows:  # made while the server inserts the rows sent before
                    write((list_id, *r, available))
                    stored += 1
            return stored
        rows = list(rows)
        if not rows:
            return 0
        sqlite = conn.dialect.name == "sqlite"
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        if sqlite:  # room for the indexes being filled (the default page cache is 2 MB)
            previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_STORE_CACHE_KIB}")
        cur = dbapi.cursor()
        try:
            cur.executemany(f"INSERT INTO {MeritEntry.__tablename__} ({columns}) VALUES "
                            f"({list_id}, {', '.join([mark] * (len(_ENTRY_COLUMNS) - 2))}, "
                            f"'{available}')", rows)
        finally:
            cur.close()
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
    return len(rows)


def generate_list(round_: Round, actor, kind: str = ListKind.MERIT, track: str | None = None,
                  tie_break=None) -> MeritList:
    """Prepare (or re-prepare) the draft of one list of the round from the current scores.

    A pending draft or approved version is regenerated in place (its approval is cleared);
    a published list is never touched: `correct` makes its next version.
    """
    _need_hr(actor, round_)
    if kind not in ListKind.ALL:
        raise ValidationFailed(_("Unknown kind of list."), "kind")
    round_track = track_of_round(round_)
    track = track or round_track
    if track != round_track:
        raise ValidationFailed(_("This round fills the %(track)s track only.",
                                 track=track_label(round_track)), "track")
    versions = _versions(round_.id, kind, track)
    pending = next((v for v in versions if v.status in PENDING), None)
    published = next((v for v in versions if v.status == ListStatus.PUBLISHED), None)
    if pending is None and published is not None:
        raise NotAllowed(_("Version %(v)s of this list is published and cannot change: "
                           "make a correction instead.", v=published.version))
    return _prepare(round_, actor, kind, track, tie_break, pending,
                    next_version=(versions[-1].version + 1) if versions else 1)


def _prepare(round_: Round, actor, kind: str, track: str, tie_break, pending: MeritList | None,
             next_version: int, supersedes: MeritList | None = None,
             reason: str = "") -> MeritList:
    if kind == ListKind.MERIT:
        rules = _rules_for(round_, tie_break if tie_break is not None else (
            pending.tie_break if pending is not None else
            supersedes.tie_break if supersedes is not None else None))
        rows = merit_entry_rows(rank_round(round_, rules))
        parts = [{"stage": k, "weight": f"{w:.2f}"} for k, w in rules.parts]
        chain = list(rules.tie_break)
    else:
        rows = _eligible_rows(round_) if kind == ListKind.ELIGIBLE else \
            _passed_to_part_c_rows(round_)
        parts, chain = [], []
    title_th, title_en = _titles(round_, kind, track)
    before = _snapshot(pending) if pending is not None else None
    try:
        if pending is not None:
            ml = pending
            db.session.execute(delete(MeritEntry).where(MeritEntry.list_id == ml.id))
            ml.status, ml.approved_by_id, ml.approved_at = ListStatus.DRAFT, None, None
        else:
            ml = MeritList(round_id=round_.id, kind=kind, track=track, version=next_version,
                           status=ListStatus.DRAFT,
                           supersedes_id=supersedes.id if supersedes else None,
                           correction_reason=reason)
            db.session.add(ml)
        ml.title_th, ml.title_en = title_th, title_en
        ml.ranking_parts, ml.tie_break = parts, chain
        ml.prepared_by_id, ml.prepared_at = actor.id, now()
        db.session.flush()
        stored = store_entries(ml.id, rows)
        record("merit_list.prepare", ml, actor=actor, before=before,
               after=_snapshot(ml) | {"entries": stored, "correction_reason": reason})
        if supersedes is not None:
            record("merit_list.correct", supersedes, actor=actor,
                   after={"new_version": ml.version, "new_list": ml.id, "reason": reason})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("Someone else is preparing this list right now; try again.")) from None
    return ml


# ---- the workflow ------------------------------------------------------------------------

def _lock(merit_list: MeritList) -> MeritList:
    """Re-read the list's row for update (PostgreSQL row lock until commit), so two people
    acting on the same list at once act one after the other on its current state."""
    return db.session.scalars(select(MeritList).where(MeritList.id == merit_list.id)
                              .with_for_update()
                              .execution_options(populate_existing=True)).one()


def approve(merit_list: MeritList, approver) -> MeritList:
    """The second pair of eyes: an HR approver of the agency other than the preparer."""
    _need_hr(approver, merit_list.round)
    merit_list = _lock(merit_list)
    if not approver.has_role(Role.HR_APPROVER):
        raise Forbidden(_("Only an HR approver can approve a list."))
    if approver.id == merit_list.prepared_by_id:
        raise Forbidden(_("You prepared this list, so you cannot approve it: a second HR "
                          "approver must check and approve it (two-person rule)."))
    if merit_list.status != ListStatus.DRAFT:
        raise NotAllowed(_("Only a draft list can be approved."))
    before = _snapshot(merit_list)
    merit_list.status = ListStatus.APPROVED
    merit_list.approved_by_id, merit_list.approved_at = approver.id, now()
    record("merit_list.approve", merit_list, actor=approver, before=before,
           after=_snapshot(merit_list))
    db.session.commit()
    return merit_list


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) if has_app_context() else default


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February into a common year
        return d.replace(year=d.year + years, day=28)


def publish(merit_list: MeritList, actor) -> MeritList:
    """Publish an approved list: fix its content with a digest, start its validity, and
    supersede the version it corrects (which keeps that version's validity)."""
    _need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    if merit_list.status != ListStatus.APPROVED:
        raise NotAllowed(_("Only an approved list can be published."))
    old = db.session.get(MeritList, merit_list.supersedes_id) if merit_list.supersedes_id else None
    if old is not None and old.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("The version this correction replaces is no longer published."))
    if old is not None:
        _carry_use_over(old, merit_list)
    before = _snapshot(merit_list)
    at = now()
    merit_list.status = ListStatus.PUBLISHED
    merit_list.published_by_id, merit_list.published_at = actor.id, at
    if old is not None:  # a correction does not make a list live longer
        merit_list.valid_until, merit_list.extended = old.valid_until, old.extended
        merit_list.extension_reason = old.extension_reason
    else:
        merit_list.valid_until = add_years(at.astimezone(BANGKOK).date(),
                                           _config("MERIT_LIST_VALID_YEARS", DEFAULT_VALID_YEARS))
    # Set the digest before anything is flushed: once flushed as published, the list is frozen.
    with db.session.no_autoflush:
        merit_list.digest = digest_of(merit_list)
    record("merit_list.publish", merit_list, actor=actor, before=before,
           after=_snapshot(merit_list))
    if old is not None:
        old_before = _snapshot(old)
        old.status = ListStatus.SUPERSEDED
        record("merit_list.supersede", old, actor=actor, before=old_before,
               after=_snapshot(old) | {"superseded_by": merit_list.id,
                                       "reason": merit_list.correction_reason})
    try:
        db.session.commit()
    except IntegrityError:  # the same digest cannot be published twice
        db.session.rollback()
        raise NotAllowed(_("This list could not be published just now; try again.")) from None
    return merit_list


def _carry_use_over(old: MeritList, new: MeritList) -> None:
    """Appointed, waived and lapsed candidates keep that status in the corrected version;
    open offers must be settled first (they point at the old version's entries)."""
    called = db.session.scalar(select(func.count()).select_from(MeritEntry).where(
        MeritEntry.list_id == old.id, MeritEntry.status == EntryStatus.CALLED))
    if called:
        raise NotAllowed(_("%(n)s candidates on the current version have an open offer: wait "
                           "for their answer (or the deadline) before publishing the "
                           "correction.", n=called))
    used = dict(db.session.execute(select(MeritEntry.application_id, MeritEntry.status).where(
        MeritEntry.list_id == old.id, MeritEntry.status != EntryStatus.AVAILABLE)).all())
    if not used:
        return
    ids = db.session.execute(select(MeritEntry.id, MeritEntry.application_id).where(
        MeritEntry.list_id == new.id, MeritEntry.application_id.in_(list(used)))).all()
    if ids:
        db.session.execute(update(MeritEntry), [{"id": i, "status": used[a]} for i, a in ids])


def correct(merit_list: MeritList, actor, reason: str, tie_break=None) -> MeritList:
    """A new draft version of a published list from the current scores, with the reason.
    It supersedes the published version once it is approved and published in turn."""
    _need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the correction: it is printed with "
                                 "the new version."), "reason")
    if merit_list.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("Only the published version of a list can be corrected."))
    versions = versions_of(merit_list)
    pending = next((v for v in versions if v.status in PENDING), None)
    if pending is not None:
        raise NotAllowed(_("A correction is already being prepared (version %(v)s).",
                           v=pending.version))
    return _prepare(merit_list.round, actor, merit_list.kind, merit_list.track, tie_break,
                    None, next_version=versions[-1].version + 1, supersedes=merit_list,
                    reason=reason)


def extend(merit_list: MeritList, actor, reason: str, until: date) -> MeritList:
    """Extend a valid published list once, with a reason."""
    _need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the extension."), "reason")
    if merit_list.status != ListStatus.PUBLISHED:
        raise NotAllowed(_("Only a published list can be extended."))
    if merit_list.extended:
        raise NotAllowed(_("This list has already been extended once; it cannot be extended "
                           "again."))
    if status_on(merit_list) == EXPIRED:
        raise NotAllowed(_("This list has expired; it can no longer be extended."))
    if not isinstance(until, date) or until <= merit_list.valid_until:
        raise ValidationFailed(_("The new end of validity must be after %(d)s.",
                                 d=merit_list.valid_until.isoformat()), "until")
    limit = add_years(merit_list.valid_until,
                      _config("MERIT_LIST_MAX_EXTENSION_YEARS", MAX_EXTENSION_YEARS))
    if until > limit:
        raise ValidationFailed(_("A list can be extended until %(d)s at the latest.",
                                 d=limit.isoformat()), "until")
    before = _snapshot(merit_list)
    merit_list.valid_until, merit_list.extended = until, True
    merit_list.extension_reason = reason
    record("merit_list.extend", merit_list, actor=actor, before=before,
           after=_snapshot(merit_list) | {"reason": reason})
    db.session.commit()
    return merit_list


def cancel(merit_list: MeritList, actor, reason: str) -> MeritList:
    """Cancel a list (e.g. a new list for the same position is published) or a pending draft;
    a cancelled list stays viewable and can no longer be used."""
    _need_hr(actor, merit_list.round)
    merit_list = _lock(merit_list)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the cancellation."), "reason")
    if merit_list.status not in (ListStatus.PUBLISHED, *PENDING):
        raise NotAllowed(_("This list is %(status)s and cannot be cancelled.",
                           status=list_status_label(merit_list.status)))
    before = _snapshot(merit_list)
    merit_list.status = ListStatus.CANCELLED
    merit_list.cancelled_at, merit_list.cancel_reason = now(), reason
    record("merit_list.cancel", merit_list, actor=actor, before=before,
           after=_snapshot(merit_list) | {"reason": reason})
    db.session.commit()
    return merit_list


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


# ---- canonical content and digest --------------------------------------------------------

def canonical_dict(merit_list: MeritList) -> dict:
    rows = db.session.connection().execute(
        select(MeritEntry.rank, Application.number, User.first_name_th, User.last_name_th,
               MeritEntry.scores, MeritEntry.total)
        .join(Application, Application.id == MeritEntry.application_id)
        .join(User, User.id == MeritEntry.candidate_id)
        .where(MeritEntry.list_id == merit_list.id).order_by(MeritEntry.rank)).all()
    published = merit_list.published_at
    old = db.session.get(MeritList, merit_list.supersedes_id) if merit_list.supersedes_id else None
    return {
        "format": CONTENT_FORMAT,
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
        "entries": [{"rank": rank, "application_number": number,
                     "name_th": f"{first} {last}", "scores": scores or {},
                     "total": _fmt(total)}
                    for rank, number, first, last, scores, total in rows],
    }


def canonical_content(merit_list: MeritList) -> bytes:
    """The bytes the digest is taken of (docs/merit-lists.md): JSON, keys sorted, no
    whitespace, UTF-8 (Thai as is)."""
    return json.dumps(canonical_dict(merit_list), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


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
    found = db.session.scalar(select(MeritList).where(MeritList.digest == digest)) \
        if digest else None
    if found is None or found.published_at is None:
        return Verification(UNKNOWN)
    current = None
    if found.status == ListStatus.SUPERSEDED:
        current = next((v for v in reversed(versions_of(found))
                        if v.status == ListStatus.PUBLISHED), None)
    return Verification(status_on(found, on), found, current)


# ---- public pages ------------------------------------------------------------------------

def public_lists() -> list[MeritList]:
    """Lists in force or cancelled after publication (superseded versions are reached from
    their successor's version history)."""
    return list(db.session.scalars(select(MeritList).where(
        MeritList.published_at.is_not(None), MeritList.status != ListStatus.SUPERSEDED)
        .order_by(MeritList.published_at.desc(), MeritList.id.desc())))


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


@dataclass
class Page:
    rows: list[EntryRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_entries(merit_list: MeritList, q: str = "", page: int = 1,
                   per_page: int = 100) -> Page:
    """Entries in rank order, filtered by application number or name (Thai or English);
    never the national ID."""
    stmt = (select(MeritEntry.rank, Application.number, User.first_name_th, User.last_name_th,
                   User.first_name_en, User.last_name_en, MeritEntry.scores, MeritEntry.total,
                   MeritEntry.decided_by, MeritEntry.status, MeritEntry.id)
            .join(Application, Application.id == MeritEntry.application_id)
            .join(User, User.id == MeritEntry.candidate_id)
            .where(MeritEntry.list_id == merit_list.id))
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        name_th = User.first_name_th + " " + User.last_name_th
        name_en = User.first_name_en + " " + User.last_name_en
        stmt = stmt.where(or_(Application.number.ilike(like), name_th.ilike(like),
                              name_en.ilike(like)))
    count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.execute(stmt.order_by(MeritEntry.rank).limit(per_page)
                              .offset((page - 1) * per_page)).all()
    return Page([EntryRow(r[0], r[1], f"{r[2]} {r[3]}", f"{r[4]} {r[5]}".strip(), r[6] or {},
                          r[7], r[8], r[9], r[10]) for r in rows], count, page, per_page)


def entry_counts(merit_list: MeritList) -> dict[str, int]:
    """How many entries have been called, appointed, waived (or lapsed) and remain."""
    counts = dict(db.session.execute(
        select(MeritEntry.status, func.count()).where(MeritEntry.list_id == merit_list.id)
        .group_by(MeritEntry.status)).all())
    return {"total": sum(counts.values()),
            "called": counts.get(EntryStatus.CALLED, 0),
            "appointed": counts.get(EntryStatus.APPOINTED, 0),
            "waived": counts.get(EntryStatus.WAIVED, 0) + counts.get(EntryStatus.LAPSED, 0),
            "remaining": counts.get(EntryStatus.AVAILABLE, 0)}


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
        select(MeritList, MeritEntry).join(MeritEntry, MeritEntry.list_id == MeritList.id)
        .where(MeritEntry.candidate_id == user.id, MeritList.published_at.is_not(None),
               MeritList.status != ListStatus.SUPERSEDED)
        .order_by(MeritList.published_at.desc())).all()
    sizes = dict(db.session.execute(
        select(MeritEntry.list_id, func.count()).where(
            MeritEntry.list_id.in_([ml.id for ml, _e in pairs]))
        .group_by(MeritEntry.list_id)).all()) if pairs else {}
    return [MyRanking(ml, e, sizes.get(ml.id, 0), status_on(ml)) for ml, e in pairs]


def rankings_of_application(application: Application) -> list[MyRanking]:
    """The same, for one application (its page shows it)."""
    return [r for r in my_rankings(application.candidate)
            if r.entry.application_id == application.id]


def people_of(merit_list: MeritList) -> dict[str, User | None]:
    """Who prepared, approved and published the list (the two-person rule, shown)."""
    get = lambda uid: db.session.get(User, uid) if uid else None  # noqa: E731
    return {"prepared": get(merit_list.prepared_by_id),
            "approved": get(merit_list.approved_by_id),
            "published": get(merit_list.published_by_id)}


def score_columns(merit_list: MeritList) -> list[str]:
    """The stage scores an entry of this list shows, in stage order."""
    if merit_list.kind == ListKind.ELIGIBLE:
        return []
    stages = [s.kind for s in merit_list.round.stages]
    if merit_list.kind == ListKind.PASSED_TO_PART_C:
        part_c = merit_list.round.stage(StageKind.PART_C)
        return [s.kind for s in merit_list.round.stages if part_c is None or s.seq < part_c.seq]
    return stages


# ---- labels ------------------------------------------------------------------------------

_STAGE_SHORT = {
    StageKind.PART_A: lambda: _("Part A"),
    StageKind.PART_B: lambda: _("Part B"),
    StageKind.PART_C: lambda: _("Part C"),
    StageKind.QUALIFICATIONS: lambda: _("Qualifications review"),
}


def stage_short_label(kind: str) -> str:
    return _STAGE_SHORT[kind]() if kind in _STAGE_SHORT else kind


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


def list_status_label(status: str) -> str:
    return _LIST_STATUS[status]() if status in _LIST_STATUS else status


def list_kind_label(kind: str) -> str:
    return _KIND[kind]() if kind in _KIND else kind


def track_label(track: str) -> str:
    return _TRACK[track]() if track in _TRACK else track


def entry_status_label(status: str) -> str:
    return _ENTRY_STATUS[status]() if status in _ENTRY_STATUS else status


# ---- immutability ------------------------------------------------------------------------

# What may still change on a published list: its lifecycle (superseded, cancelled) and its
# validity (one extension). Entries may change only their use status (offers).
_LIST_MUTABLE_AFTER_PUBLICATION = {"status", "cancelled_at", "cancel_reason", "valid_until",
                                   "extended", "extension_reason"}
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
        return state.session.execute(select(getattr(model, attr)).where(
            model.id == state.identity[0])).scalar()
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
            if changed & {"valid_until", "extended", "extension_reason"} \
                    and was != ListStatus.PUBLISHED:
                _refuse()
        elif isinstance(obj, MeritEntry):
            if _changed(obj) - {"status"} and _frozen_list(session, _committed(obj, "list_id")):
                _refuse()
    for obj in session.new:
        if isinstance(obj, MeritEntry) and _frozen_list(session, obj.list_id):
            _refuse()
    for obj in session.deleted:
        if isinstance(obj, MeritList) and _committed(obj, "status") in FROZEN:
            _refuse()
        if isinstance(obj, MeritEntry) and _frozen_list(session, obj.list_id):
            _refuse()


def days_left(merit_list: MeritList) -> int | None:
    if merit_list.valid_until is None:
        return None
    return (merit_list.valid_until - today_bangkok()) // timedelta(days=1)
