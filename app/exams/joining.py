"""Joining the test: the connection becomes the live one, the waiting room's start, and the
state the page (re)builds itself from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, and_, bindparam, null, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, defer, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.functions import FunctionElement

from ..accounts.models import User
from ..accounts.sessions import same_token
from ..common.clock import BANGKOK, now
from ..common.errors import NotAllowed, NotFound, SessionEnded
from ..common.types import UTCDateTime
from ..extensions import db
from . import hot, item_types, outages, timing
from .answering import Live, item_text, question_payload, section_closes_at, status_for
from .assembly import section_layout
from .errors import NotStarted, Paused
from .models import Attempt, AttemptAnswer, Exam, Seat, Sitting
from .starting import begin_all, begin_if_due, can_start
from .submission import results_visible

# The ORM's read of a join that begins the attempt (`_join_beginning`; the others read
# `attempt_view`). Built once: building it with its loader options, and its cache key, for
# every such join cost as much CPU as running it.
_FOR_JOIN = (
    select(Attempt)
    .join(Attempt.seat)
    .where(Seat.sitting_id == bindparam("sitting_id"), Seat.candidate_id == bindparam("user_id"))
    .options(
        # (the proctors' row, with the candidate's name and application number, is built by
        # their batch: proctoring.ProgressBatcher)
        contains_eager(Attempt.seat).joinedload(Seat.sitting).joinedload(Sitting.exam),
        selectinload(Attempt.answers),
    )
)

_ATTEMPTS = Attempt.__table__
_MAKE_LIVE = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(
        live_sid=bindparam("sid"),
        last_seen_at=bindparam("at", type_=_ATTEMPTS.c.last_seen_at.type),
        lost_seconds=bindparam("lost", type_=_ATTEMPTS.c.lost_seconds.type),
    )
)


_MAKE_LEFT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.live_sid == bindparam("sid"))
    .values(live_sid=None, last_seen_at=bindparam("at", type_=_ATTEMPTS.c.last_seen_at.type))
)


@dataclass(frozen=True)
class Leave:
    """A live connection that dropped, at `at`."""

    attempt_id: int
    sid: str
    at: datetime


def mark_left(leaves: list[Leave]) -> None:
    """The attempts whose live connection dropped are no longer live, disconnected since the
    moment each dropped (their lost time counts from it): one statement for all, committed.
    An attempt another connection joined meanwhile keeps that one (only the connection that
    dropped is cleared), so a leave stored late never undoes a join."""
    db.session.execute(_MAKE_LEFT, [{"attempt_id": x.attempt_id, "sid": x.sid, "at": x.at} for x in leaves])
    db.session.commit()


def attempt_for_join(user_id: int, sitting_id: int) -> Attempt:
    """The candidate's attempt with all that joining reads (its seat, sitting, exam and
    answers) in two statements, instead of a lazy load for each."""
    attempt = db.session.scalar(_FOR_JOIN, {"sitting_id": sitting_id, "user_id": user_id})
    if attempt is None:
        raise NotFound(_("You have not checked in to this sitting."))
    set_committed_value(attempt.seat, "attempt", attempt)  # (the one-to-one's other side)
    return attempt


@dataclass(frozen=True)
class Joined:
    """What joining gives the connection: its attempt's fixed part, the page's state and the
    connection it replaced (to be told and closed), if any."""

    live: Live
    state: dict
    previous_sid: str | None


# ---- the join's read, without the ORM -------------------------------------------------------
#
# A hall that drops and connects again (a network blip, a worker restarted) joins again all
# at once, thousands in seconds, while the rest of the hall answers. Loading the attempt, its
# seat, sitting, exam and answers as ORM objects was about 0.7 ms of CPU a join, two thirds
# of it (cProfile; py-spy under the reconnect storm: a fifth of the processes' CPU, issue 20),
# and on the main pool it took a transaction's BEGIN and COMMIT round trips besides. The join
# reads the same columns, its answers and the account's session token with one Core statement
# on the hot path's connection (exams.hot: autocommit on PostgreSQL), into plain objects with
# the models' attribute names, which the state's builders (attempt_state, Live.of, timing,
# results_visible) read as they read the models. A join that must begin the attempt (a
# synchronized sitting already started) goes the ORM way: it writes the start and its audit
# entry.


class View:
    """A row read for the join, under its model's attribute names (not an ORM object: nothing
    is tracked, nothing is loaded lazily)."""

    def __init__(self, **values):
        self.__dict__.update(values)


# What the state's builders read of each (a View lacks the rest: reading another attribute
# fails loudly, in the tests that compare the two ways).
_VIEWED = (
    (
        Attempt,
        "id seat_id form form_seed status started_at deadline submitted_at score max_score "
        "section_scores passed section_started live_sid last_seen_at lost_seconds outage_seconds "
        "extension_seconds focus_losses",
    ),
    (Seat, "id sitting_id candidate_id extra_time_percent large_text high_contrast"),
    (
        Sitting,
        "id exam_id timing_mode starts_at window_ends_at late_entry_minutes status started_at paused_at "
        "ended_at results_published_at",
    ),
    (Exam, "id duration_minutes results_policy sections is_part_a"),
)
_VIEW_KEYS = [(part, key) for part, (_, keys) in enumerate(_VIEWED) for key in keys.split()]
# (times as the driver reads them are made UTC, as the models' columns give them)
_VIEW_TIMES = frozenset(
    i
    for i, (part, key) in enumerate(_VIEW_KEYS)
    if isinstance(getattr(_VIEWED[part][0], key).type, UTCDateTime)
)
_SEATS, _SITTINGS, _EXAMS = Seat.__table__, Sitting.__table__, Exam.__table__
_ANSWERS, _USERS = AttemptAnswer.__table__, User.__table__


class _RowsAsJSON(FunctionElement):
    """A JSON array of one array per row (an aggregate): PostgreSQL's json_agg of
    json_build_array, SQLite's json_group_array of json_array. In no particular order."""

    type = JSON()
    inherit_cache = True


