"""The online test: sittings, check-in, joining, answering, submitting, proctor actions.

Every function takes plain values and model objects, commits its own transaction, and raises a
domain error with a reason the client can show. Answers are acknowledged only after commit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import User
from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import BANGKOK, now
from ..common.errors import DomainError, Forbidden, NotAllowed, NotFound, ValidationFailed
from ..common.sockets import MAX_SEQ  # (the protocol's range of `seq`, docs/realtime.md)
from ..extensions import db
from . import certificates, hot, outages, timing
from .assembly import assemble_form, section_layout
from .errors import AlreadySubmitted, BadAnswer, CheckInRefused, NotStarted, Paused, SectionClosed, TimeUp
from .models import Announcement, Attempt, AttemptAnswer, Exam, ItemVersion, Seat, Sitting
from .proctoring import candidate_row

log = logging.getLogger(__name__)
THAI_LABELS = ["ก", "ข", "ค", "ง", "จ", "ฉ"]
LATIN_LABELS = ["A", "B", "C", "D", "E", "F"]


# ---- sittings -----------------------------------------------------------------------------


def create_sitting(
    actor,
    *,
    exam: Exam,
    agency_id: int,
    title_th: str,
    starts_at: datetime,
    timing_mode: str = timing.SYNCHRONIZED,
    round_id: int | None = None,
    title_en: str = "",
    window_ends_at: datetime | None = None,
    late_entry_minutes: int = 30,
    checkin_opens_minutes: int = 60,
) -> Sitting:
    if timing_mode not in (timing.SYNCHRONIZED, timing.WINDOW):
        raise ValidationFailed(_("Choose synchronized or window timing."), "timing_mode")
    if timing_mode == timing.WINDOW and (window_ends_at is None or window_ends_at <= starts_at):
        raise ValidationFailed(_("A window sitting needs an end after its start."), "window_ends_at")
    sitting = Sitting(
        exam_id=exam.id,
        agency_id=agency_id,
        round_id=round_id,
        title_th=title_th,
        title_en=title_en,
        timing_mode=timing_mode,
        starts_at=starts_at,
        window_ends_at=window_ends_at,
        late_entry_minutes=late_entry_minutes,
        checkin_opens_minutes=checkin_opens_minutes,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(sitting)
    db.session.flush()
    record(
        "sitting.create",
        sitting,
        actor=actor,
        after={
            "exam": exam.code,
            "timing_mode": timing_mode,
            "starts_at": starts_at,
            "window_ends_at": window_ends_at,
            "late_entry_minutes": late_entry_minutes,
        },
    )
    db.session.commit()
    return sitting


def add_seat(
    sitting: Sitting,
    candidate: User,
    *,
    room: str = "",
    seat_number: str = "",
    application_id: int | None = None,
    extra_time_percent: int = 0,
    large_text: bool = False,
    high_contrast: bool = False,
    actor=None,
) -> Seat:
    seat = Seat(
        sitting_id=sitting.id,
        candidate_id=candidate.id,
        room=room,
        seat_number=seat_number,
        application_id=application_id,
        extra_time_percent=extra_time_percent,
        large_text=large_text,
        high_contrast=high_contrast,
    )
    db.session.add(seat)
    db.session.flush()
    record(
        "seat.assign",
        seat,
        actor=actor,
        after={
            "sitting": sitting.id,
            "candidate": candidate.id,
            "room": room,
            "seat": seat_number,
            "extra_time_percent": extra_time_percent,
        },
    )
    db.session.commit()
    return seat


def start_sitting(sitting: Sitting, actor, at: datetime | None = None) -> Sitting:
    """Synchronized sittings begin when the proctor starts them."""
    at = at or now()
    if sitting.status != "scheduled":
        raise NotAllowed(_("This sitting has already started."))
    sitting.status, sitting.started_at = "started", at
    record("sitting.start", sitting, actor=actor, after={"started_at": at})
    db.session.commit()
    return sitting


def pause_sitting(sitting: Sitting, actor, reason: str) -> Sitting:
    if sitting.status != "started":
        raise NotAllowed(_("Only a running sitting can be paused."))
    _need_reason(reason)
    sitting.status, sitting.paused_at = "paused", now()
    record("sitting.pause", sitting, actor=actor, after={"reason": reason})
    db.session.commit()
    return sitting


def resume_sitting(sitting: Sitting, actor, reason: str = "") -> int:
    """Give everyone under way back the time the pause took; returns the seconds given."""
    if sitting.status != "paused":
        raise NotAllowed(_("The sitting is not paused."))
    at = now()
    lost = int((at - sitting.paused_at).total_seconds())
    if sitting.started_at is not None and sitting.timing_mode == timing.SYNCHRONIZED:
        # Late entry is counted from the start: move it by the pause too.
        sitting.started_at = sitting.started_at + timedelta(seconds=lost)
    for attempt in _attempts_in_progress(sitting):
        if attempt.live_sid is None:
            # Away through the pause: keep what they lost before it, and count the rest of this
            # disconnection from now, as the pause itself is given back just below.
            attempt.lost_seconds += timing.lost_seconds(
                attempt.last_seen_at, attempt.started_at, attempt.deadline, at, sitting.paused_at
            )
            attempt.last_seen_at = at
        _add_time(attempt, lost)
    sitting.status, sitting.paused_at = "started", None
    record("sitting.resume", sitting, actor=actor, after={"seconds_added": lost, "reason": reason})
    db.session.commit()
    return lost


def _attempts_in_progress(sitting: Sitting) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).join(Seat).where(Seat.sitting_id == sitting.id, Attempt.status == "in_progress")
        )
    )


def _need_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason: it is written to the audit log."), "reason")


def _add_time(attempt: Attempt, seconds: int) -> None:
    """Extra time for one test: counted as an extension, and its deadline (once it has one)
    moved by as much. A pause, an extension and time given back all come this way."""
    attempt.extension_seconds += seconds
    if attempt.deadline is not None:
        attempt.deadline = attempt.deadline + timedelta(seconds=seconds)


def _record_time_added(action: str, attempt: Attempt, actor, before: dict, seconds: int, reason: str) -> None:
    record(
        action,
        attempt,
        actor=actor,
        before=before,
        after={
            "deadline": attempt.deadline,
            "extension_seconds": attempt.extension_seconds,
            "seconds": seconds,
            "reason": reason,
        },
    )


def extend_time(actor, attempts: list[Attempt], seconds: int, reason: str) -> list[Attempt]:
    """Add (or with a negative value remove) time for some candidates, with a reason."""
    _need_reason(reason)
    if not -3600 <= seconds <= 4 * 3600 or seconds == 0:
        raise ValidationFailed(_("An extension is a non-zero number of seconds up to four hours."), "seconds")
    changed = []
    for attempt in attempts:
        if attempt.status == "submitted":
            continue
        before = {"deadline": attempt.deadline, "extension_seconds": attempt.extension_seconds}
        _add_time(attempt, seconds)
        _record_time_added("attempt.extend", attempt, actor, before, seconds, reason)
        changed.append(attempt)
    db.session.commit()
    return changed


def give_back_lost_time(actor, attempt: Attempt, reason: str, at: datetime | None = None) -> int:
    """The proctor gives a candidate back the time they lost disconnected, in one step, with a
    reason (audited). Returns the seconds given; a current disconnection counts up to now and
    then starts counting again."""
    at = at or now()
    _need_reason(reason)
    if attempt.status != "in_progress":
        raise NotAllowed(_("Only a test under way can be given time back."))
    seconds = timing.pending_lost_seconds(attempt, at)
    if seconds <= 0:
        raise NotAllowed(_("This candidate has lost no time to give back."))
    before = {
        "deadline": attempt.deadline,
        "extension_seconds": attempt.extension_seconds,
        "lost_seconds": seconds,
    }
    _add_time(attempt, seconds)
    attempt.lost_seconds = 0
    if attempt.live_sid is None:
        attempt.last_seen_at = at  # (the rest of this disconnection counts from now)
    _record_time_added("attempt.give_back", attempt, actor, before, seconds, reason)
    db.session.commit()
    return seconds


def announce(sitting: Sitting, actor, message: str) -> Announcement:
    if not (message or "").strip():
        raise ValidationFailed(_("The announcement is empty."), "message")
    item = Announcement(
        sitting_id=sitting.id, message=message.strip()[:2000], author_id=getattr(actor, "id", None), at=now()
    )
    db.session.add(item)
    db.session.flush()
    record("sitting.announce", item, actor=actor, after={"sitting": sitting.id, "message": item.message})
    db.session.commit()
    return item


# ---- check-in ------------------------------------------------------------------------------


@dataclass
class SystemCheck:
    websocket_ok: bool
    rtt_ms: float | None = None
    clock_offset_ms: float | None = None


def check_in(
    seat: Seat,
    user: User,
    *,
    national_id_last4: str,
    birth_date: date,
    accept_rules: bool,
    system_check: SystemCheck | None = None,
    at: datetime | None = None,
) -> Attempt:
    """Confirm identity and the rules; build the candidate's form. Checking in again is fine."""
    at = at or now()
    sitting = seat.sitting
    if seat.candidate_id != user.id:
        raise Forbidden(_("This seat belongs to another candidate."))
    if at < timing.checkin_opens_at(sitting):
        raise CheckInRefused(
            _(
                "Check-in opens at %(time)s.",
                time=timing.checkin_opens_at(sitting).astimezone(BANGKOK).strftime("%H:%M"),
            )
        )
    if sitting.status == "ended" or timing.start_refusal(sitting, at) == "entry_closed":
        raise CheckInRefused(_("Entry to this sitting has closed."))
    digits = nid.normalize(user.national_id or "")
    if (
        len(national_id_last4 or "") != 4
        or not digits.endswith(national_id_last4)
        or user.birth_date != birth_date
    ):
        record("seat.checkin_failed", seat, actor=user, after={"at": at})
        db.session.commit()
        raise CheckInRefused(
            _("The last four digits of the national ID or the birth date do not match our records."),
            "national_id_last4",
        )
    if not accept_rules:
        raise CheckInRefused(_("You must accept the exam rules to check in."), "accept_rules")
    if seat.checked_in_at is None:
        seat.checked_in_at = at
    if system_check is not None:
        seat.system_check = system_check.__dict__
    attempt = seat.attempt
    if attempt is None:
        seed = secrets.randbelow(2**31 - 1)
        attempt = Attempt(seat_id=seat.id, form_seed=seed, form=assemble_form(sitting.exam, seed))
        db.session.add(attempt)
    db.session.flush()
    record("seat.checkin", seat, actor=user, after={"at": at, "system_check": seat.system_check})
    db.session.commit()
    return attempt


