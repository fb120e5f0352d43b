"""The hot path: questions and answers of a joined attempt.

Each question or answer reads the few facts that can change under it (status, deadline,
pause, which connection is live, opened sections) in one statement and writes with one more;
what cannot change once the test is under way (the form, the sections' limits) is read once
when the connection joins (`Live.of`). No ORM objects are loaded per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..common.clock import now
from ..common.errors import NotFound, ValidationFailed
from ..common.sockets import MAX_SEQ  # (the protocol's range of `seq`, docs/realtime.md)
from ..extensions import db
from . import content, hot, item_types, outages, timing
from .errors import (
    AlreadySubmitted,
    BadAnswer,
    NotStarted,
    Paused,
    SectionClosed,
    SectionNotOpen,
    TimeUp,
    TooManyChoices,
)
from .models import Attempt, AttemptAnswer, ItemVersion, Seat, Sitting
from .starting import begin_if_due

THAI_LABELS = ["ก", "ข", "ค", "ง", "จ", "ฉ"]


LATIN_LABELS = ["A", "B", "C", "D", "E", "F"]


@dataclass(frozen=True)
class Live:
    """What stays fixed about an attempt once it is built: its form and its sections' limits."""

    attempt_id: int
    seat_id: int
    sitting_id: int
    form: tuple
    section_limits: dict  # section code -> minutes (None: the section has no limit of its own)
    timing_mode: str = timing.SYNCHRONIZED

    @classmethod
    def of(cls, attempt: Attempt) -> Live:
        seat = attempt.seat
        return cls(
            attempt.id,
            seat.id,
            seat.sitting_id,
            tuple(attempt.form),
            {s["code"]: s.get("time_limit_minutes") for s in seat.sitting.exam.sections},
            seat.sitting.timing_mode,
        )


@dataclass(frozen=True)
class LiveStatus:
    """What can change while a candidate answers, read fresh for every question and answer."""

    status: str
    deadline: datetime | None
    live_sid: str | None
    section_started: dict
    extra_time_percent: int
    sitting_status: str
    paused_at: datetime | None = None

    def remaining_seconds(self, at: datetime) -> int:
        """As in the join state: during a pause the clock stands at the pause's start."""
        if self.deadline is None:
            return 0
        stops = timing.clock_stops_at(self.sitting_status, self.paused_at, at)
        return max(0, int((self.deadline - stops).total_seconds()))


def _live(attempt: Attempt | Live) -> Live:
    return attempt if isinstance(attempt, Live) else Live.of(attempt)


_ATTEMPTS, _SEATS, _SITTINGS = Attempt.__table__, Seat.__table__, Sitting.__table__


_ANSWERS, _VERSIONS = AttemptAnswer.__table__, ItemVersion.__table__


# The hot path's statements, built once (Core, bound parameters): building and caching a
# statement per event cost more than running it.
_LIVE_STATUS = (
    select(
        _ATTEMPTS.c.status,
        _ATTEMPTS.c.deadline,
        _ATTEMPTS.c.live_sid,
        _ATTEMPTS.c.section_started,
        _SEATS.c.extra_time_percent,
        _SITTINGS.c.status,
        _SITTINGS.c.paused_at,
    )
    .select_from(
        _ATTEMPTS.join(_SEATS, _SEATS.c.id == _ATTEMPTS.c.seat_id).join(
            _SITTINGS, _SITTINGS.c.id == _SEATS.c.sitting_id
        )
    )
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
)


_QUESTION_TEXT = select(
    _VERSIONS.c.stem_th, _VERSIONS.c.stem_en, _VERSIONS.c.choices, _VERSIONS.c.item_type
).where(_VERSIONS.c.id == bindparam("version_id"))


# An item version's text never changes (an edit is a new version): each process keeps the
# texts it served, so a question costs no statement once its item was asked for
# (EXAM_ITEM_CACHE_SIZE versions; a full cache starts again empty).
_ITEM_TEXTS: dict[int, tuple] = {}


def forget_item_texts() -> None:
    """Empty this process's cache of item texts (tests that empty the database reuse ids)."""
    _ITEM_TEXTS.clear()


def item_text(version_id: int) -> tuple:
    """(stem_th, stem_en, choices, item_type) of an item version, from this process's cache."""
    found = _ITEM_TEXTS.get(version_id)
    if found is None:
        found = tuple(hot.connection().execute(_QUESTION_TEXT, {"version_id": version_id}).one())
        if len(_ITEM_TEXTS) >= current_app.config["EXAM_ITEM_CACHE_SIZE"]:
            _ITEM_TEXTS.clear()
        _ITEM_TEXTS[version_id] = found
    return found


