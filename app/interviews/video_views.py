"""The online interview room's pages and calls (docs/video.md): the candidate's device check
and lobby/room page, and the JSON calls the room's script makes (enter, the chair's admit and
end, the chair's view of who is connected). The rules are in video.py.

Only these pages and the panel's scoring page may use the camera and the microphone
(Permissions-Policy, app/common/headers.py).
"""

from __future__ import annotations

from flask import abort, jsonify, render_template, request, send_file
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
        recorded=video.is_recorded(interview),
        keep_days=video.keep_days(),
    )


@bp.route("/video/<int:interview_id>/enter", methods=["POST"])
@login_required
def video_enter(interview_id: int):
    interview = scoring.get_interview(interview_id)
    consent = (request.get_json(silent=True) or {}).get("consent") is True
    return jsonify(
        {"ok": True, **video.enter(interview, current_user._get_current_object(), consent=consent)}
    )


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


@bp.route("/interviews/<int:interview_id>/recordings/<int:recording_id>")
@login_required
def recording(interview_id: int, recording_id: int):
    interview = scoring.get_interview(interview_id)
    rec, path = video.recording_for(current_user._get_current_object(), interview, recording_id)
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=rec.content_type, as_attachment=True, download_name=path.name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
