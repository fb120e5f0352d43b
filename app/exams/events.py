"""Socket.IO handlers of the online test: `/exam` for candidates, `/proctor` for proctors.

Thin: each handler parses the payload, calls a service, and acknowledges with the result or
with `{ok: false, error, message}`. The protocol is documented in docs/realtime.md.
"""
from __future__ import annotations


from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, join_room
from sqlalchemy import update

from ..common.clock import now
from ..common.errors import Forbidden, NotFound, ValidationFailed
from ..common.i18n import current_locale
from ..common.sockets import acked, int_field
from ..extensions import db, socketio
from . import services, timing
from .models import Attempt, Seat, Sitting
from .proctoring import ProgressBatcher, can_proctor, candidate_row, candidate_rows

EXAM, PROCTOR = "/exam", "/proctor"


def attempt_room(attempt_id: int) -> str:
    return f"attempt-{attempt_id}"


def sitting_room(sitting_id: int) -> str:
    return f"sitting-{sitting_id}"


def proctor_room(sitting_id: int) -> str:
    return f"proctor-{sitting_id}"


def notify_proctors(seat: Seat) -> None:
    tell_proctors(seat.sitting_id, candidate_row(seat))


def tell_proctors(sitting_id: int, row: dict) -> None:
    socketio.emit("candidate", row, to=proctor_room(sitting_id), namespace=PROCTOR)


def _send_progress(sitting_id: int, rows: list[dict]) -> None:
    socketio.emit("progress", {"rows": rows}, to=proctor_room(sitting_id), namespace=PROCTOR)


def _progress() -> ProgressBatcher:
    app = current_app._get_current_object()
    batcher = app.extensions.get("exam_progress")
    if batcher is None:
        batcher = app.extensions["exam_progress"] = ProgressBatcher(
            app, _send_progress, app.config["PROCTOR_PROGRESS_SECONDS"])
    return batcher


# ---- /exam --------------------------------------------------------------------------------

# The attempt each connection of this process joined (its fixed part, see services.Live).
# Questions and answers use it instead of loading the user and the attempt for every event;
# whether the connection is still the live one is checked in the database each time.
_joined: dict[str, services.Live] = {}
# The user each connection of this process logged in as, checked once when it connected (the
# connection keeps the session it connected with): joining needs no user load of its own.
_connected: dict[str, int] = {}


@socketio.on("connect", namespace=EXAM)
def exam_connect(auth=None):
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthorized")
    _connected[request.sid] = current_user.id


@socketio.on("disconnect", namespace=EXAM)
def exam_disconnect(*_args):
    sid = request.sid
    _connected.pop(sid, None)
    live = _joined.pop(sid, None)
    if live is None:
        return
    left = db.session.execute(update(Attempt).where(
        Attempt.id == live.attempt_id, Attempt.live_sid == sid).values(
        live_sid=None, last_seen_at=now())).rowcount
    db.session.commit()
    if left:
        notify_proctors(db.session.get(Seat, live.seat_id))


def _joined_live() -> services.Live:
    live = _joined.get(request.sid)
    if live is None:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return live


def _live_attempt() -> Attempt:
    """The attempt this connection joined; only the live connection may act on it."""
    attempt = db.session.get(Attempt, _joined_live().attempt_id)
    if attempt is None or attempt.live_sid != request.sid:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return attempt


@socketio.on("join", namespace=EXAM)
@acked(login=False)
def exam_join(data):
    user_id = _connected.get(request.sid)
    if user_id is None:
        return {"ok": False, "error": "unauthorized", "message": _("Log in first.")}
    joined = services.join(user_id, int_field(data, "sitting_id"), request.sid)
    live = _joined[request.sid] = joined.live
    if joined.previous_sid:
        socketio.emit("superseded", {}, to=joined.previous_sid, namespace=EXAM)
        disconnect(joined.previous_sid, namespace=EXAM)
    join_room(attempt_room(live.attempt_id))
    join_room(sitting_room(live.sitting_id))
    tell_proctors(live.sitting_id, joined.proctor_row)
    return {"ok": True, "state": joined.state}


@socketio.on("sync", namespace=EXAM)
@acked(login=False)
def exam_sync(data):
    t = now()
    result = {"ok": True, "client_time": data.get("client_time"), "server_time": t.isoformat(),
              "server_ms": int(t.timestamp() * 1000)}
    live = _joined.get(request.sid)
    if live is not None:
        status = services.started_status(live, None, t)
        db.session.rollback()  # (a read: end its transaction)
        result.update(remaining_seconds=timing.remaining_seconds(status, t),
                      deadline=status.deadline.isoformat() if status.deadline else None,
                      status=status.status)
    return result


@socketio.on("question", namespace=EXAM)
@acked(login=False)
def exam_question(data):
    question = services.question(_joined_live(), int_field(data, "index"), current_locale(),
                                 sid=request.sid)
    return {"ok": True, "question": question}


@socketio.on("answer", namespace=EXAM)
@acked(login=False)
def exam_answer(data):
    live = _joined_live()
    choice = data.get("choice")
    if choice is not None and not isinstance(choice, str):
        raise ValidationFailed(_("The choice must be a choice id or null."), "choice")
    result = services.record_answer(live, int_field(data, "index"), choice,
                                    int_field(data, "seq"), sid=request.sid)
    _progress().answered(live.sitting_id, live.seat_id)
    return result


@socketio.on("flag", namespace=EXAM)
@acked(login=False)
def exam_flag(data):
    return services.set_flag(_joined_live(), int_field(data, "index"),
                             bool(data.get("flagged")), sid=request.sid)