@compiles(_RowsAsJSON)
def _rows_as_json(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_RowsAsJSON, "postgresql")
def _rows_as_json_postgresql(element, compiler, **kw):
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


# The attempt's answers, in the same statement (index, choice, seq, flagged): one round trip
# and one statement less a join than reading them apart.
_ANSWERS_OF_ATTEMPT = (
    select(_RowsAsJSON(_ANSWERS.c.index, _ANSWERS.c.choice, _ANSWERS.c.seq, _ANSWERS.c.flagged))
    .where(_ANSWERS.c.attempt_id == _ATTEMPTS.c.id)
    .scalar_subquery()
)


def _join_view(columns: list):
    """The account, whatever it has checked in to: its current session token is the join's
    check of the connection's session (accounts.sessions.Claim), refused the same with or
    without a seat."""
    return (
        select(_USERS.c.session_token, _ANSWERS_OF_ATTEMPT, *columns)
        .select_from(
            _USERS.outerjoin(
                _SEATS.join(_ATTEMPTS, _SEATS.c.id == _ATTEMPTS.c.seat_id)
                .join(_SITTINGS, _SITTINGS.c.id == _SEATS.c.sitting_id)
                .join(_EXAMS, _EXAMS.c.id == _SITTINGS.c.exam_id),
                and_(_SEATS.c.candidate_id == _USERS.c.id, _SEATS.c.sitting_id == bindparam("sitting_id")),
            )
        )
        .where(_USERS.c.id == bindparam("user_id"))
    )


_VIEW_COLUMNS = [getattr(_VIEWED[part][0], key) for part, key in _VIEW_KEYS]
_FORM_AT = _VIEW_KEYS.index((0, "form"))
_ID_AT, _SEED_AT = _VIEW_KEYS.index((0, "id")), _VIEW_KEYS.index((0, "form_seed"))
_JOIN_VIEW = _join_view(_VIEW_COLUMNS)
# The same without the form, for an attempt whose form this process remembers (_FORMS).
_JOIN_VIEW_LEAN = _join_view([null() if i == _FORM_AT else c for i, c in enumerate(_VIEW_COLUMNS)])
_VIEW_FROM = 2  # (the view's columns follow the token and the answers)


