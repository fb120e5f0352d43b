"""Socket.IO handlers of the online test: `/exam` for candidates, `/proctor` for proctors.

Thin: each handler parses the payload, calls a service, and acknowledges with the result or
with `{ok: false, error, message}`. The protocol is documented in docs/realtime.md.
"""

from __future__ import annotations

import time

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, disconnect, join_room
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..accounts import sessions
from ..common import peers
from ..common.clock import now
from ..common.errors import Forbidden, NotFound, ValidationFailed
from ..common.i18n import current_locale
from ..common.sockets import (
    MAX_ID,
    MAX_SEQ,
    acked,
    bool_field,
    int_field,
    light_event,
    need_confirmation,
    number_field,
    text_field,
    unknown_event,
)
from ..extensions import db, socketio
from . import answering, joining, sitting_control, starting, submission, timing
from .media_links import media_base
from .models import Attempt, Sitting
from .proctoring import can_proctor, candidate_rows
from .rooms import (
    EXAM,
    PROCTOR,
    attempt_room,
    broadcast_time,
    notify_proctors,
    proctor_room,
    progress_batcher,
    sitting_room,
    tell_candidate,
    tell_sitting,
    tell_sitting_status,
)

# A question's index: 0 .. MAX_INDEX (a form never has more items; docs/realtime.md).
MAX_INDEX = 9999


# ---- /exam --------------------------------------------------------------------------------

# The attempt each connection of this process joined (its fixed part, see answering.Live).
# Questions and answers use it instead of loading the user and the attempt for every event;
# whether the connection is still the live one is checked in the database each time.
_joined: dict[str, answering.Live] = {}
# Who each connection of this process says it is (its session's claim, checked by its join
# against the account; the connection keeps the session it connected with).
_connected: dict[str, sessions.Claim] = {}
# The language of each connection of this process (its session's, as its page's).
_locales: dict[str, str] = {}


@socketio.on("connect", namespace=EXAM)
def exam_connect(auth=None):
    # Who the signed session says it is, without reading the account: the join checks the
    # session's token in its own read (sessions.Claim), one statement less for each page of
    # a hall that reconnects at once. A session without one (a "remember me" cookie, say)
    # goes through Flask-Login's loader, which checks it now; every connection busy there:
    # refused with `retry`, and the page connects again (outbox.js).
    claim = sessions.claim_of(session.get("_user_id"))
    if claim is None:
        try:
            if current_user.is_authenticated:
                claim = sessions.Claim(current_user.id, None)
        except (DBAPIError, PoolTimeout):
            current_app.logger.warning("database busy or away at a connect: asked to retry")
            raise ConnectionRefusedError(
                "retry", {"error": "retry", "message": _("The server is busy; connecting again.")}
            ) from None
        finally:
            db.session.rollback()  # (a read: end its transaction)
    if claim is None:
        raise ConnectionRefusedError("unauthorized")
    _connected[request.sid] = claim
    _locales[request.sid] = current_locale()
    peers.listen(current_app._get_current_object())  # (the proctor's start: _tell_own_candidates)


@socketio.on("*", namespace=EXAM)
def exam_unknown(event, data=None, *_rest):
    return unknown_event(event, data)


@socketio.on("disconnect", namespace=EXAM)
def exam_disconnect(*_args):
    sid = request.sid
    _connected.pop(sid, None)
    _locales.pop(sid, None)
    live = _joined.pop(sid, None)
    if live is not None:  # (stored with the proctors' next batch: a hall drops all at once)
        gone = joining.Leave(live.attempt_id, sid, now())
        progress_batcher().left(live.sitting_id, live.seat_id, gone)


def _joined_live(sid: str) -> answering.Live:
    live = _joined.get(sid)
    if live is None:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return live


def _live_attempt() -> Attempt:
    """The attempt this connection joined; only the live connection may act on it."""
    attempt = db.session.get(Attempt, _joined_live(request.sid).attempt_id)
    if attempt is None or attempt.live_sid != request.sid:
        raise NotFound(_("Join the test first (this connection is not the live one)."))
    return attempt


