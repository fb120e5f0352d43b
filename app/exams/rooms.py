"""The online test's Socket.IO rooms and what the server tells them: the candidates' pages
(`/exam`) and the proctors' dashboards (`/proctor`). The handlers (events.py), the periodic
jobs (jobs.py) and anything else that must tell a page go through here; nothing imports the
handlers.
"""

from __future__ import annotations

from flask import current_app

from ..common.clock import now
from ..extensions import socketio
from . import timing
from .joining import mark_left
from .models import Attempt, Seat
from .proctoring import ProgressBatcher, candidate_row

EXAM, PROCTOR = "/exam", "/proctor"


def attempt_room(attempt_id: int) -> str:
    return f"attempt-{attempt_id}"


def sitting_room(sitting_id: int) -> str:
    return f"sitting-{sitting_id}"


def proctor_room(sitting_id: int) -> str:
    """The dashboards of one sitting: only a connection that passed `can_proctor` joins it."""
    return f"proctor-{sitting_id}"


def notify_proctors(seat: Seat) -> None:
    tell_proctors(seat.sitting_id, candidate_row(seat))


def tell_proctors(sitting_id: int, row: dict) -> None:
    socketio.emit("candidate", row, to=proctor_room(sitting_id), namespace=PROCTOR)


def send_progress(sitting_id: int, rows: list[dict]) -> None:
    """Answer counts for the dashboards (proctoring.ProgressBatcher's sender)."""
    socketio.emit("progress", {"rows": rows}, to=proctor_room(sitting_id), namespace=PROCTOR)


def send_rows(sitting_id: int, rows: list[dict]) -> None:
    """Whole rows of the candidates who joined or left, for the dashboards (ProgressBatcher's
    sender): one `candidates` message per batch."""
    socketio.emit("candidates", {"rows": rows}, to=proctor_room(sitting_id), namespace=PROCTOR)


def progress_batcher() -> ProgressBatcher:
    """This application's batcher of the proctors' rows and answer counts (one per process)."""
    app = current_app._get_current_object()
    batcher = app.extensions.get("exam_progress")
    if batcher is None:
        batcher = app.extensions["exam_progress"] = ProgressBatcher(
            app, send_progress, app.config["PROCTOR_PROGRESS_SECONDS"], send_rows, mark_left
        )
    return batcher


def tell_sitting_status(sitting) -> None:
    payload = {"status": sitting.status, "shown": timing.shown_status(sitting, now())}
    socketio.emit("sitting", payload, to=proctor_room(sitting.id), namespace=PROCTOR)


def tell_candidate(event: str, payload: dict, attempt_id: int, skip_sid: str | None = None) -> None:
    socketio.emit(event, payload, to=attempt_room(attempt_id), namespace=EXAM, skip_sid=skip_sid)


def tell_sitting(event: str, payload: dict, sitting_id: int) -> None:
    """Every candidate's page of the sitting (announcements, pause)."""
    socketio.emit(event, payload, to=sitting_room(sitting_id), namespace=EXAM)


def broadcast_time(attempt: Attempt, reason: str, seconds: int | None = None) -> None:
    """Tell the candidate's page its time changed (`reason`: extension, given_back, outage)."""
    at = now()
    sitting = attempt.seat.sitting
    stops = timing.clock_stops_at(sitting.status, sitting.paused_at, at)
    tell_candidate(
        "time",
        {
            "remaining_seconds": timing.remaining_seconds(attempt, stops),
            "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
            "server_time": at.isoformat(),
            "reason": reason,
            "seconds": seconds,
        },
        attempt.id,
    )