# ---- the forms this process has read ---------------------------------------------------------
#
# An attempt's form is fixed at check-in (checkin: assemble_form) and is most of what a join
# reads: its JSON, parsed again at every join, and for every candidate at the proctor's start,
# was a third of the start's CPU (bench/exam_profile.py, issue 20). Each process keeps the
# forms of the attempts it joined, by candidate and sitting, so a page that joins again (a
# reload; a hall back after a network blip, sticky to the same process) reads everything but
# its form. A remembered form is used only for the attempt it was read for: the same id and
# the same seed its form was drawn with (ids come back in a database emptied and filled
# again, as the tests' is). At most EXAM_FORM_CACHE_SIZE attempts (the oldest read goes first).
#
# The forms' entries are shared: a form is a tuple of {version_id, section, choice_order, ...}
# entries, and the candidates of a sitting draw the same items in a few orders (4! for four
# choices), so each process keeps one object per distinct entry. Parsed apart, a 120-item
# form held ~44 KB for every connected page (its `Live`); shared, ~1 KB. A form is fixed at
# check-in and nothing changes its entries (docs/deployment.md, memory).
_FORMS: dict[tuple[int, int], tuple[tuple[int, int], tuple]] = {}
_ENTRIES: dict[tuple, dict] = {}
_MAX_ENTRIES = 200_000  # (a full table starts again empty)


def forget_forms() -> None:
    """Empty this process's forms (tests that empty the database reuse ids)."""
    _FORMS.clear()
    _ENTRIES.clear()


def _shared(entry: dict) -> dict:
    """The process's one object equal to this form entry (itself the first time)."""
    try:
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in entry.items())
        found = _ENTRIES.get(key)
    except TypeError:  # (a value that is not hashable, even as a tuple: kept apart)
        return entry
    if found is None:
        if len(_ENTRIES) >= _MAX_ENTRIES:
            _ENTRIES.clear()
        found = _ENTRIES[key] = entry
    return found


def _remember_form(user_id: int, sitting_id: int, attempt: tuple[int, int], form) -> tuple:
    """Keep `form` for the candidate's join again; `attempt`: the attempt's (id, form seed)."""
    form = tuple(_shared(entry) for entry in form)
    key = (user_id, sitting_id)
    _FORMS.pop(key, None)
    while _FORMS and len(_FORMS) >= current_app.config["EXAM_FORM_CACHE_SIZE"]:
        del _FORMS[next(iter(_FORMS))]  # (dicts keep their order of insertion)
    _FORMS[key] = (attempt, form)
    return form