@socketio.on("focus_lost", namespace=EXAM)
@acked
def exam_focus_lost(_data):
    attempt = _live_attempt()
    count = services.note_focus_loss(attempt)
    notify_proctors(attempt.seat)
    return {"ok": True, "count": count}


@socketio.on("submit", namespace=EXAM)
@acked
def exam_submit(_data):
    attempt = _live_attempt()
    services.submit(attempt, "candidate", actor=current_user)
    notify_proctors(attempt.seat)
    return {"ok": True, "state": services.page_state(attempt)}


# ---- /proctor -------------------------------------------------------------------------------

@socketio.on("connect", namespace=PROCTOR)
def proctor_connect(auth=None):
    if not current_user.is_authenticated or not current_user.has_role(
            "proctor", "hr_officer", "hr_approver"):
        raise ConnectionRefusedError("forbidden")


def _sitting(data: dict) -> Sitting:
    sitting = db.session.get(Sitting, int_field(data, "sitting_id"))
    if sitting is None:
        raise NotFound(_("No such sitting."))
    if not can_proctor(current_user, sitting):
        raise Forbidden(_("You do not proctor this sitting."))
    return sitting


def _tell_proctors_status(sitting: Sitting) -> None:
    socketio.emit("sitting", {"status": sitting.status}, to=proctor_room(sitting.id),
                  namespace=PROCTOR)


def _broadcast_time(attempt: Attempt, reason: str) -> None:
    socketio.emit("time", {"remaining_seconds": timing.remaining_seconds(attempt, now()),
                           "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
                           "server_time": now().isoformat(), "reason": reason},
                  to=attempt_room(attempt.id), namespace=EXAM)


@socketio.on("watch", namespace=PROCTOR)
@acked
def proctor_watch(data):
    sitting = _sitting(data)
    join_room(proctor_room(sitting.id))
    return {"ok": True, "sitting": {"id": sitting.id, "status": sitting.status,
                                    "timing_mode": sitting.timing_mode,
                                    "started_at": sitting.started_at.isoformat()
                                    if sitting.started_at else None},
            "candidates": candidate_rows(sitting)}


@socketio.on("start", namespace=PROCTOR)
@acked
def proctor_start(data):
    sitting = _sitting(data)
    services.start_sitting(sitting, current_user)
    for seat in sitting.seats:
        if seat.attempt is not None:
            services.begin_if_due(seat.attempt)
            socketio.emit("started", services.attempt_state(seat.attempt),
                          to=attempt_room(seat.attempt.id), namespace=EXAM)
    _tell_proctors_status(sitting)
    return {"ok": True}


@socketio.on("announce", namespace=PROCTOR)
@acked
def proctor_announce(data):
    sitting = _sitting(data)
    item = services.announce(sitting, current_user, str(data.get("message") or ""))
    socketio.emit("announcement", {"message": item.message, "at": item.at.isoformat()},
                  to=sitting_room(sitting.id), namespace=EXAM)
    return {"ok": True}


def _attempts_of(sitting: Sitting, seat_ids) -> list[Attempt]:
    seats = sitting.seats if seat_ids == "all" else [
        s for s in sitting.seats if s.id in set(seat_ids or [])]
    if seat_ids != "all" and len(seats) != len(set(seat_ids or [])):
        raise ValidationFailed(_("Unknown seat in this sitting."), "seat_ids")
    return [s.attempt for s in seats if s.attempt is not None]


@socketio.on("extend", namespace=PROCTOR)
@acked
def proctor_extend(data):
    sitting = _sitting(data)
    changed = services.extend_time(current_user, _attempts_of(sitting, data.get("seat_ids")),
                                   int_field(data, "seconds"), str(data.get("reason") or ""))
    for attempt in changed:
        _broadcast_time(attempt, "extension")
        notify_proctors(attempt.seat)
    return {"ok": True, "changed": [a.seat_id for a in changed]}


@socketio.on("pause", namespace=PROCTOR)
@acked
def proctor_pause(data):
    sitting = _sitting(data)
    reason = str(data.get("reason") or "")
    services.pause_sitting(sitting, current_user, reason)
    socketio.emit("paused", {"reason": reason}, to=sitting_room(sitting.id), namespace=EXAM)
    _tell_proctors_status(sitting)
    return {"ok": True}


@socketio.on("resume", namespace=PROCTOR)
@acked
def proctor_resume(data):
    sitting = _sitting(data)
    services.resume_sitting(sitting, current_user, str(data.get("reason") or ""))
    for seat in sitting.seats:
        if seat.attempt is not None and seat.attempt.status == "in_progress":
            socketio.emit("resumed", {
                "remaining_seconds": timing.remaining_seconds(seat.attempt, now()),
                "deadline": seat.attempt.deadline.isoformat()},
                to=attempt_room(seat.attempt.id), namespace=EXAM)
    _tell_proctors_status(sitting)
    return {"ok": True}


@socketio.on("force_submit", namespace=PROCTOR)
@acked
def proctor_force_submit(data):
    sitting = _sitting(data)
    attempts = _attempts_of(sitting, [int_field(data, "seat_id")])
    if not attempts:
        raise ValidationFailed(_("That candidate has not checked in."), "seat_id")
    attempt = services.submit(attempts[0], "proctor", actor=current_user,
                              reason=str(data.get("reason") or ""))
    socketio.emit("time_up", services.page_state(attempt), to=attempt_room(attempt.id), namespace=EXAM)
    notify_proctors(attempt.seat)
    return {"ok": True}
