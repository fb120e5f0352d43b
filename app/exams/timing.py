"""The rules of time: when a candidate may start, and when their attempt ends.

Pure functions of the sitting, the exam and the seat; "now" is passed in. The server's clock is
the only clock: deadlines are stored, and clients are told the remaining seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .models import Attempt, Exam, Seat, Sitting

SYNCHRONIZED = "synchronized"
WINDOW = "window"


def allowed_seconds(exam: Exam, seat: Seat) -> int:
    """The test's length for this candidate, with approved extra time."""
    base = exam.duration_minutes * 60
    return base + (base * seat.extra_time_percent) // 100


def checkin_opens_at(sitting: Sitting) -> datetime:
    return sitting.starts_at - timedelta(minutes=sitting.checkin_opens_minutes)


def entry_closes_at(sitting: Sitting) -> datetime | None:
    """Until when a candidate may begin: the late-entry cut-off, or the end of the window."""
    if sitting.timing_mode == WINDOW:
        return sitting.window_ends_at
    if sitting.started_at is None:
        return None
    return sitting.started_at + timedelta(minutes=sitting.late_entry_minutes)


def shown_status(sitting: Sitting, at: datetime) -> str:
    """The sitting's status as people should read it at `at`. The stored status moves only on a
    proctor's start, pause, resume or end; a window sitting is never "started" by anyone, so
    while its window is open it is "in_progress", and after it "window_closed", not "scheduled"."""
    if sitting.status != "scheduled" or sitting.timing_mode != WINDOW or at < sitting.starts_at:
        return sitting.status
    if sitting.window_ends_at is not None and at >= sitting.window_ends_at:
        return "window_closed"
    return "in_progress"


def entry_over(sitting: Sitting, at: datetime) -> bool:
    """Whether a candidate who has not begun can no longer begin (so is absent, not late)."""
    return start_refusal(sitting, at) in ("ended", "entry_closed")


def start_refusal(sitting: Sitting, at: datetime) -> str | None:
    """Why a candidate cannot begin now (a code), or None if they can."""
    if sitting.status == "ended":
        return "ended"
    if sitting.status == "paused":
        return "paused"
    if sitting.timing_mode == SYNCHRONIZED:
        if sitting.status != "started":
            return "not_started"
    elif at < sitting.starts_at:
        return "not_started"
    closes = entry_closes_at(sitting)
    if closes is not None and at > closes:
        return "entry_closed"
    return None


def deadline_for(
    sitting: Sitting, exam: Exam, seat: Seat, attempt: Attempt, started_at: datetime
) -> datetime:
    """Synchronized: from the sitting's start, so a late candidate gets no extra time.
    Window: from the candidate's own start. Both add approved extra time and extensions."""
    origin = sitting.started_at if sitting.timing_mode == SYNCHRONIZED else started_at
    return origin + timedelta(seconds=allowed_seconds(exam, seat) + attempt.extension_seconds)


def remaining_seconds(attempt: Attempt, at: datetime) -> int:
    if attempt.deadline is None:
        return 0
    return max(0, int((attempt.deadline - at).total_seconds()))


def clock_stops_at(sitting_status: str, paused_at: datetime | None, at: datetime) -> datetime:
    """The moment the remaining time is counted from: during a pause the clock stands still at
    the pause's start (join, sync, the proctors' rows and `time` all say the same)."""
    return paused_at if sitting_status == "paused" and paused_at is not None else at


def lost_seconds(
    disconnected_at: datetime | None,
    started_at: datetime | None,
    deadline: datetime | None,
    at: datetime,
    paused_at: datetime | None = None,
) -> int:
    """Seconds of the test a candidate spent disconnected, from `disconnected_at` until `at`:
    only the part after their start and before their deadline counts, and none of a pause under
    way since `paused_at` (resuming gives the pause back to everyone: counting it here too would
    let the proctor give it back a second time)."""
    if disconnected_at is None or started_at is None:
        return 0
    begin = max(disconnected_at, started_at)
    end = min(at, deadline) if deadline is not None else at
    if paused_at is not None:
        end = min(end, paused_at)
    return max(0, int((end - begin).total_seconds()))


def pause_of(attempt: Attempt) -> datetime | None:
    """When the attempt's sitting was paused, while it is."""
    sitting = attempt.seat.sitting
    return sitting.paused_at if sitting.status == "paused" else None


def pending_lost_seconds(attempt: Attempt, at: datetime) -> int:
    """Seconds the candidate lost on their side (disconnected) that nobody gave back yet: the
    past disconnections, plus the current one while it lasts (not counting a pause)."""
    lost = attempt.lost_seconds or 0
    if attempt.status == "in_progress" and attempt.live_sid is None:
        lost += lost_seconds(
            attempt.last_seen_at, attempt.started_at, attempt.deadline, at, pause_of(attempt)
        )
    return lost