# ---- taking the test ----------------------------------------------------------------------


def attempt_for_join(user_id: int, sitting_id: int) -> Attempt:
    """The candidate's attempt with all that joining reads (its seat, sitting, exam, name,
    application number and answers) in two statements, instead of a lazy load for each."""
    attempt = db.session.scalar(
        select(Attempt)
        .join(Attempt.seat)
        .where(Seat.sitting_id == sitting_id, Seat.candidate_id == user_id)
        .options(
            contains_eager(Attempt.seat).options(
                joinedload(Seat.sitting).joinedload(Sitting.exam),
                joinedload(Seat.candidate).noload(User.roles),
                joinedload(Seat.application),
            ),
            selectinload(Attempt.answers),
        )
    )
    if attempt is None:
        raise NotFound(_("You have not checked in to this sitting."))
    set_committed_value(attempt.seat, "attempt", attempt)  # (the one-to-one's other side)
    return attempt


@dataclass(frozen=True)
class Joined:
    """What joining gives the connection: its attempt's fixed part, the page's state, the
    proctors' row, and the connection it replaced (to be told and closed), if any."""

    live: Live
    state: dict
    proctor_row: dict
    previous_sid: str | None


def join(user_id: int, sitting_id: int, sid: str, at: datetime | None = None) -> Joined:
    """Make `sid` the live connection of the candidate's attempt. A checked-in candidate waits
    in the waiting room: a window sitting's attempt starts when they press start
    (`start_attempt`), a synchronized one's when the proctor starts the sitting (joining after
    that start begins it: its clock runs from the sitting's start anyway). Time spent
    disconnected during the test is noted for the proctor (`lost_seconds`). Everything sent
    back is built before the one commit, which would expire what was loaded."""
    at = at or now()
    attempt = attempt_for_join(user_id, sitting_id)
    if attempt.status == "not_started" and attempt.seat.sitting.timing_mode == timing.SYNCHRONIZED:
        begin_if_due(attempt, at)  # (commits when it starts: read everything again)
        attempt = attempt_for_join(user_id, sitting_id)
    previous = attempt.live_sid
    if previous is None and attempt.status == "in_progress":
        attempt.lost_seconds += timing.lost_seconds(
            attempt.last_seen_at, attempt.started_at, attempt.deadline, at, timing.pause_of(attempt)
        )
    attempt.live_sid, attempt.last_seen_at = sid, at
    joined = Joined(
        Live.of(attempt),
        page_state(attempt, at),
        candidate_row(attempt.seat, sum(a.choice is not None for a in attempt.answers), at),
        previous if previous != sid else None,
    )
    db.session.commit()
    return joined


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
    _status_for(live, sid)
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