def attempt_view(user_id: int, sitting_id: int, token: str | None = None) -> View | None:
    """The candidate's attempt as the join reads it (`View`s of the attempt, `.seat`,
    `.seat.sitting`, `.seat.sitting.exam`, and `.answers` of index, choice, seq and flagged),
    in one statement on the hot path's connection (on PostgreSQL the driver's own cursor:
    `hot.first`); None if not checked in. `token`: the session token the connection's cookie
    holds, refused (`SessionEnded`) unless it is still the account's; None: the caller
    checked the login."""
    params = {"sitting_id": sitting_id, "user_id": user_id}
    remembered = _FORMS.get((user_id, sitting_id))
    row = hot.first(_JOIN_VIEW if remembered is None else _JOIN_VIEW_LEAN, params)
    if token is not None and not same_token(row[0] if row else None, token):
        raise SessionEnded(_("Your session has ended. Please log in again."))
    if row is None or row[_VIEW_FROM] is None:
        return None
    form = None
    if remembered is not None:
        if (row[_VIEW_FROM + _ID_AT], row[_VIEW_FROM + _SEED_AT]) == remembered[0]:
            form = remembered[1]
        else:  # (not the attempt remembered, by its id and the seed its form was drawn with)
            row = hot.first(_JOIN_VIEW, params)
    parts: list[dict] = [{}, {}, {}, {}]
    for i, (part, key) in enumerate(_VIEW_KEYS, _VIEW_FROM):
        parts[part][key] = hot.utc(row[i]) if i - _VIEW_FROM in _VIEW_TIMES else row[i]
    if form is None:
        drawn = (parts[0]["id"], parts[0]["form_seed"])
        form = _remember_form(user_id, sitting_id, drawn, parts[0]["form"])
    parts[0]["form"] = form
    attempt, seat, sitting, exam = (View(**values) for values in parts)
    sitting.exam = exam
    seat.sitting, seat.attempt, attempt.seat = sitting, attempt, seat
    answers = row[1] or []
    if isinstance(answers, str):  # (the driver's own cursor, where it leaves json unparsed)
        answers = json.loads(answers)
    attempt.answers = [
        View(index=index, choice=choice, seq=seq, flagged=bool(flagged))
        for index, choice, seq, flagged in sorted(answers, key=lambda a: a[0])
    ]
    return attempt


def join(
    user_id: int, sitting_id: int, sid: str, at: datetime | None = None, *, token: str | None = None
) -> Joined:
    """Make `sid` the live connection of the candidate's attempt. A checked-in candidate waits
    in the waiting room: a window sitting's attempt starts when they press start
    (`start_attempt`), a synchronized one's when the proctor starts the sitting (joining after
    that start begins it: its clock runs from the sitting's start anyway). Time spent
    disconnected during the test is noted for the proctor (`lost_seconds`).

    Read with `attempt_view` and made live with one UPDATE (committed: at once on
    PostgreSQL's autocommit connection, with the session's commit elsewhere); a join that
    begins the attempt reads and writes through the ORM (`_join_beginning`). `token`: the
    session token the connection presents, checked in that read (`attempt_view`)."""
    at = at or now()
    try:
        attempt = attempt_view(user_id, sitting_id, token)
    except SessionEnded:
        hot.release()
        raise
    if attempt is None:
        hot.release()  # (the hot path's own connection, if any; the session as it was)
        raise NotFound(_("You have not checked in to this sitting."))
    sitting = attempt.seat.sitting
    if (
        attempt.status == "not_started"
        and sitting.timing_mode == timing.SYNCHRONIZED
        and timing.start_refusal(sitting, at) is None
    ):
        hot.release()
        return _join_beginning(user_id, sitting_id, sid, at)
    replaced, lost = _made_live(attempt, sid, at)
    hot.execute(_MAKE_LIVE, {"attempt_id": attempt.id, "sid": sid, "at": at, "lost": lost})
    hot.done(commit=True)
    attempt.live_sid, attempt.last_seen_at, attempt.lost_seconds = sid, at, lost
    return Joined(Live.of(attempt), page_state(attempt, at), replaced)


def _made_live(attempt, sid: str, at: datetime) -> tuple[str | None, int]:
    """(the other connection `sid` replaces, if any; the attempt's lost seconds once `sid`
    joins at `at`): time spent disconnected during the test counts, from when the last
    connection left."""
    lost = attempt.lost_seconds
    if attempt.live_sid is None and attempt.status == "in_progress":
        lost += timing.lost_seconds(
            attempt.last_seen_at, attempt.started_at, attempt.deadline, at, timing.pause_of(attempt)
        )
    return (attempt.live_sid if attempt.live_sid != sid else None), lost


