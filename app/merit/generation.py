"""Preparing a list from the stage scores: the ranking rules of a round (parts, weights,
tie-break chain), loading the scores, ranking, the entry rows of each kind of list, storing
them in bulk, and `generate_list`, which prepares (or re-prepares) a draft. `prepare_version` also
makes the next version of a published list (workflow.correct).

This is the hot path for 100,000 candidates (bench/merit_rank.py, docs/performance.md): plain
rows and tuples, no ORM objects for the candidates or the entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, ValidationFailed
from ..exams.models import Seat, Sitting
from ..extensions import db
from ..recruitment.models import Round, StageKind
from ..scores.models import StageScore
from ..scores.results import sources_of_round
from . import ranking
from .labels import track_label
from .models import CONTENT_FORMAT, EntryStatus, ListKind, ListStatus, MeritEntry, MeritList
from .readiness import require_ready
from .services import PENDING, list_snapshot, need_hr, score_text, track_of_round, versions_in
from .wording import list_titles

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
    parts = tuple(
        (s.kind, Decimal(s.weight).quantize(ranking.CENT)) for s in round_.stages if s.counts_for_ranking
    )
    if not parts:
        raise ValidationFailed(
            _("No stage of this round counts for ranking: mark at least one stage as a ranking part."),
            "ranking_parts",
        )
    if isinstance(tie_break, str):
        tie_break = [k.strip() for k in tie_break.replace(";", ",").split(",") if k.strip()]
    chain = ranking.normalize_chain(tie_break or default_tie_break(round_))
    kinds = {s.kind for s in round_.stages}
    unknown = [k for k in chain if k != ranking.APPLICATION_NUMBER and k not in kinds]
    if unknown:
        raise ValidationFailed(
            _(
                "The tie-break chain names %(keys)s, which is not a stage of "
                "this round. Use stage codes (%(stages)s) and "
                "application_number.",
                keys=", ".join(unknown),
                stages=", ".join(sorted(kinds)),
            ),
            "tie_break",
        )
    return Rules(parts, chain)


# ---- generating --------------------------------------------------------------------------


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
        stmt = stmt.outerjoin(
            score, (score.application_id == Application.id) & (score.stage_kind == kind)
        ).add_columns(
            func.coalesce(cast(func.round(score.score * 100), Integer) * 2, -2) + cast(score.passed, Integer)
        )
    track = track_of_round(round_)
    score_in, passed_in = _ScoreCodes().__getitem__, _PassedCodes().__getitem__
    new = ranking.Candidate._make
    out = []
    with ranking.gc_paused():
        rows = (
            db.session.connection()
            .execute(
                stmt.where(
                    Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED
                )
            )
            .all()
        )
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


def rank_round(
    round_: Round, rules: Rules, candidates: list[ranking.Candidate] | None = None
) -> list[ranking.RankedEntry]:
    """The merit order of the round: passed every stage of the round, ranked by `rules`."""
    candidates = load_candidates(round_) if candidates is None else candidates
    return ranking.rank(candidates, rules.parts, rules.tie_break, required=[s.kind for s in round_.stages])


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
        yield (
            e.rank,
            c.ref[0],
            c.ref[1],
            total_text(e.total),
            "{" + ",".join(map(fragment, sorted(c.scores.items()))) + "}",
            e.decided_by,
        )


class _ScoreFragments(dict):
    """(stage code, score) -> its member of the scores' JSON object."""

    def __missing__(self, item) -> str:
        kind, score = item
        text = self[item] = f'"{kind}":null' if score is None else f'"{kind}":"{score:.2f}"'
        return text


class _TotalTexts(dict):
    """total -> its text with two decimals (equal totals share it)."""

    def __missing__(self, total) -> str | None:
        text = self[total] = score_text(total)
        return text


