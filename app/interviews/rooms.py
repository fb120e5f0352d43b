"""The /panel namespace's rooms and what the server tells them: the one place, besides the
handlers' own acks, that emits to panel members (socket handlers, HR's views and the check-in
signal all go through here; nothing imports the handlers).

Scores reach only those who may see them: every connection that joins an interview joins its
member's own room of that interview (`seat_room`), and anything about the scores is sent to the
rooms of the scoring members as they are at that moment — a member who declared a conflict is
not one, so their open pages hear nothing more of this candidate's scores, whichever process
holds their connection.
"""

from __future__ import annotations

from ..common.clock import BANGKOK
from ..extensions import socketio
from . import conflicts, panel_access, scoreboard, scoring
from .booking import candidate_checked_in
from .models import Interview

PANEL = "/panel"


def seat_room(interview_id: int, user_id: int) -> str:
    """One member's connections to one interview."""
    return f"interview-{interview_id}-member-{user_id}"


def waiting_room(panel_id: int, day) -> str:
    return f"panel-{panel_id}-{day.isoformat()}"


def _to_scorers(event: str, payload: dict, interview: Interview) -> None:
    rooms = [seat_room(interview.id, uid) for uid in scoring.scoring_ids(interview)]
    if rooms:
        socketio.emit(event, payload, to=rooms, namespace=PANEL)


def notify_progress(interview: Interview) -> None:
    """The presiding chair's live view of who has started and who has submitted (never the
    points) — not sent to a chair who declared a conflict for this candidate."""
    chair_id = conflicts.presiding_chair_id(interview)
    if chair_id is not None and chair_id in scoring.scoring_ids(interview):
        socketio.emit(
            "progress", scoreboard.progress(interview), to=seat_room(interview.id, chair_id), namespace=PANEL
        )


def notify_if_all_submitted(interview: Interview) -> None:
    if scoring.all_submitted(interview):
        _to_scorers("all_submitted", {"interview_id": interview.id}, interview)


def announce_final_score(interview: Interview, *, corrected: bool) -> None:
    _to_scorers(
        "finalized",
        {
            "interview_id": interview.id,
            "final_score": scoring.num(interview.final_score),
            "corrected": corrected,
        },
        interview,
    )


def notify_chair_changed(interview: Interview) -> None:
    """HR named who presides over this interview: the panel's open pages hear of it."""
    _to_scorers(
        "chair_changed",
        {"interview_id": interview.id, "acting_chair_id": interview.acting_chair_id},
        interview,
    )


def notify_checked_in(interview: Interview) -> None:
    """A candidate checked in: tell the panel's waiting list."""
    day = interview.slot.starts_at.astimezone(BANGKOK).date()
    socketio.emit(
        "candidate_waiting",
        panel_access.waiting_row(interview),
        to=waiting_room(interview.slot.panel_id, day),
        namespace=PANEL,
    )


@candidate_checked_in.connect
def _on_checked_in(_sender, interview: Interview, **_extra) -> None:
    notify_checked_in(interview)


def notify_called_in(interview: Interview) -> None:
    """The candidate was called in (scoring began): off the waiting list."""
    day = interview.slot.starts_at.astimezone(BANGKOK).date()
    socketio.emit(
        "candidate_left",
        {"interview_id": interview.id, "panel_id": interview.slot.panel_id},
        to=waiting_room(interview.slot.panel_id, day),
        namespace=PANEL,
    )