def _join_beginning(user_id: int, sitting_id: int, sid: str, at: datetime) -> Joined:
    """A join that begins the attempt (its synchronized sitting started while it waited),
    through the ORM: the start is written with its audit entry. Everything sent back is built
    before the one commit, which would expire what was loaded."""
    attempt = attempt_for_join(user_id, sitting_id)
    begin_if_due(attempt, at)  # (commits when it starts: read everything again)
    attempt = attempt_for_join(user_id, sitting_id)
    replaced, lost = _made_live(attempt, sid, at)
    # One UPDATE, not the unit of work's flush of a dirty object (its bookkeeping cost more
    # than the statement); the loaded attempt is told the values as stored.
    db.session.execute(_MAKE_LIVE, {"attempt_id": attempt.id, "sid": sid, "at": at, "lost": lost})
    for name, value in (("live_sid", sid), ("last_seen_at", at), ("lost_seconds", lost)):
        set_committed_value(attempt, name, value)
    joined = Joined(Live.of(attempt), page_state(attempt, at), replaced)
    db.session.commit()
    return joined


def start_connected(
    sitting_id: int, attempt_ids: dict[int, str], media_base=None, forms: dict[int, tuple] | None = None
) -> Iterator[list[tuple[int, dict]]]:
    """After the proctor started a synchronized sitting, in each web process: start the
    attempts of the candidates connected to this process (`attempt_ids`: attempt id -> the
    connection's language) that wait, and build each one's `started` message: its state and
    its first question in the connection's language, so thousands of pages show the test
    without all asking for the same question in the same second. A section with a limit of its
    own opens for them now, as asking for its first question would have opened it. An attempt
    already under way (its own join or `sync` after the start began it) gets its state without
    the question (the page asks for it, which opens its section as usual); one submitted, none.

    Yields the messages (attempt id, message) batch by batch (EXAM_START_BATCH attempts), each
    batch started in a few statements (`starting.begin_all`) and committed before it is
    yielded, so the first pages hear of the start while the later batches are built.
    `media_base(version id)`: where item images are served. `forms`: the forms this process
    holds of those attempts (attempt id -> form, its joined pages' `Live.form`), not read again."""
    sitting = db.session.get(Sitting, sitting_id)
    if sitting is None or sitting.started_at is None:
        return
    at = sitting.started_at  # (every process starts its attempts at the proctor's moment)
    limits = {s["code"]: s.get("time_limit_minutes") for s in sitting.exam.sections}
    size = current_app.config["EXAM_START_BATCH"]
    ids = sorted(attempt_ids)
    forms = forms or {}
    for i in range(0, len(ids), size):
        batch = ids[i : i + size]
        known = all(attempt_id in forms for attempt_id in batch)
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_(batch))
            .options(joinedload(Attempt.seat), selectinload(Attempt.answers))
            .options(*([defer(Attempt.form)] if known else []))
        ).all()
        if known:
            for attempt in attempts:
                set_committed_value(attempt, "form", list(forms[attempt.id]))
        opens = {a.id: a.form[0]["section"] for a in attempts if a.form and limits.get(a.form[0]["section"])}
        begun = {a.id for a in begin_all(sitting, attempts, at, opens)}
        # Those started meanwhile by another way (the page's own `sync` or join after the
        # start): read again, and told their state without the question (the page asks
        # for it, which opens its section as usual).
        others = [a.id for a in attempts if a.id not in begun and a.status == "not_started"]
        if others:
            db.session.scalars(
                select(Attempt)
                .where(Attempt.id.in_(others))
                .options(selectinload(Attempt.answers))
                .execution_options(populate_existing=True)
            ).all()
        messages = []
        for attempt in attempts:
            if attempt.status != "in_progress":
                continue
            message = page_state(attempt, now())
            if attempt.id in begun and attempt.form:
                entry = attempt.form[0]
                message["first_question"] = {
                    locale: question_payload(entry, 0, *item_text(entry["version_id"]), locale, media_base)
                    for locale in {attempt_ids[attempt.id]}
                }
            messages.append((attempt.id, message))
        db.session.commit()
        yield messages