@socketio.on("join", namespace=EXAM)
@acked(login=False)
def exam_join(data):
    claim = _connected.get(request.sid)
    if claim is None:
        return {"ok": False, "error": "unauthorized", "message": _("Log in first.")}
    joined = joining.join(
        claim.user_id, int_field(data, "sitting_id", 1, MAX_ID), request.sid, token=claim.token
    )
    live = joined.live
    if request.sid not in _connected:
        # The page dropped while its join was under way (its disconnect ran meanwhile and
        # found nothing joined): the attempt was made live for a connection that is gone, so
        # it leaves at once, as if it had dropped just after.
        gone = joining.Leave(live.attempt_id, request.sid, now())
        progress_batcher().left(live.sitting_id, live.seat_id, gone)
        return {"ok": False, "error": "not_found", "message": _("This connection has closed.")}
    _joined[request.sid] = live
    if joined.previous_sid:
        socketio.emit("superseded", {}, to=joined.previous_sid, namespace=EXAM)
        disconnect(joined.previous_sid, namespace=EXAM)
    join_room(attempt_room(live.attempt_id))
    join_room(sitting_room(live.sitting_id))
    progress_batcher().changed(live.sitting_id, live.seat_id)
    return {"ok": True, "state": joined.state}


def _locale_of(sid: str) -> str:
    return _locales.get(sid) or "th"


# The hot events (every page's clock sync, every question and answer) run without a request
# context (common.sockets.light_event): the connection is g.sid, its language g.locale.
def _hot(event: str):
    return light_event(socketio, event, EXAM, _locale_of)


@_hot("sync")
@acked(login=False)
def exam_sync(data):
    client_time = number_field(data, "client_time")
    t = now()
    result = {
        "ok": True,
        "client_time": client_time,
        "server_time": t.isoformat(),
        "server_ms": int(t.timestamp() * 1000),
    }
    live = _joined.get(g.sid)
    if live is not None:
        # (a synchronized sitting's waiting room: from this process's memory of the sitting)
        status = answering.waiting_status(live, time.monotonic())
        if status is None:
            status = (
                answering.status_for(live, None)  # (the start's batch begins it)
                if live.attempt_id in _starting.get(live.sitting_id, ())
                else answering.started_status(live, None, t)
            )
        result.update(
            remaining_seconds=status.remaining_seconds(t),
            deadline=status.deadline.isoformat() if status.deadline else None,
            status=status.status,
            sitting_status=status.sitting_status,
        )
        if status.status == "not_started":  # (the waiting room: may the start button work?)
            # A synchronized attempt still waiting after started_status cannot start (not
            # started, paused or entry closed): no need to load the sitting for every page's
            # sync every few seconds.
            result["can_start"] = live.timing_mode != timing.SYNCHRONIZED and starting.can_start(
                db.session.get(Sitting, live.sitting_id), t
            )
        db.session.rollback()  # (a read: end its transaction)
    return result


@_hot("question")
@acked(login=False)
def exam_question(data):
    index = int_field(data, "index", 0, MAX_INDEX)
    prefetch = bool_field(data, "prefetch") if "prefetch" in data else False
    question = answering.question(
        _joined_live(g.sid), index, g.locale, sid=g.sid, media_base=media_base, prefetch=prefetch
    )
    return {"ok": True, "question": question}


@_hot("answer")
@acked(login=False)
def exam_answer(data):
    index, seq = int_field(data, "index", 0, MAX_INDEX), int_field(data, "seq", 1, MAX_SEQ)
    if not any(name in data for name in ("choice", "choices", "value", "text")):
        raise ValidationFailed(
            _("Send the answer (choice, choices, value or text), or null to clear it."), "choice"
        )
    if data.get("choice") is not None and not isinstance(data["choice"], str):
        raise ValidationFailed(_("The choice must be a choice id or null."), "choice")
    live = _joined_live(g.sid)
    answer = answering.answer_of(live, index, data)
    result = answering.record_answer(live, index, answer, seq, sid=g.sid)
    progress_batcher().answered(live.sitting_id, live.seat_id)
    return result


@socketio.on("flag", namespace=EXAM)
@acked(login=False)
def exam_flag(data):
    index, flagged = int_field(data, "index", 0, MAX_INDEX), bool_field(data, "flagged")
    return answering.set_flag(_joined_live(request.sid), index, flagged, sid=request.sid)


@socketio.on("start", namespace=EXAM)
@acked
def exam_start(_data):
    """The candidate presses start in the waiting room (window sittings)."""
    live = _joined_live(request.sid)
    attempt = joining.start_attempt(live, request.sid)
    state = joining.page_state(attempt)
    # Another device of the same candidate (superseded soon anyway) and the proctors hear it.
    tell_candidate("started", state, live.attempt_id, skip_sid=request.sid)
    notify_proctors(attempt.seat)
    return {"ok": True, "state": state}


@socketio.on("focus_lost", namespace=EXAM)
@acked
def exam_focus_lost(_data):
    attempt = _live_attempt()
    count = answering.note_focus_loss(attempt)
    notify_proctors(attempt.seat)
    return {"ok": True, "count": count}