def _seats_of_round(round_: Round) -> dict[int, tuple[str, str]]:
    """(room, seat) of each candidate seated in a sitting of the round (the latest sitting)."""
    rows = db.session.execute(
        select(Seat.candidate_id, Seat.room, Seat.seat_number)
        .join(Sitting)
        .where(Sitting.round_id == round_.id)
        .order_by(Sitting.starts_at, Seat.id)
    ).all()
    return {cand: (room, seat) for cand, room, seat in rows}


def _by_number(candidates: list[ranking.Candidate]) -> list[ranking.Candidate]:
    return sorted(candidates, key=lambda c: ranking.number_key(c.application_number))


def _eligible_rows(round_: Round) -> list[tuple]:
    seats = _seats_of_round(round_)
    rows = []
    for i, c in enumerate(_by_number(load_candidates(round_)), start=1):
        app_id, cand_id = c.ref
        room, seat = seats.get(cand_id, ("", ""))
        rows.append(
            (i, app_id, cand_id, None, _json({"room": room, "seat": seat} if seat or room else {}), "")
        )
    return rows


def stages_before_part_c(round_: Round) -> list[str]:
    part_c = round_.stage(StageKind.PART_C)
    if part_c is None:
        raise NotAllowed(_("This round has no Part C stage."))
    return [s.kind for s in round_.stages if s.seq < part_c.seq]


def _passed_to_part_c_rows(round_: Round) -> list[tuple]:
    before = stages_before_part_c(round_)
    chosen = [c for c in load_candidates(round_) if ranking.passes(c, before)]
    return [
        (i, c.ref[0], c.ref[1], None, _json({k: score_text(c.scores.get(k)) for k in before}), "")
        for i, c in enumerate(_by_number(chosen), start=1)
    ]


# The stored form of an entry's scores: compact JSON, keys sorted, Thai as is.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

SQLITE_STORE_CACHE_KIB = -65536  # negative: KiB, i.e. 64 MiB while storing entries
_ENTRY_COLUMNS = (
    "list_id",
    "rank",
    "application_id",
    "candidate_id",
    "total",
    "scores",
    "decided_by",
    "sources",
    "status",
)


def _with_sources(rows: Iterable[tuple], sources: dict[int, str] | None) -> Iterator[tuple]:
    """Each row with its scores' sources (JSON text by application id; null without)."""
    get = (sources or {}).get
    for r in rows:
        yield (*r, get(r[1]))


def sources_json(round_: Round, kind: str) -> dict[int, str]:
    """The sources of the scores an entry of `kind` carries, as JSON text by application id
    (the eligible list carries no scores, so no sources)."""
    if kind == ListKind.ELIGIBLE:
        return {}
    keep = set(stages_before_part_c(round_)) if kind == ListKind.PASSED_TO_PART_C else None
    return {
        app_id: _json({k: v for k, v in by_stage.items() if keep is None or k in keep})
        for app_id, by_stage in sources_of_round(round_).items()
    }


def store_entries(list_id: int, rows: Iterable[tuple], sources: dict[int, str] | None = None) -> int:
    """Bulk insert of a list's entries in the session's transaction, no ORM object and no
    per-row SQLAlchemy parameter processing: PostgreSQL gets COPY, SQLite one DB-API
    executemany (the list and the status, the same for every row, written once into the
    statement). `rows` are (rank, application_id, candidate_id, total as text or None,
    scores as JSON text, decided_by); `sources` the JSON text of each application's score
    sources (sources_json). Returns how many were stored."""
    list_id = int(list_id)
    rows = _with_sources(rows, sources)
    available = EntryStatus.AVAILABLE
    conn = db.session.connection()
    dbapi = conn.connection.dbapi_connection
    columns = ", ".join(_ENTRY_COLUMNS)
    with ranking.gc_paused():
        if conn.dialect.name == "postgresql":
            with (
                dbapi.cursor() as cur,
                cur.copy(f"COPY {MeritEntry.__tablename__} ({columns}) FROM STDIN") as copy,
            ):
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
            cur.executemany(
                f"INSERT INTO {MeritEntry.__tablename__} ({columns}) VALUES "
                f"({list_id}, {', '.join([mark] * (len(_ENTRY_COLUMNS) - 2))}, "
                f"'{available}')",
                rows,
            )
        finally:
            cur.close()
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
    return len(rows)