def can_start(sitting: Sitting, at: datetime) -> bool:
    """Whether pressing start would start the test now (the waiting room's button)."""
    return timing.start_refusal(sitting, at) is None


def begin_if_due(attempt: Attempt, at: datetime | None = None) -> Attempt:
    """Start the clock of a checked-in attempt when its sitting allows; idempotent."""
    at = at or now()
    if attempt.status != "not_started":
        return attempt
    seat = attempt.seat
    if timing.start_refusal(seat.sitting, at) is not None:
        return attempt
    started = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "not_started")
        .values(
            status="in_progress",
            started_at=at,
            deadline=timing.deadline_for(seat.sitting, seat.sitting.exam, seat, attempt, at),
        )
    ).rowcount
    if started:
        db.session.flush()
        db.session.refresh(attempt)
        record(
            "attempt.start",
            attempt,
            actor=seat.candidate_id,
            after={"started_at": at, "deadline": attempt.deadline},
        )
    db.session.commit()
    return attempt


def attempt_state(attempt: Attempt, at: datetime | None = None) -> dict:
    """Everything the test page needs to (re)build itself; the same on every join."""
    at = at or now()
    sitting = attempt.seat.sitting
    frozen_at = timing.clock_stops_at(sitting.status, sitting.paused_at, at)
    answers = {a.index: a.choice for a in attempt.answers if a.choice is not None}
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


