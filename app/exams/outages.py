"""Time lost to the server, given back: every web process writes a heartbeat; a gap in the
newest beat longer than OUTAGE_THRESHOLD_SECONDS means nobody could be served (every process
down, or the database unreachable), and the tests under way then get the gap's length back.

Whoever beats first after the gap gives the time back, in the same transaction as the outage's
row, whose unique start makes it happen once however many processes see the same gap. The
deadline sweeper holds while the newest beat is stale (`serving_stale`), so nobody is submitted
for time the platform could not serve before it was given back.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError

from ..audit.services import record, record_many
from ..common.clock import now
from ..extensions import db
from . import timing
from .models import Attempt, Outage, Seat, ServerHeartbeat, Sitting

log = logging.getLogger(__name__)
WEB = "web"
_process: tuple[int, str] | None = None


def process_key() -> str:
    """host:pid:start of this process (a forked worker gets its own)."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), f"{socket.gethostname()[:60]}:{os.getpid()}:{int(time.time())}")
    return _process[1]


def _threshold() -> float:
    return float(current_app.config["OUTAGE_THRESHOLD_SECONDS"])


def newest_beat() -> datetime | None:
    return db.session.scalar(select(func.max(ServerHeartbeat.beat_at)).where(ServerHeartbeat.kind == WEB))


def serving_stale(at: datetime | None = None) -> bool:
    """True when web processes beat before but none has for longer than the threshold: the
    platform is not serving (or has not yet given back an outage), so do not sweep deadlines."""
    newest = newest_beat()
    return newest is not None and ((at or now()) - newest).total_seconds() > _threshold()


@dataclass
class Beat:
    outage: Outage | None = None
    changed: list[int] = field(default_factory=list)  # attempts given time back
    owed: dict[int, int] = field(default_factory=dict)  # attempt id -> seconds given back


def beat(kind: str = WEB, at: datetime | None = None) -> Beat:
    """Write this process's heartbeat; first give back an outage if the newest beat is older
    than the threshold. Commits."""
    at = at or now()
    result = Beat()
    newest = newest_beat()
    if newest is not None and (at - newest).total_seconds() > _threshold():
        try:
            result = give_back_outage(newest, at)
        except (IntegrityError, OperationalError):  # another process won the race: it gave back
            db.session.rollback()
    values = {"process": process_key(), "kind": kind, "started_at": at, "beat_at": at}
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(ServerHeartbeat)
        .values(**values)
        .on_conflict_do_update(index_elements=["process"], set_={"beat_at": at})
    )
    # Rows of processes gone for a day are of no use for finding gaps.
    db.session.execute(
        ServerHeartbeat.__table__.delete().where(ServerHeartbeat.beat_at < at - timedelta(days=1))
    )
    db.session.commit()
    return result


def owed_seconds(started_at: datetime, last_beat: datetime, at: datetime) -> int:
    """What an outage from `last_beat` to `at` (found then) cost a clock that started at
    `started_at`: the whole gap, or only the time since the start for a clock started after the
    last beat (it was served then, so the outage began later). Whole seconds, as outages are."""
    return int((at - max(started_at, last_beat)).total_seconds())


_ATTEMPTS = Attempt.__table__
_GIVE_BACK = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(
        deadline=bindparam("deadline", type_=_ATTEMPTS.c.deadline.type),
        outage_seconds=bindparam("outage_seconds", type_=_ATTEMPTS.c.outage_seconds.type),
    )
)