def generate_list(
    round_: Round, actor, kind: str = ListKind.MERIT, track: str | None = None, tie_break=None
) -> MeritList:
    """Prepare (or re-prepare) the draft of one list of the round from the current scores.

    A pending draft or approved version is regenerated in place (its approval is cleared);
    a published list is never touched: `correct` makes its next version.
    """
    need_hr(actor, round_)
    if kind not in ListKind.ALL:
        raise ValidationFailed(_("Unknown kind of list."), "kind")
    round_track = track_of_round(round_)
    track = track or round_track
    if track != round_track:
        raise ValidationFailed(
            _("This round fills the %(track)s track only.", track=track_label(round_track)), "track"
        )
    versions = versions_in(round_.id, kind, track)
    pending = next((v for v in versions if v.status in PENDING), None)
    published = next((v for v in versions if v.status == ListStatus.PUBLISHED), None)
    if pending is None and published is not None:
        raise NotAllowed(
            _(
                "Version %(v)s of this list is published and cannot change: make a correction instead.",
                v=published.version,
            )
        )
    require_ready(round_, kind)
    return prepare_version(
        round_,
        actor,
        kind,
        track,
        tie_break,
        pending,
        next_version=(versions[-1].version + 1) if versions else 1,
    )


def prepare_version(
    round_: Round,
    actor,
    kind: str,
    track: str,
    tie_break,
    pending: MeritList | None,
    next_version: int,
    supersedes: MeritList | None = None,
    reason: str = "",
) -> MeritList:
    if kind == ListKind.MERIT:
        rules = _rules_for(
            round_,
            tie_break
            if tie_break is not None
            else (
                pending.tie_break
                if pending is not None
                else supersedes.tie_break
                if supersedes is not None
                else None
            ),
        )
        rows = merit_entry_rows(rank_round(round_, rules))
        parts = [{"stage": k, "weight": f"{w:.2f}"} for k, w in rules.parts]
        chain = list(rules.tie_break)
    else:
        rows = _eligible_rows(round_) if kind == ListKind.ELIGIBLE else _passed_to_part_c_rows(round_)
        parts, chain = [], []
    title_th, title_en = list_titles(round_, kind, track)
    before = list_snapshot(pending) if pending is not None else None
    try:
        if pending is not None:
            ml = pending
            db.session.execute(delete(MeritEntry).where(MeritEntry.list_id == ml.id))
            ml.status, ml.approved_by_id, ml.approved_at = ListStatus.DRAFT, None, None
        else:
            ml = MeritList(
                round_id=round_.id,
                kind=kind,
                track=track,
                version=next_version,
                status=ListStatus.DRAFT,
                supersedes_id=supersedes.id if supersedes else None,
                correction_reason=reason,
            )
            db.session.add(ml)
        ml.title_th, ml.title_en = title_th, title_en
        ml.ranking_parts, ml.tie_break = parts, chain
        ml.prepared_by_id, ml.prepared_at = actor.id, now()
        ml.content_format = CONTENT_FORMAT
        db.session.flush()
        stored = store_entries(ml.id, rows, sources_json(round_, kind))
        record(
            "merit_list.prepare",
            ml,
            actor=actor,
            before=before,
            after=list_snapshot(ml) | {"entries": stored, "correction_reason": reason},
        )
        if supersedes is not None:
            record(
                "merit_list.correct",
                supersedes,
                actor=actor,
                after={"new_version": ml.version, "new_list": ml.id, "reason": reason},
            )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("Someone else is preparing this list right now; try again.")) from None
    return ml
