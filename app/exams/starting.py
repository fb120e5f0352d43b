"""Starting a checked-in attempt's clock when its sitting allows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record, record_many
from ..common.clock import now
from ..extensions import db
from . import timing
from .models import Attempt, Sitting

# Attempts started per UPDATE … WHERE id IN (…) (well under SQLite's bound-parameter limit).
_CHUNK = 500


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


def begin_all(
    sitting: Sitting, attempts: list[Attempt], at: datetime, open_section: dict[int, str] | None = None
) -> list[Attempt]:
    """Start every waiting attempt of a sitting that has just started (the proctor's start of
    a synchronized sitting): what `begin_if_due` does for one, in a few statements for all of
    them — one UPDATE per distinct deadline (extra time and extensions make a handful), one
    audit entry each (`attempt.start`, appended together), one commit. An attempt a join
    started meanwhile is left alone (the UPDATE's `status` guard). `open_section` maps an
    attempt id to the section its first question opens, for the candidates who are sent that
    question with the start. Returns the attempts this call started, their fields set; the
    caller commits (after building what it sends: a commit expires what was loaded)."""
    if timing.start_refusal(sitting, at) is not None:
        return []
    groups: dict[tuple, list[Attempt]] = {}
    for attempt in attempts:
        if attempt.status == "not_started":
            deadline = timing.deadline_for(sitting, sitting.exam, attempt.seat, attempt, at)
            opened = (open_section or {}).get(attempt.id)
            groups.setdefault((deadline, opened), []).append(attempt)
    started: list[Attempt] = []
    for (deadline, opened), group in groups.items():
        values = {"status": "in_progress", "started_at": at, "deadline": deadline}
        if opened:
            values["section_started"] = {opened: at.isoformat()}
        for i in range(0, len(group), _CHUNK):
            chunk = {a.id: a for a in group[i : i + _CHUNK]}
            ids = db.session.scalars(
                update(Attempt)
                .where(Attempt.id.in_(list(chunk)), Attempt.status == "not_started")
                .values(**values)
                .returning(Attempt.id)
                .execution_options(synchronize_session=False)
            ).all()
            for attempt_id in ids:
                attempt = chunk[attempt_id]
                for name, value in values.items():
                    set_committed_value(attempt, name, value)
                started.append(attempt)
    record_many(
        "attempt.start",
        "attempts",
        [(a.id, {"started_at": at, "deadline": a.deadline}) for a in started],
        actors=[a.seat.candidate_id for a in started],
    )
    return started
