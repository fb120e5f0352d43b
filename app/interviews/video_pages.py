"""What the pages with an interview room share (the candidate's room page, the device check
and the panel's scoring page with its video tiles): camera and microphone allowed on them, the
room script's settings and its words in the page's language."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from ..common.headers import ROOM_PERMISSIONS_POLICY
from ..extensions import talisman
from . import video


def room_page(view):
    """Camera and microphone for this site, on this view only."""
    return talisman(permissions_policy=ROOM_PERMISSIONS_POLICY)(view)


def room_messages() -> dict:
    """The room script's words (the page's language)."""
    return {
        "lobby": _(
            "You are in the lobby. The chair of the panel will let you in at the time of your interview."
        ),
        "admitted": _("The chair let you in. Connecting to the room…"),
        "connected": _("You are in the interview room."),
        "connecting": _("Connecting to the room…"),
        "reconnecting": _("The connection was lost. Reconnecting…"),
        "ended": _("The chair ended your connection to the room."),
        "closed": _("The interview room is closed."),
        "denied": _(
            "The browser was not allowed to use your camera or microphone. Allow them for this "
            "site (the camera icon in the address bar) and reload the page."
        ),
        "missing": _("No camera or microphone was found. Connect one, then reload the page."),
        "busy": _("Your camera or microphone is in use by another program. Close it, then reload the page."),
        "unsupported": _(
            "This browser cannot take part in video calls. Use a recent Chrome, Edge, Firefox or Safari."
        ),
        "server": _("The video service is not available at the moment. We will try again."),
        "refused": _("You cannot enter this room."),
        "device_ok": _("Your camera and microphone work. You are ready for the interview."),
        "mic_level": _("Microphone level"),
        "you": _("You"),
        "candidate": _("Candidate"),
        "chair": _("Chair"),
        "member": _("Panel member"),
        "waiting": _("The candidate is waiting in the lobby."),
        "no_one_waiting": _("No one is waiting in the lobby."),
        "admit": _("Let the candidate in"),
        "end": _("End the candidate's connection"),
        "confirm_end": _("End the candidate's connection? They go back to the lobby."),
        "confirm_end_yes": _("Yes, end the connection"),
        "confirm_cancel": _("No, go back"),
        "in_room": _("The candidate is in the room."),
        "connected_list": _("Connected"),
        "consent_needed": _(
            "This interview is recorded. Read the notice below and give your consent to enter."
        ),
        "recorded": _("This interview is being recorded."),
    }


def page_config(interview, role: str) -> dict:
    return {
        "interview_id": interview.id,
        "role": role,
        "enter_url": url_for("interviews.video_enter", interview_id=interview.id),
        "state_url": url_for("interviews.video_state", interview_id=interview.id),
        "admit_url": url_for("interviews.video_admit", interview_id=interview.id),
        "end_url": url_for("interviews.video_end", interview_id=interview.id),
        "opens_at": video.opens_at(interview).isoformat(),
        "poll_seconds": 3,
        "csrf_token": generate_csrf(),
    }


def panel_video(interview, user) -> dict | None:
    """The panel page's room settings, when this interview has a room on the platform."""
    if not (video.enabled() and video.is_online(interview)):
        return None
    role = video.role_in_room(interview, user)
    if role is None:
        return None
    return page_config(interview, role)
