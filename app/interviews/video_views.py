"""The online interview room's pages and calls (docs/video.md): the candidate's device check
and lobby/room page, and the JSON calls the room's script makes (enter, the chair's admit and
end, the chair's view of who is connected). The rules are in video.py.

Only these pages and the panel's scoring page may use the camera and the microphone
(Permissions-Policy, app/common/headers.py).
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_login import current_user, login_required

from ..accounts.models import Role
from ..common.auth import roles_required
from ..common.i18n import current_locale
from . import booking, bp, scoring, video
from .video_pages import page_config, room_messages, room_page


@bp.route("/interviews/device-check")
@room_page
@login_required
def device_check():
    return render_template("interviews/device_check.html", messages=room_messages())


@bp.route("/interviews/<int:interview_id>/room")
@room_page
@roles_required(Role.CANDIDATE)
def candidate_room(interview_id: int):
    interview = booking.interview_for_candidate(interview_id, current_user._get_current_object())
    return render_template(
        "interviews/video_room.html",
        interview=interview,
        opens_at=video.opens_at(interview),
        available=video.enabled() and video.is_online(interview),
        room_config=page_config(interview, video.CANDIDATE),
        messages=room_messages(),
        locale=current_locale(),
    )


@bp.route("/video/<int:interview_id>/enter", methods=["POST"])
@login_required
def video_enter(interview_id: int):
    interview = scoring.get_interview(interview_id)
    return jsonify({"ok": True, **video.enter(interview, current_user._get_current_object())})


@bp.route("/video/<int:interview_id>/state")
@login_required
def video_state(interview_id: int):
    interview = scoring.get_interview(interview_id)
    return jsonify({"ok": True, **video.chair_view(interview, current_user._get_current_object())})


@bp.route("/video/<int:interview_id>/admit", methods=["POST"])
@login_required
def video_admit(interview_id: int):
    interview = scoring.get_interview(interview_id)
    video.admit(interview, current_user._get_current_object())
    return jsonify({"ok": True, "candidate_state": "admitted"})


@bp.route("/video/<int:interview_id>/end", methods=["POST"])
@login_required
def video_end(interview_id: int):
    interview = scoring.get_interview(interview_id)
    reason = (request.get_json(silent=True) or {}).get("reason", "")
    video.end_candidate(interview, current_user._get_current_object(), str(reason)[:300])
    return jsonify({"ok": True, "candidate_state": "ended"})