@socketio.on("submit", namespace=EXAM)
@acked
def exam_submit(_data):
    attempt = _live_attempt()
    submission.submit(attempt, "candidate", actor=current_user)
    notify_proctors(attempt.seat)
    return {"ok": True, "state": joining.page_state(attempt)}


# ---- /proctor -------------------------------------------------------------------------------


@socketio.on("connect", namespace=PROCTOR)
def proctor_connect(auth=None):
    if not current_user.is_authenticated:  # (the same code as on /exam and /panel)
        raise ConnectionRefusedError("unauthorized")
    if not current_user.has_role("proctor", "hr_officer", "hr_approver"):
        raise ConnectionRefusedError("forbidden")


@socketio.on("*", namespace=PROCTOR)
def proctor_unknown(event, data=None, *_rest):
    return unknown_event(event, data)


def _sitting(data: dict) -> Sitting:
    sitting = db.session.get(Sitting, int_field(data, "sitting_id", 1, MAX_ID))
    if sitting is None:
        raise NotFound(_("No such sitting."))
    if not can_proctor(current_user, sitting):
        raise Forbidden(_("You do not proctor this sitting."))
    return sitting


@socketio.on("watch", namespace=PROCTOR)
@acked
def proctor_watch(data):
    sitting = _sitting(data)
    join_room(proctor_room(sitting.id))
    return {
        "ok": True,
        "sitting": {
            "id": sitting.id,
            "status": sitting.status,
            "shown": timing.shown_status(sitting, now()),
            "timing_mode": sitting.timing_mode,
            "started_at": sitting.started_at.isoformat() if sitting.started_at else None,
        },
        "candidates": candidate_rows(sitting),
    }


@socketio.on("start", namespace=PROCTOR)
@acked
def proctor_start(data):
    sitting = _sitting(data)
    sitting_control.start_sitting(sitting, current_user)
    # Every process starts and tells its own connected candidates (in parallel, each message
    # straight to its page), then this one starts those no connection holds.
    peers.ask_everyone(SITTING_STARTED, {"sitting_id": sitting.id})
    joining.start_unconnected(sitting)
    tell_sitting_status(sitting)
    return {"ok": True}


SITTING_STARTED = "exam.sitting_started"
START_TRIES = 5  # (each process's telling of its candidates, after a database hiccup)
# The sittings this process is starting now: sitting id -> its connected attempts not told yet.
# Their pages' `sync` in those seconds does not begin them one by one (a transaction and an
# audit entry each, beside the batch that is about to begin them: a sixth of a hall syncs in
# any five seconds).
_starting: dict[int, dict[int, str]] = {}


@peers.handler(SITTING_STARTED)
def _tell_own_candidates(payload: dict) -> None:
    """In every web process, when a proctor started a synchronized sitting: start the attempts
    of the candidates connected here and send each page its `started` message with the first
    question in its language (joining.start_connected)."""
    sitting_id = payload["sitting_id"]
    answering.forget_waiting(sitting_id)  # (this process's waiting-room syncs read the start)
    own = {live.attempt_id: sid for sid, live in list(_joined.items()) if live.sitting_id == sitting_id}
    if not own:
        return
    waiting = {attempt_id: _locales.get(sid, "th") for attempt_id, sid in own.items()}
    _starting[sitting_id] = waiting  # (emptied as the pages are told)
    try:
        told = _start_and_tell(sitting_id, own, waiting)
    finally:
        _starting.pop(sitting_id, None)
    if told < len(own):  # (an attempt submitted meanwhile gets no message; anything else is a fault)
        current_app.logger.warning(
            "sitting %s started: %s of %s connected here told", sitting_id, told, len(own)
        )


def _start_and_tell(sitting_id: int, own: dict[int, str], waiting: dict[int, str]) -> int:
    told = 0
    forms = {attempt_id: _joined[sid].form for attempt_id, sid in own.items() if sid in _joined}
    # A database hiccup (every pooled connection busy for DB_POOL_TIMEOUT under overload)
    # must not leave this process's pages unaware of the start: try again for those not told.
    for attempt in range(START_TRIES):
        try:
            with current_app.test_request_context():  # (item media links: paths on this site)
                for batch in joining.start_connected(sitting_id, waiting, media_base=media_base, forms=forms):
                    for attempt_id, message in batch:
                        # Straight to the page: it is connected to this process (no message queue).
                        socketio.emit(
                            "started", message, to=own[attempt_id], namespace=EXAM, ignore_queue=True
                        )
                        waiting.pop(attempt_id, None)
                    told += len(batch)
                    socketio.sleep(0)  # (let the loop send this batch while the next one is built)
            break
        except (DBAPIError, PoolTimeout):
            db.session.rollback()
            current_app.logger.warning(
                "sitting %s started: %s connected here not told yet (database busy); trying again",
                sitting_id,
                len(waiting),
                exc_info=True,
            )
            socketio.sleep(0.5 * (attempt + 1))
    return told