# ---- the hot path: questions and answers of a joined attempt -------------------------------
# Each question or answer reads the few facts that can change under it (status, deadline,
# pause, which connection is live, opened sections) in one statement and writes with one more;
# what cannot change once the test is under way (the form, the sections' limits) is read once
# when the connection joins (`Live.of`). No ORM objects are loaded per event.


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
_QUESTION_TEXT = select(_VERSIONS.c.stem_th, _VERSIONS.c.stem_en, _VERSIONS.c.choices).where(
    _VERSIONS.c.id == bindparam("version_id")
)
_STORED_ANSWER = select(_ANSWERS.c.choice, _ANSWERS.c.seq).where(
    _ANSWERS.c.attempt_id == bindparam("attempt_id"), _ANSWERS.c.index == bindparam("index")
)
_UPSERTS: dict[str, object] = {}


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
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=["attempt_id", "index"],
            set_={
                "choice": ins.excluded.choice,
                "seq": ins.excluded.seq,
                "answered_at": ins.excluded.answered_at,
            },
            where=_ANSWERS.c.seq < ins.excluded.seq,
        ).returning(_ANSWERS.c.choice, _ANSWERS.c.seq)
    return stmt


def started_status(live: Live, sid: str | None, at: datetime) -> LiveStatus:
    """The status, after starting a synchronized attempt whose sitting the proctor started
    meanwhile (a window sitting's attempt starts only when the candidate presses start)."""
    status = _status_for(live, sid)
    if status.status == "not_started" and live.timing_mode == timing.SYNCHRONIZED:
        hot.done()  # (let go of the autocommit connection: starting is a transaction)
        begin_if_due(db.session.get(Attempt, live.attempt_id), at)
        status = _status_for(live, sid)
    return status


