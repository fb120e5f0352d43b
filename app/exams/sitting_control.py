"""A sitting's life and what the proctor does to it: create and seat it, start, pause and
resume it, extend time or give lost time back, announce. Each step is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from . import parallel_forms, timing
from .answering import forget_waiting
from .models import Announcement, Attempt, Exam, Seat, Sitting


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
    parallel_forms.refuse_unless_parallel(sitting, actor)
    sitting.status, sitting.started_at = "started", at
    record("sitting.start", sitting, actor=actor, after={"started_at": at})
    db.session.commit()
    forget_waiting(sitting.id)  # (this process's waiting-room syncs read the start at once)
    return sitting


def pause_sitting(sitting: Sitting, actor, reason: str) -> Sitting:
    if sitting.status != "started":
        raise NotAllowed(_("Only a running sitting can be paused."))
    need_reason(reason)
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


def need_reason(reason: str) -> None:
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
    need_reason(reason)
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
    need_reason(reason)
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