def give_back_outage(last_beat: datetime, at: datetime) -> Beat:
    """Record the outage from `last_beat` to `at` and move the deadline of every attempt under
    way during it by its length, audited; once (the outage's start is unique). Commits."""
    seconds = int((at - last_beat).total_seconds())
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    outage_id = db.session.execute(
        insert(Outage)
        .values(
            started_at=last_beat, ended_at=at, seconds=seconds, attempts_changed=0, detected_by=process_key()
        )
        .on_conflict_do_nothing(index_elements=["started_at"])
        .returning(Outage.id)
    ).scalar()
    if outage_id is None:
        db.session.rollback()
        return Beat()
    outage = db.session.get(Outage, outage_id)
    reason = f"the system was unavailable from {last_beat.isoformat()} to {at.isoformat()} ({seconds} s)"
    record(
        "platform.outage",
        outage,
        actor=None,
        after={"started_at": last_beat, "ended_at": at, "seconds": seconds},
    )
    # Tests under way when it began: started before it was found, time left when the last beat
    # was written, not paused (a pause stops the clock anyway and its resume gives the whole
    # pause back). A test started after the last beat (a beat is late under load, or the
    # process died within one beat of serving the start) was served, so the outage began after
    # its start: it is owed the time since its start, not the whole gap, and not nothing.
    # In a few statements for all of them (an outage during a sitting of thousands): their
    # columns read as rows, one UPDATE run for all with each one's new values, one audit entry
    # each appended together (one lock, one read of the chain's head, one insert).
    attempts = db.session.execute(
        select(Attempt.id, Attempt.started_at, Attempt.deadline, Attempt.outage_seconds)
        .join(Seat)
        .join(Sitting)
        .where(
            Attempt.status == "in_progress",
            Attempt.started_at < at,
            Attempt.deadline > last_beat,
            Sitting.status != "paused",
        )
        .order_by(Attempt.id)
    ).all()
    owed_by: dict[int, int] = {}
    changes, befores, afters = [], [], []
    for attempt_id, started_at, deadline, outage_seconds in attempts:
        owed = owed_by[attempt_id] = owed_seconds(started_at, last_beat, at)
        moved, total = deadline + timedelta(seconds=owed), (outage_seconds or 0) + owed
        changes.append({"attempt_id": attempt_id, "deadline": moved, "outage_seconds": total})
        befores.append({"deadline": deadline, "outage_seconds": outage_seconds})
        afters.append(
            (
                attempt_id,
                {
                    "deadline": moved,
                    "outage_seconds": total,
                    "seconds": owed,
                    "outage": outage.id,
                    "reason": reason,
                },
            )
        )
    if changes:
        db.session.execute(_GIVE_BACK, changes)
    record_many("attempt.outage_time_back", "attempts", afters, befores=befores)
    # Entry is moved too: a late entrant of a synchronized sitting (whose clock runs from the
    # sitting's start) and a window sitting's last starters lost the same time.
    sittings = db.session.scalars(
        select(Sitting).where(
            Sitting.status == "started",
            or_(
                (Sitting.timing_mode == timing.SYNCHRONIZED) & (Sitting.started_at < at),
                (Sitting.timing_mode == timing.WINDOW) & (Sitting.window_ends_at > last_beat),
            ),
        )
    )
    for sitting in sittings:
        before = {"started_at": sitting.started_at, "window_ends_at": sitting.window_ends_at}
        if sitting.timing_mode == timing.SYNCHRONIZED:
            owed = owed_seconds(sitting.started_at, last_beat, at)
            sitting.started_at = sitting.started_at + timedelta(seconds=owed)
        else:
            owed = seconds
            sitting.window_ends_at = sitting.window_ends_at + timedelta(seconds=owed)
        record(
            "sitting.outage_time_back",
            sitting,
            actor=None,
            before=before,
            after={
                "started_at": sitting.started_at,
                "window_ends_at": sitting.window_ends_at,
                "seconds": owed,
                "outage": outage.id,
                "reason": reason,
            },
        )
    outage.attempts_changed = len(attempts)
    db.session.commit()
    log.warning(
        "outage of %s s found (%s to %s): %s tests under way given the time back",
        seconds,
        last_beat.isoformat(),
        at.isoformat(),
        len(attempts),
    )
    return Beat(outage, [a.id for a in attempts], owed_by)


def describe(seconds: int) -> str:
    """ "5 minutes 12 seconds" in the user's language."""
    minutes, secs = divmod(int(seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if secs or not minutes:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", secs))
    return " ".join(parts)


def outage_notice(seconds: int) -> str:
    return _("%(time)s were added because the system was unavailable.", time=describe(seconds))