def live_status(live: Live) -> LiveStatus:
    row = hot.connection().execute(_LIVE_STATUS, {"attempt_id": live.attempt_id}).one()
    return LiveStatus(row[0], row[1], row[2], row[3] or {}, row[4] or 0, row[5], row[6])


def _status_for(live: Live, sid: str | None) -> LiveStatus:
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def question(
    attempt: Attempt | Live,
    index: int,
    locale: str = "th",
    at: datetime | None = None,
    sid: str | None = None,
) -> dict:
    """The question as the candidate sees it: never the key."""
    at = at or now()
    live = _live(attempt)
    entry = _entry(live, index)
    status = started_status(live, sid, at)
    _check_open(status, at)
    _check_section_open(live, status, entry["section"], at)
    _open_section(live, status, entry["section"], at)
    stem_th, stem_en, choices = (
        hot.connection().execute(_QUESTION_TEXT, {"version_id": entry["version_id"]}).one()
    )
    hot.done()  # (nothing written)
    by_id = {c["id"]: c for c in choices}
    lang = "en" if locale == "en" and stem_en else "th" if stem_th else "en"
    labels = THAI_LABELS if lang == "th" else LATIN_LABELS
    return {
        "index": index,
        "section": entry["section"],
        "lang": lang,
        "stem": stem_th if lang == "th" else stem_en,
        "choices": [
            {
                "id": cid,
                "label": labels[pos],
                "text": by_id[cid].get(lang) or by_id[cid].get("th") or by_id[cid].get("en", ""),
            }
            for pos, cid in enumerate(entry["choice_order"])
        ],
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


def record_answer(
    attempt: Attempt | Live,
    index: int,
    choice: str | None,
    seq: int,
    at: datetime | None = None,
    sid: str | None = None,
) -> dict:
    """Store an answer; a higher `seq` replaces a lower one, a repeat changes nothing.

    Returns what is stored after the commit: the caller acknowledges only that. With `sid`,
    only the connection that joined last may answer.
    """
    at = at or now()
    live = _live(attempt)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ValidationFailed(
            _("Each answer needs a sequence number from 1 to %(max)s.", max=MAX_SEQ), "seq"
        )
    entry = _entry(live, index)  # (what the form says is checked before any database work)
    if choice is not None and choice not in entry["choice_order"]:
        raise BadAnswer(_("That choice is not one of this question's."), "choice")
    status = _status_for(live, sid)
    _check_open(status, at)
    _check_section_open(live, status, entry["section"], at)
    connection = hot.connection()
    key = {"attempt_id": live.attempt_id, "index": index}
    stored = connection.execute(
        _store_answer_statement(), {**key, "choice": choice, "seq": seq, "answered_at": at}
    ).first()
    if stored is None:  # an older or repeated seq: the stored answer stays, say which it is
        stored = connection.execute(_STORED_ANSWER, key).one()
        if stored.seq == seq and stored.choice != choice:
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
        "choice": stored.choice,
        "seq": stored.seq,
        "stale": stored.seq != seq,
    }


def set_flag(
    attempt: Attempt | Live, index: int, flagged: bool, at: datetime | None = None, sid: str | None = None
) -> dict:
    at = at or now()
    live = _live(attempt)
    _entry(live, index)
    _check_open(_status_for(live, sid), at)
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


# ---- submitting and scoring -----------------------------------------------------------------