_STORED_ANSWER = select(_ANSWERS.c.choice, _ANSWERS.c.seq).where(
    _ANSWERS.c.attempt_id == bindparam("attempt_id"), _ANSWERS.c.index == bindparam("index")
)


_UPSERTS: dict[str, object] = {}


def _newer_seq_wins(ins):
    """ON CONFLICT (attempt, index) DO UPDATE … WHERE stored seq < new seq RETURNING choice,
    seq: the clause both answer upserts end with (no row back: as new or newer is stored)."""
    return ins.on_conflict_do_update(
        index_elements=["attempt_id", "index"],
        set_={
            "choice": ins.excluded.choice,
            "seq": ins.excluded.seq,
            "answered_at": ins.excluded.answered_at,
        },
        where=_ANSWERS.c.seq < ins.excluded.seq,
    ).returning(_ANSWERS.c.choice, _ANSWERS.c.seq)


def _store_answer_statement():
    """INSERT … ON CONFLICT (attempt, index) DO UPDATE … WHERE stored seq < new seq
    RETURNING choice, seq: no row comes back when the stored answer is as new or newer."""
    dialect = db.engine.dialect.name
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        ins = insert(_ANSWERS).values(
            attempt_id=bindparam("attempt_id"),
            index=bindparam("index"),
            choice=bindparam("choice"),
            seq=bindparam("seq"),
            answered_at=bindparam("answered_at"),
            flagged=False,
        )
        stmt = _UPSERTS[dialect] = _newer_seq_wins(ins)
    return stmt


_OPEN_UPSERTS: dict[str, object] = {}


def _store_if_open_statement():
    """The answer's upsert with the status read folded in: INSERT … SELECT from the attempt
    WHERE it takes answers now (in progress, this connection the live one, its sitting not
    paused, before its deadline) ON CONFLICT … WHERE stored seq < new seq RETURNING choice,
    seq. One round trip for the usual answer; no row back means "refused, stale or a repeat",
    and only then is the status read to say which (`record_answer`)."""
    dialect = db.engine.dialect.name
    stmt = _OPEN_UPSERTS.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        at = bindparam("answered_at", type_=_ANSWERS.c.answered_at.type)
        source = (
            select(
                _ATTEMPTS.c.id,
                bindparam("index", type_=_ANSWERS.c.index.type),
                bindparam("choice", type_=_ANSWERS.c.choice.type),
                bindparam("seq", type_=_ANSWERS.c.seq.type),
                at,
                literal(False, _ANSWERS.c.flagged.type),
            )
            .select_from(
                _ATTEMPTS.join(_SEATS, _SEATS.c.id == _ATTEMPTS.c.seat_id).join(
                    _SITTINGS, _SITTINGS.c.id == _SEATS.c.sitting_id
                )
            )
            .where(
                _ATTEMPTS.c.id == bindparam("attempt_id"),
                _ATTEMPTS.c.status == "in_progress",
                _ATTEMPTS.c.live_sid == bindparam("sid"),
                _SITTINGS.c.status != "paused",
                or_(_ATTEMPTS.c.deadline.is_(None), _ATTEMPTS.c.deadline > at),
            )
        )
        ins = insert(_ANSWERS).from_select(
            ["attempt_id", "index", "choice", "seq", "answered_at", "flagged"], source
        )
        stmt = _OPEN_UPSERTS[dialect] = _newer_seq_wins(ins)
    return stmt


# A synchronized sitting's waiting room, per process: sitting id -> (read at (monotonic),
# status, ids of its attempts that no longer wait). Thousands of waiting pages sync their
# clocks; while the sitting has not started, every one of them gets the same answer, so each
# process reads it at most once per EXAM_WAITING_CACHE_SECONDS instead of once per sync.
_WAITING: dict[int, tuple[float, str, frozenset]] = {}
_REFRESHING: set[int] = set()  # sittings whose memory a sync of this process is reading again

_SITTING_STATUS = select(_SITTINGS.c.status).where(_SITTINGS.c.id == bindparam("sitting_id"))
_NOT_WAITING = (
    select(_ATTEMPTS.c.id)
    .select_from(_ATTEMPTS.join(_SEATS, _SEATS.c.id == _ATTEMPTS.c.seat_id))
    .where(_SEATS.c.sitting_id == bindparam("sitting_id"), _ATTEMPTS.c.status != "not_started")
)