def start_unconnected(sitting: Sitting) -> int:
    """After the proctor started a synchronized sitting: start the waiting attempts that no
    connection holds (the connected ones are each process's, `start_connected`), batch by
    batch; their pages get their state when they join. Returns how many were started."""
    started = 0
    size = current_app.config["EXAM_START_BATCH"]
    while True:
        attempts = db.session.scalars(
            select(Attempt)
            .join(Attempt.seat)
            .where(
                Seat.sitting_id == sitting.id,
                Attempt.status == "not_started",
                Attempt.live_sid.is_(None),
            )
            .options(contains_eager(Attempt.seat))
            .order_by(Attempt.id)
            .limit(size)
        ).all()
        if not attempts:
            return started
        begun = begin_all(sitting, attempts, sitting.started_at)
        db.session.commit()
        started += len(begun)
        if len(begun) < len(attempts):  # (the sitting stopped being startable: paused, ended)
            return started


def page_state(attempt: Attempt, at: datetime | None = None) -> dict:
    """The attempt's state with its result once the candidate may see it."""
    state = attempt_state(attempt, at)
    if results_visible(attempt):
        state["result"] = {
            "score": str(attempt.score),
            "max_score": str(attempt.max_score),
            "passed": attempt.passed,
            "sections": attempt.section_scores,
        }
    return state


def start_attempt(live: Live, sid: str | None = None, at: datetime | None = None) -> Attempt:
    """The candidate presses start in the waiting room. A window sitting's attempt starts now,
    with its full time; a synchronized one only once the proctor started the sitting.
    Starting an attempt already under way (another device pressed first) changes nothing."""
    at = at or now()
    status_for(live, sid)
    hot.done()
    attempt = db.session.get(Attempt, live.attempt_id)
    if attempt.status != "not_started":
        return attempt
    sitting = attempt.seat.sitting
    refusal = timing.start_refusal(sitting, at)
    if refusal == "paused":
        raise Paused(_("The sitting is paused by the proctor; your time is stopped."))
    if refusal == "not_started":
        raise NotStarted(
            _("The test begins when the proctor starts it.")
            if sitting.timing_mode == timing.SYNCHRONIZED
            else _(
                "The test opens at %(time)s.", time=sitting.starts_at.astimezone(BANGKOK).strftime("%H:%M")
            )
        )
    if refusal is not None:
        raise NotAllowed(_("Entry to this sitting has closed. Contact the proctor."))
    return begin_if_due(attempt, at)


def attempt_state(attempt: Attempt, at: datetime | None = None) -> dict:
    """Everything the test page needs to (re)build itself; the same on every join."""
    at = at or now()
    sitting = attempt.seat.sitting
    frozen_at = timing.clock_stops_at(sitting.status, sitting.paused_at, at)
    types = [q.get("type", item_types.SINGLE) for q in attempt.form]
    answers = {
        a.index: item_types.answer_value(types[a.index], a.choice)
        for a in attempt.answers
        if a.choice is not None and a.index < len(types)
    }
    return {
        "attempt_id": attempt.id,
        "status": attempt.status,
        "sitting_status": sitting.status,
        "timing_mode": sitting.timing_mode,
        "can_start": attempt.status == "not_started" and can_start(sitting, at),
        "outage_seconds": attempt.outage_seconds,
        # What to tell the candidate about it, in their language (null when nothing was added).
        "outage_notice": outages.outage_notice(attempt.outage_seconds) if attempt.outage_seconds else None,
        "server_time": at.isoformat(),
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "remaining_seconds": timing.remaining_seconds(attempt, frozen_at),
        "sections": [
            dict(sec, closes_at=_iso(section_closes_at(attempt, sec["code"])))
            for sec in section_layout(sitting.exam, attempt.form)
        ],
        "item_count": len(attempt.form),
        "answers": {str(i): c for i, c in answers.items()},
        "seqs": {str(a.index): a.seq for a in attempt.answers},
        "flags": sorted(a.index for a in attempt.answers if a.flagged),
        "large_text": attempt.seat.large_text,
        "high_contrast": attempt.seat.high_contrast,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