def score(attempt: Attempt) -> tuple[Decimal, Decimal, dict]:
    """Points per section and in total, from the versions the candidate actually saw."""
    exam = attempt.seat.sitting.exam
    points = {s["code"]: Decimal(str(s.get("points_per_item", 1))) for s in exam.sections}
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(ItemVersion).where(ItemVersion.id.in_([q["version_id"] for q in attempt.form]))
        )
    }
    given = {a.index: a.choice for a in attempt.answers}
    sections = {
        s["code"]: {"score": Decimal(0), "max": Decimal(0), "correct": 0, "items": 0} for s in exam.sections
    }
    for index, entry in enumerate(attempt.form):
        sec = sections[entry["section"]]
        sec["max"] += points[entry["section"]]
        sec["items"] += 1
        if given.get(index) == versions[entry["version_id"]].key:
            sec["score"] += points[entry["section"]]
            sec["correct"] += 1
    total = sum((s["score"] for s in sections.values()), Decimal(0))
    maximum = sum((s["max"] for s in sections.values()), Decimal(0))
    return (
        total,
        maximum,
        {k: {**v, "score": str(v["score"]), "max": str(v["max"])} for k, v in sections.items()},
    )


def submit(attempt: Attempt, by: str, actor=None, at: datetime | None = None, reason: str = "") -> Attempt:
    """Close the attempt and score it; idempotent (a second submit changes nothing)."""
    at = at or now()
    if by == "proctor":
        _need_reason(reason)
    if attempt.status == "submitted":
        return attempt
    if attempt.status == "not_started" and by == "candidate":
        raise NotStarted(_("The test has not started yet."))
    finished = at if attempt.deadline is None or by == "proctor" else min(at, attempt.deadline)
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status != "submitted")
        .values(status="submitted", submitted_at=finished, submitted_by=by)
    ).rowcount
    if not claimed:  # someone else (the deadline sweeper, another device) got there first
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    db.session.flush()
    db.session.refresh(attempt)
    total, maximum, sections = score(attempt)
    exam = attempt.seat.sitting.exam
    attempt.score, attempt.max_score, attempt.section_scores = total, maximum, sections
    attempt.passed = maximum > 0 and total * 100 >= maximum * exam.pass_percent
    record(
        "attempt.submit",
        attempt,
        actor=actor if actor is not None else (attempt.seat.candidate_id if by == "candidate" else None),
        after={
            "by": by,
            "submitted_at": finished,
            "score": total,
            "max": maximum,
            "passed": attempt.passed,
            "reason": reason,
        },
    )
    db.session.commit()
    try:
        certificates.issue_if_passed(attempt)
    except DomainError:  # a certificate problem must never undo a submitted test
        db.session.rollback()
        log.exception("certificate not issued for attempt %s", attempt.id)
    return attempt


def submit_due(at: datetime | None = None) -> list[int]:
    """Submit every attempt whose deadline has passed, connected or not; safe to repeat."""
    at = at or now()
    due = list(
        db.session.scalars(
            select(Attempt)
            .join(Seat)
            .join(Sitting)
            .where(Attempt.status == "in_progress", Attempt.deadline <= at, Sitting.status != "paused")
        )
    )
    for attempt in due:
        submit(attempt, "deadline", at=at)
    return [a.id for a in due]


def results_visible(attempt: Attempt) -> bool:
    """At once under the "immediate" policy, else once HR has published the sitting's results."""
    sitting = attempt.seat.sitting
    return attempt.status == "submitted" and (
        sitting.exam.results_policy == "immediate" or sitting.results_published_at is not None
    )


def publish_results(sitting: Sitting, actor) -> Sitting:
    """HR releases the results (and with them the pass certificates) to the candidates."""
    if sitting.results_published_at is not None:
        raise NotAllowed(_("The results of this sitting are already published."))
    pending = db.session.scalar(
        select(Attempt.id)
        .join(Seat)
        .where(Seat.sitting_id == sitting.id, Attempt.status == "in_progress")
        .limit(1)
    )
    if pending is not None:
        raise NotAllowed(_("Some candidates are still taking the test; publish when all have submitted."))
    sitting.results_published_at, sitting.results_published_by_id = now(), actor.id
    record(
        "sitting.publish_results", sitting, actor=actor, after={"published_at": sitting.results_published_at}
    )
    db.session.commit()
    return sitting