@socketio.on("announce", namespace=PROCTOR)
@acked
def proctor_announce(data):
    sitting = _sitting(data)
    item = sitting_control.announce(sitting, current_user, text_field(data, "message"))
    tell_sitting("announcement", {"message": item.message, "at": item.at.isoformat()}, sitting.id)
    return {"ok": True}


def _attempts_of(sitting: Sitting, seat_ids) -> list[Attempt]:
    if seat_ids != "all" and not (
        isinstance(seat_ids, list)
        and seat_ids
        and all(isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_ID for i in seat_ids)
    ):
        raise ValidationFailed(_('seat_ids must be "all" or a list of seat ids.'), "seat_ids")
    seats = sitting.seats if seat_ids == "all" else [s for s in sitting.seats if s.id in set(seat_ids or [])]
    if seat_ids != "all" and len(seats) != len(set(seat_ids or [])):
        raise ValidationFailed(_("Unknown seat in this sitting."), "seat_ids")
    return [s.attempt for s in seats if s.attempt is not None]


def _one_attempt(data: dict) -> tuple[Attempt, str]:
    """The attempt of the one candidate (`seat_id`) a proctor acts on, with the reason given."""
    seat_id, reason = int_field(data, "seat_id", 1, MAX_ID), text_field(data, "reason")
    attempts = _attempts_of(_sitting(data), [seat_id])
    if not attempts:
        raise ValidationFailed(_("That candidate has not checked in."), "seat_id")
    return attempts[0], reason


@socketio.on("extend", namespace=PROCTOR)
@acked
def proctor_extend(data):
    sitting = _sitting(data)
    seconds = int_field(data, "seconds", -3600, 4 * 3600)
    reason = text_field(data, "reason")
    changed = sitting_control.extend_time(
        current_user, _attempts_of(sitting, data.get("seat_ids")), seconds, reason
    )
    for attempt in changed:
        broadcast_time(attempt, "extension", seconds)
        notify_proctors(attempt.seat)
    return {"ok": True, "changed": [a.seat_id for a in changed]}


@socketio.on("pause", namespace=PROCTOR)
@acked
def proctor_pause(data):
    sitting = _sitting(data)
    reason = text_field(data, "reason")
    sitting_control.pause_sitting(sitting, current_user, reason)
    tell_sitting("paused", {"reason": reason}, sitting.id)
    tell_sitting_status(sitting)
    return {"ok": True}


@socketio.on("resume", namespace=PROCTOR)
@acked
def proctor_resume(data):
    sitting = _sitting(data)
    sitting_control.resume_sitting(sitting, current_user, text_field(data, "reason"))
    for seat in sitting.seats:
        if seat.attempt is not None and seat.attempt.status == "in_progress":
            tell_candidate(
                "resumed",
                {
                    "remaining_seconds": timing.remaining_seconds(seat.attempt, now()),
                    "deadline": seat.attempt.deadline.isoformat(),
                },
                seat.attempt.id,
            )
    tell_sitting_status(sitting)
    return {"ok": True}


@socketio.on("force_submit", namespace=PROCTOR)
@acked
def proctor_force_submit(data):
    need_confirmation(data, _("the candidate's test will be submitted now, with the answers saved so far."))
    attempt, reason = _one_attempt(data)
    attempt = submission.submit(attempt, "proctor", actor=current_user, reason=reason)
    answering.forget_waiting(attempt.seat.sitting_id)  # (a candidate still waiting: no more)
    # Its own event, with the reason: not `time_up`, which says the time ran out.
    tell_candidate("force_submitted", {"reason": reason, "state": joining.page_state(attempt)}, attempt.id)
    notify_proctors(attempt.seat)
    return {"ok": True}


@socketio.on("give_back", namespace=PROCTOR)
@acked
def proctor_give_back(data):
    """One step: give a candidate back the time they lost disconnected, with a reason."""
    attempt, reason = _one_attempt(data)
    seconds = sitting_control.give_back_lost_time(current_user, attempt, reason)
    broadcast_time(attempt, "given_back", seconds)
    notify_proctors(attempt.seat)
    return {"ok": True, "seat_id": attempt.seat_id, "seconds": seconds}
