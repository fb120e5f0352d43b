"""Socket.IO namespace /panel: live interview scoring and the panel's waiting list.

Thin, like the /exam handlers: parse the payload, call a service of scoring.py (or of
panel_access.py: whose interview it is, the waiting list), acknowledge after the commit (or
`{ok: false, error, message}`), then tell the rooms. The protocol is documented in
docs/realtime.md ("Namespace /panel").
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from ..accounts.models import Role, User
from ..common.clock import BANGKOK, now
from ..common.errors import ValidationFailed
from ..common.i18n import current_locale
from ..common.sockets import acked, int_field, need_confirmation, unknown_event
from ..extensions import db, socketio
from . import chairing, panel_access, scoreboard, scoring
from .models import Interview
from .rooms import (
    PANEL,
    announce_final_score,
    notify_called_in,
    notify_if_all_submitted,
    notify_progress,
    seat_room,
    waiting_room,
)


def _interview(data: dict) -> Interview:
    return panel_access.interview_for(current_user, int_field(data, "interview_id"))


def _state(interview: Interview) -> dict:
    return scoreboard.state_for(interview, current_user, current_locale())


# ---- handlers ---------------------------------------------------------------------------------


@socketio.on("connect", namespace=PANEL)
def panel_connect(auth=None):
    if not current_user.is_authenticated:  # (the same code on every namespace: realtime.md)
        raise ConnectionRefusedError("unauthorized")
    if not current_user.has_role(Role.PANEL):
        raise ConnectionRefusedError("forbidden")


@socketio.on("*", namespace=PANEL)
def panel_unknown(event, data=None, *_rest):
    return unknown_event(event, data)


@socketio.on("join", namespace=PANEL)
@acked
def panel_join(data):
    interview = _interview(data)
    state = _state(interview)
    # The member's own room of this interview: what is sent there is chosen per member when
    # sent (rooms.py), so a member who declares a conflict hears no more of its scores.
    join_room(seat_room(interview.id, current_user.id))
    return {"ok": True, "state": state}


@socketio.on("declare", namespace=PANEL)
@acked
def panel_declare(data):
    interview = _interview(data)
    has_conflict = data.get("has_conflict")
    if not isinstance(has_conflict, bool):
        raise ValidationFailed(_("Say whether you have a conflict of interest."), "has_conflict")
    scoring.declare(interview, current_user, has_conflict, str(data.get("note") or ""))
    notify_progress(interview)
    notify_if_all_submitted(interview)  # a recusal may leave everyone else done
    return {"ok": True, "state": _state(interview)}


@socketio.on("score", namespace=PANEL)
@acked
def panel_score(data):
    interview = _interview(data)
    if "points" not in data:
        raise scoring.BadScore(_("Send the points (null clears them)."), "points")
    was = interview.status
    result = scoring.record_score(
        interview, current_user, int_field(data, "criterion_id"), data["points"], int_field(data, "seq")
    )
    if not result["stale"]:
        notify_progress(interview)
    if was == "checked_in" and interview.status == "scoring":
        notify_called_in(interview)
    return result


@socketio.on("submit", namespace=PANEL)
@acked
def panel_submit(data):
    interview = _interview(data)
    scoring.submit_scores(interview, current_user)
    notify_progress(interview)
    notify_if_all_submitted(interview)
    return {"ok": True, "state": _state(interview)}


@socketio.on("finalize", namespace=PANEL)
@acked
def panel_finalize(data):
    need_confirmation(data, _("the Part C score will be finalized and the panel's scores locked."))
    interview = _interview(data)
    chairing.finalize(interview, current_user)
    announce_final_score(interview, corrected=False)
    return {"ok": True, "state": _state(interview)}


@socketio.on("correct", namespace=PANEL)
@acked
def panel_correct(data):
    interview = _interview(data)
    chairing.correct_final_score(interview, current_user, data.get("score"), str(data.get("reason") or ""))
    announce_final_score(interview, corrected=True)
    return {"ok": True, "state": _state(interview)}


@socketio.on("substitute", namespace=PANEL)
@acked
def panel_substitute(data):
    interview = _interview(data)
    chairing.name_substitute(interview, current_user, db.session.get(User, int_field(data, "user_id")))
    notify_progress(interview)
    return {"ok": True, "state": _state(interview)}


@socketio.on("waiting", namespace=PANEL)
@acked
def panel_waiting(data):
    panel = panel_access.panel_for_waiting(current_user, int_field(data, "panel_id"))
    day = now().astimezone(BANGKOK).date()
    join_room(waiting_room(panel.id, day))
    return {
        "ok": True,
        "panel_id": panel.id,
        "day": day.isoformat(),
        "candidates": [panel_access.waiting_row(iv) for iv in panel_access.waiting_interviews(panel, day)],
    }