def forget_waiting(sitting_id: int | None = None) -> None:
    """Drop what this process remembers of a sitting's waiting room (all sittings: None); the
    proctor's start, pause and end call it, so this process answers from the database at once."""
    if sitting_id is None:
        _WAITING.clear()
    else:
        _WAITING.pop(sitting_id, None)


def waiting_status(live: Live, clock: float) -> LiveStatus | None:
    """The status of an attempt waiting for the proctor's start of its synchronized sitting,
    from this process's memory of the sitting (read again when older than
    EXAM_WAITING_CACHE_SECONDS; `clock` is time.monotonic()); None when it does not wait (the
    sitting started, paused or ended, a window sitting, or this attempt no longer waits):
    then the caller reads the attempt's own status. Serves `sync`, which reads and changes
    nothing; it may lag a change made by another process by that many seconds at most."""
    ttl = current_app.config["EXAM_WAITING_CACHE_SECONDS"]
    if live.timing_mode != timing.SYNCHRONIZED or ttl <= 0:
        return None
    known = _WAITING.get(live.sitting_id)
    # One reader per sitting and process: while one sync reads the sitting again, the others
    # that find the memory stale answer from it (older by that read's time at most) instead
    # of each taking a pooled connection for the same two statements. At 5,000 waiting pages
    # that crowd of refreshes was most of the pool timeouts (docs/performance.md).
    if known is None or (clock - known[0] > ttl and live.sitting_id not in _REFRESHING):
        _REFRESHING.add(live.sitting_id)
        try:
            conn = hot.connection()
            status = conn.execute(_SITTING_STATUS, {"sitting_id": live.sitting_id}).scalar()
            gone = (
                frozenset(conn.execute(_NOT_WAITING, {"sitting_id": live.sitting_id}).scalars())
                if status == "scheduled"
                else frozenset()
            )
        finally:
            _REFRESHING.discard(live.sitting_id)
        if len(_WAITING) > 1000:  # (sittings of a day; a stale one is only read again)
            _WAITING.clear()
        known = _WAITING[live.sitting_id] = (clock, status, gone)
    if known[1] != "scheduled" or live.attempt_id in known[2]:
        return None
    return LiveStatus("not_started", None, None, {}, 0, "scheduled")


def started_status(live: Live, sid: str | None, at: datetime) -> LiveStatus:
    """The status, after starting a synchronized attempt whose sitting the proctor started
    meanwhile (a window sitting's attempt starts only when the candidate presses start)."""
    status = status_for(live, sid)
    # (Only once the proctor started it: every waiting page syncs every few seconds, and
    # trying to begin each time cost a transaction and two more statements per sync.)
    if (
        status.status == "not_started"
        and live.timing_mode == timing.SYNCHRONIZED
        and status.sitting_status == "started"
    ):
        hot.done()  # (let go of the autocommit connection: starting is a transaction)
        begin_if_due(db.session.get(Attempt, live.attempt_id), at)
        status = status_for(live, sid)
    return status


def live_status(live: Live) -> LiveStatus:
    row = hot.first(_LIVE_STATUS, {"attempt_id": live.attempt_id})
    if row is None:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return LiveStatus(row[0], hot.utc(row[1]), row[2], row[3] or {}, row[4] or 0, row[5], hot.utc(row[6]))


def status_for(live: Live, sid: str | None) -> LiveStatus:
    """The attempt's status; with `sid`, only for the connection that joined last."""
    status = live_status(live)
    if sid is not None and status.live_sid != sid:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return status


def _check_open(status: LiveStatus, at: datetime) -> None:
    if status.status == "submitted":
        raise AlreadySubmitted(_("This test has been submitted."))
    if status.status != "in_progress":
        raise NotStarted(_("The test has not started yet."))
    if status.sitting_status == "paused":
        raise Paused(_("The sitting is paused by the proctor; your time is stopped."))
    if status.deadline is not None and at >= status.deadline:
        raise TimeUp(_("Time is up: answers are no longer accepted."))


def _open(status: LiveStatus, live: Live, sid: str | None, at: datetime) -> LiveStatus:
    """`status` when the attempt takes answers now, else its refusal. A deadline that passed
    while nobody could serve is not final until the outage is given back: a process that meets
    it while the heartbeats are stale (in the seconds after the platform returns, before any
    process has beaten) gives the outage back first (outages.beat) and looks again, so no
    answer is refused with `time_up` for time the candidate is owed. Costs nothing on the hot
    path: only a refusal for time takes this turn."""
    try:
        _check_open(status, at)
    except TimeUp:
        hot.done()  # (giving back is a transaction of the ORM session)
        if not outages.serving_stale(at):
            raise
        outages.beat(at=at)
        status = status_for(live, sid)
        _check_open(status, at)
    return status


def _closes_at(limit_minutes, started: str | None, extra_time_percent: int) -> datetime | None:
    """A section with its own limit stays open that long (with extra time) from first opening."""
    if not limit_minutes or not started:
        return None
    seconds = limit_minutes * 60
    seconds += seconds * extra_time_percent // 100
    return datetime.fromisoformat(started) + timedelta(seconds=seconds)


def section_closes_at(attempt: Attempt, code: str) -> datetime | None:
    section = next(s for s in attempt.seat.sitting.exam.sections if s["code"] == code)
    return _closes_at(
        section.get("time_limit_minutes"),
        (attempt.section_started or {}).get(code),
        attempt.seat.extra_time_percent,
    )


def _check_section_open(live: Live, status: LiveStatus, code: str, at: datetime) -> None:
    closes = _closes_at(
        live.section_limits.get(code), status.section_started.get(code), status.extra_time_percent
    )
    if closes is not None and at >= closes:
        raise SectionClosed(_("The time for this section is over."))


def _open_section(live: Live, status: LiveStatus, code: str, at: datetime) -> None:
    if not live.section_limits.get(code) or code in status.section_started:
        return
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == live.attempt_id)
        .values(section_started={**status.section_started, code: at.isoformat()})
    )
    db.session.commit()


def question(
    attempt: Attempt | Live,
    index: int,
    locale: str = "th",
    at: datetime | None = None,
    sid: str | None = None,
    media_base: Callable[[int], str] | None = None,
    prefetch: bool = False,
) -> dict:
    """The question as the candidate sees it: never the key. `stem_html` and each choice's
    `html` are the texts rendered by app/exams/content.py (cached per text), with images and
    audio served under `media_base(version id)` (the caller knows the URL).

    Going to a question of a section with its own time limit starts that section's clock.
    `prefetch`: the page asks ahead of time (the neighbours of the question on screen, so
    they can be read offline); such a question of a timed section that has not started is
    refused (`SectionNotOpen`) and the clock stays: showing the last question of one section
    must not start the next one's."""
    at = at or now()
    live = _live(attempt)
    entry = _entry(live, index)
    status = _open(started_status(live, sid, at), live, sid, at)
    _check_section_open(live, status, entry["section"], at)
    code = entry["section"]
    if prefetch and live.section_limits.get(code) and code not in status.section_started:
        hot.done()
        raise SectionNotOpen(_("This section's time starts when you go to it."))
    _open_section(live, status, entry["section"], at)
    stem_th, stem_en, choices, item_type = item_text(entry["version_id"])
    hot.done()  # (nothing written)
    return question_payload(entry, index, stem_th, stem_en, choices, item_type, locale, media_base)


def question_payload(
    entry: dict,
    index: int,
    stem_th,
    stem_en,
    choices,
    item_type: str | None,
    locale: str,
    media_base: Callable[[int], str] | None = None,
) -> dict:
    """A form entry's question in the candidate's language, choices in their order; images
    and audio served under `media_base(version id)`."""
    by_id = {c["id"]: c for c in choices}
    lang = "en" if locale == "en" and stem_en else "th" if stem_th else "en"
    labels = THAI_LABELS if lang == "th" else LATIN_LABELS
    base = media_base(entry["version_id"]) if media_base is not None else ""
    stem = stem_th if lang == "th" else stem_en
    choices = []
    for pos, cid in enumerate(entry["choice_order"]):
        text_ = by_id[cid].get(lang) or by_id[cid].get("th") or by_id[cid].get("en", "")
        choices.append(
            {
                "id": cid,
                "label": labels[pos],
                "text": text_,
                "html": str(content.to_inline_html(text_, base, lang)),
            }
        )
    return {
        "index": index,
        "section": entry["section"],
        "type": item_type or item_types.SINGLE,
        "lang": lang,
        "stem": stem,
        "stem_html": str(content.to_html(stem, base, lang)),
        "choices": choices,
        # multiple response: how many may be chosen (from the form entry: no statement)
        **{k: entry[k] for k in ("min_choices", "max_choices") if entry.get(k)},
    }


def _entry(live: Live, index) -> dict:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(live.form):
        raise BadAnswer(_("There is no question %(index)s.", index=index), "index")
    return live.form[index]


def _upsert(values: dict, set_: dict, where=None):
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AttemptAnswer).values(**values)
    return stmt.on_conflict_do_update(index_elements=["attempt_id", "index"], set_=set_, where=where)


def answer_of(live: Live, index: int, payload: dict) -> str | None:
    """The stored (canonical) form of an `answer` event's payload for question `index`, or
    BadAnswer naming the field. The item's type is in the form (`type`, single when absent:
    forms drawn before item types had only single-choice items)."""
    entry = _entry(live, index)
    try:
        return item_types.answer_from_payload(
            entry.get("type", item_types.SINGLE), entry["choice_order"], payload, entry.get("max_choices")
        )
    except item_types.AnswerRefused as refused:
        refusal = TooManyChoices if refused.code == item_types.TOO_MANY_CHOICES else BadAnswer
        raise refusal(str(refused), refused.field) from None


def record_answer(
    attempt: Attempt | Live,
    index: int,
    choice: str | None,
    seq: int,
    at: datetime | None = None,
    sid: str | None = None,
) -> dict:
    """Store an answer; a higher `seq` replaces a lower one, a repeat changes nothing.

    `choice` is the answer in its type's stored form (`answer_of` makes it from a payload;
    a single-choice answer is the choice id). Returns what is stored after the commit: the
    caller acknowledges only that. With `sid`, only the connection that joined last may answer.
    """
    at = at or now()
    live = _live(attempt)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ValidationFailed(
            _("Each answer needs a sequence number from 1 to %(max)s.", max=MAX_SEQ), "seq"
        )
    entry = _entry(live, index)  # (what the form says is checked before any database work)
    item_type = entry.get("type", item_types.SINGLE)
    if item_type in (item_types.SINGLE, item_types.TRUE_FALSE) and choice not in (
        None,
        *entry["choice_order"],
    ):
        raise BadAnswer(_("That choice is not one of this question's."), "choice")
    key = {"attempt_id": live.attempt_id, "index": index}
    values = {**key, "choice": choice, "seq": seq, "answered_at": at}
    stored = None
    if sid is not None and not live.section_limits.get(entry["section"]):
        # The usual answer: checked and stored in one statement (a section with a limit of
        # its own is checked against its opening first, below).
        stored = hot.first(_store_if_open_statement(), {**values, "sid": sid})
    if stored is None:  # refused, stale, a repeat, or a section with its own limit
        status = _open(status_for(live, sid), live, sid, at)
        _check_section_open(live, status, entry["section"], at)
        stored = hot.first(_store_answer_statement(), values)
    if stored is None:  # an older or repeated seq: the stored answer stays, say which it is
        stored = hot.first(_STORED_ANSWER, key)
        if stored[1] == seq and stored[0] != choice:
            hot.done()
            raise BadAnswer(
                _(
                    "This sequence number was already used for another answer to "
                    "this question; send the answer with a new, higher one."
                ),
                "seq",
            )
    hot.done(commit=True)
    return {
        "ok": True,
        "index": index,
        "type": item_type,
        "choice": stored[0],
        "answer": item_types.answer_value(item_type, stored[0]),
        "seq": stored[1],
        "stale": stored[1] != seq,
    }


def set_flag(
    attempt: Attempt | Live, index: int, flagged: bool, at: datetime | None = None, sid: str | None = None
) -> dict:
    at = at or now()
    live = _live(attempt)
    _entry(live, index)
    _open(status_for(live, sid), live, sid, at)
    db.session.execute(
        _upsert(
            {
                "attempt_id": live.attempt_id,
                "index": index,
                "choice": None,
                "seq": 0,
                "answered_at": at,
                "flagged": bool(flagged),
            },
            {"flagged": bool(flagged)},
        )
    )
    db.session.commit()
    return {"ok": True, "index": index, "flagged": bool(flagged)}


def note_focus_loss(attempt: Attempt) -> int:
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id).values(focus_losses=Attempt.focus_losses + 1)
    )
    db.session.commit()
    db.session.refresh(attempt)
    return attempt.focus_losses
