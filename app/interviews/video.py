"""Online interview rooms (docs/video.md): who may enter an interview's room on the media
server and when, the candidate's lobby and the chair's admission, the credentials each person
gets, and closing the room when the interview is finalized or cancelled.

The rules:
- the room exists from VIDEO_OPENS_MINUTES before the slot until the interview is finalized,
  cancelled or marked no-show (then it is destroyed and every credential revoked);
- only the interview's candidate and its scoring members (the chair or acting chair, members
  without a declared conflict, named substitutes) may enter, each with a Janus token of their
  own; a recused member, another candidate or a stranger is refused;
- the candidate waits in the lobby until the presiding chair admits them: their token reaches
  Janus only then; the chair can end the candidate's connection (kick and revoke), after which
  the candidate is back in the lobby.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, NotFound
from ..extensions import db
from . import chairing, panel_access, scoring
from .janus import Janus, JanusRefused
from .models import Interview, InterviewRecording, InterviewSlot, VideoPass, VideoRoom

CANDIDATE, CHAIR, MEMBER = "candidate", "chair", "member"
CLOSED = ("finalized", "cancelled", "no_show")


def enabled() -> bool:
    """Whether interviews have rooms on the platform (a media server is configured)."""
    return bool(current_app.config["JANUS_URL"])


def opens_at(interview: Interview) -> datetime:
    return interview.slot.starts_at - timedelta(minutes=current_app.config["VIDEO_OPENS_MINUTES"])


def is_online(interview: Interview) -> bool:
    return interview.slot.mode == "online"


def has_room(interview: Interview) -> bool:
    """Whether the interview takes place in a room on the platform (and is not over)."""
    return enabled() and is_online(interview) and interview.status not in CLOSED


def role_in_room(interview: Interview, user) -> str | None:
    """candidate | chair | member for those who may enter, else None."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return None
    if user_id == interview.application.candidate_id:
        return CANDIDATE
    if user_id in scoring.scoring_ids(interview):
        return CHAIR if scoring.is_chair(interview, user) else MEMBER
    return None


def check_may_enter(interview: Interview, user, at: datetime | None = None) -> str:
    """The person's role in the room, or the refusal in words they can read."""
    at = at or now()
    role = role_in_room(interview, user)
    if role is None:
        if scoring.role_of(interview, user) is not None:
            raise Forbidden(
                _(
                    "You declared a conflict of interest for this candidate: you do not take part "
                    "in their interview."
                )
            )
        raise Forbidden(_("This interview room is only for the candidate and the panel."))
    if not enabled() or not is_online(interview):
        raise NotAllowed(_("This interview has no room on the platform."))
    if interview.status in CLOSED:
        raise NotAllowed(_("This interview is over: its room is closed."))
    if at < opens_at(interview):
        raise NotAllowed(
            _(
                "The room opens %(minutes)s minutes before the interview.",
                minutes=current_app.config["VIDEO_OPENS_MINUTES"],
            )
        )
    return role


# ---- the room and the credentials -------------------------------------------------------------


def room_of(interview: Interview) -> VideoRoom | None:
    return db.session.scalar(select(VideoRoom).where(VideoRoom.interview_id == interview.id))


def _janus() -> Janus:
    return Janus()


def recordings_dir(room: VideoRoom) -> Path:
    return Path(current_app.config["VIDEO_RECORDINGS_DIR"]) / room.room


def _create_on_server(room: VideoRoom) -> None:
    interview = room.interview
    rec_dir = None
    if room.recording:
        rec_dir = recordings_dir(room)
        rec_dir.mkdir(parents=True, exist_ok=True)
    _janus().create_room(
        room.room,
        room.secret,
        description=f"interview {interview.id}",
        bitrate=current_app.config["VIDEO_BITRATE"],
        publishers=len(scoring.scoring_ids(interview)) + 3,
        rec_dir=str(rec_dir) if rec_dir else None,
    )
    live = [p.token for p in room.passes if p.revoked_at is None and _may_be_in_room(room, p)]
    for token in live:
        _janus().add_token(token)
    _janus().allow(room.room, room.secret, live)


def _may_be_in_room(room: VideoRoom, p: VideoPass) -> bool:
    return p.role != CANDIDATE or room.candidate_state == "admitted"


def ensure_room(interview: Interview) -> VideoRoom:
    """The interview's room, created on the media server if it is not there (first entry, or
    Janus restarted and forgot it: rooms and tokens live in its memory)."""
    room = room_of(interview)
    if room is None:
        room = VideoRoom(
            interview_id=interview.id,
            room=f"iv{interview.id}-{secrets.token_hex(6)}",
            secret=secrets.token_urlsafe(24),
            recording=is_recorded(interview),
        )
        db.session.add(room)
        try:
            # The unique interview_id makes a second person entering at the same moment wait
            # here for the first one's commit, then take the room the first one made.
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return ensure_room(interview)
        _create_on_server(room)
        record("video.room_open", interview, after={"room": room.room, "recording": room.recording})
        db.session.commit()
        return room
    if room.closed_at is not None:
        raise NotAllowed(_("This interview is over: its room is closed."))
    if not _janus().room_exists(room.room):
        _create_on_server(room)
    return room


def _pass_for(room: VideoRoom, user, role: str) -> VideoPass:
    for p in room.passes:
        if p.user_id == user.id:
            if p.role != role:
                p.role = role  # (an acting chair named since)
            return p
    p = VideoPass(room=room, user_id=user.id, role=role, token=secrets.token_urlsafe(32))
    db.session.add(p)
    db.session.flush()
    return p


def _grant(room: VideoRoom, p: VideoPass) -> None:
    _janus().add_token(p.token)
    _janus().allow(room.room, room.secret, [p.token])


def _revoke(room: VideoRoom, p: VideoPass) -> None:
    try:
        _janus().disallow(room.room, room.secret, [p.token])
    except JanusRefused:
        pass  # the room is gone already
    _janus().remove_token(p.token)


def ice_servers(user_id: int, at: float | None = None) -> list[dict]:
    """TURN with time-limited credentials from the shared secret (coturn's use-auth-secret:
    username "<expiry>:<user>", password base64(HMAC-SHA1(secret, username)))."""
    c = current_app.config
    if not c["TURN_URLS"] or not c["TURN_SECRET"]:
        return []
    expiry = int((at if at is not None else time.time()) + c["TURN_TTL_SECONDS"])
    username = f"{expiry}:{user_id}"
    digest = hmac.new(c["TURN_SECRET"].encode(), username.encode(), hashlib.sha1).digest()
    return [
        {"urls": list(c["TURN_URLS"]), "username": username, "credential": base64.b64encode(digest).decode()}
    ]


def display_of(role: str, user) -> str:
    """How a participant is named in the room: role, user id and name (the chair's page shows
    who is connected from this)."""
    return f"{role}|{user.id}|{user.full_name_th}"


def _credentials(room: VideoRoom, p: VideoPass, user) -> dict:
    return {
        "state": "in_room",
        "role": p.role,
        "server": current_app.config["JANUS_WS_URL"],
        "token": p.token,
        "room": room.room,
        "display": display_of(p.role, user),
        "ice_servers": ice_servers(user.id),
        "bitrate": current_app.config["VIDEO_BITRATE"],
    }


def is_recorded(interview: Interview) -> bool:
    """Whether this interview's room records (its round's agency records online interviews)."""
    return bool(interview.application.round.agency.records_interviews)


def keep_days() -> int:
    return current_app.config["VIDEO_RECORDING_KEEP_DAYS"]


def enter(interview: Interview, user, at: datetime | None = None, *, consent: bool = False) -> dict:
    """A person opens the room: a panel member gets their credential; the candidate of a
    recorded interview first consents to the recording, then waits in the lobby until admitted,
    then gets theirs."""
    at = at or now()
    role = check_may_enter(interview, user, at)
    room = ensure_room(interview)
    p = _pass_for(room, user, role)
    if role != CANDIDATE:
        _grant(room, p)
        db.session.commit()
        return {**_credentials(room, p, user), "recording": room.recording}
    if room.recording and p.consented_at is None:
        if not consent:
            db.session.commit()
            return {"state": "consent", "keep_days": keep_days()}
        p.consented_at = at
        record(
            "video.recording_consent",
            interview,
            actor=user,
            after={"room": room.room, "keep_days": keep_days()},
        )
    if room.candidate_state in ("absent", "ended"):
        room.candidate_state = "lobby"
        room.lobby_at = at
        record("video.lobby", interview, actor=user, after={"room": room.room})
    if room.candidate_state == "admitted":
        db.session.commit()
        return _credentials(room, p, user)
    db.session.commit()
    return {"state": "lobby", "since": room.lobby_at.isoformat() if room.lobby_at else None}


def admit(interview: Interview, chair, at: datetime | None = None) -> VideoRoom:
    """The presiding chair lets the waiting candidate in."""
    at = at or now()
    chairing.require_chair(interview, chair)
    check_may_enter(interview, chair, at)
    room = room_of(interview)
    if room is None or room.candidate_state != "lobby":
        raise NotAllowed(_("The candidate is not waiting in the lobby."))
    candidate = interview.application.candidate
    p = _pass_for(room, candidate, CANDIDATE)
    _grant(room, p)
    room.candidate_state = "admitted"
    room.admitted_at = at
    room.admitted_by_id = chair.id
    record("video.admit", interview, actor=chair, after={"room": room.room, "candidate": candidate.id})
    db.session.commit()
    return room


def end_candidate(interview: Interview, chair, reason: str = "") -> VideoRoom:
    """The presiding chair ends the candidate's connection: kicked from the room, credential
    revoked; the candidate is back in the lobby if they return."""
    chairing.require_chair(interview, chair)
    room = room_of(interview)
    if room is None or room.candidate_state != "admitted":
        raise NotAllowed(_("The candidate is not in the room."))
    candidate_id = interview.application.candidate_id
    for participant in connected(room):
        if participant["role"] == CANDIDATE:
            try:
                _janus().kick(room.room, room.secret, participant["id"])
            except JanusRefused:
                pass  # left on their own meanwhile
    p = next(p for p in room.passes if p.user_id == candidate_id)
    _revoke(room, p)
    room.candidate_state = "ended"
    record(
        "video.end_candidate",
        interview,
        actor=chair,
        before={"candidate_state": "admitted"},
        after={"candidate_state": "ended", "reason": reason},
    )
    db.session.commit()
    return room


def connected(room: VideoRoom) -> list[dict]:
    """Who is in the room now, from the media server: id, role, user id, name."""
    people = []
    for participant in _janus().participants(room.room):
        role, _sep, rest = str(participant.get("display", "")).partition("|")
        user_id, _sep, name = rest.partition("|")
        people.append(
            {
                "id": participant.get("id"),
                "role": role,
                "user_id": int(user_id) if user_id.isdigit() else None,
                "name": name,
                "publishing": bool(participant.get("publisher")),
            }
        )
    return people


def chair_view(interview: Interview, chair) -> dict:
    """What the presiding chair's page shows: the candidate's place and who is connected."""
    chairing.require_chair(interview, chair)
    room = room_of(interview)
    if room is None or room.closed_at is not None:
        return {"candidate_state": "absent", "connected": [], "open": room is None}
    return {
        "candidate_state": room.candidate_state,
        "lobby_at": room.lobby_at.isoformat() if room.lobby_at else None,
        "connected": connected(room),
        "open": True,
    }


def close_room(interview: Interview, reason: str) -> bool:
    """Destroy the interview's room on the media server and revoke every credential."""
    room = room_of(interview)
    if room is None or room.closed_at is not None:
        return False
    for p in room.passes:
        if p.revoked_at is None:
            _janus().remove_token(p.token)
            p.revoked_at = now()
    try:
        _janus().destroy_room(room.room, room.secret)
    except JanusRefused:
        pass  # already gone (Janus restarted)
    room.closed_at = now()
    record("video.room_close", interview, after={"room": room.room, "reason": reason})
    db.session.commit()
    return True


@scoring.interview_closed.connect
def _on_interview_closed(_sender, interview: Interview, **_extra) -> None:
    if enabled():
        close_room(interview, interview.status)


# ---- recordings ---------------------------------------------------------------------------------

CONVERTED = {"video": (".webm", "video/webm"), "audio": (".opus", "audio/ogg")}


def process_recordings(room: VideoRoom) -> int:
    """Convert a closed recorded room's Janus files (.mjr) into WebM / Opus files kept until
    VIDEO_RECORDING_KEEP_DAYS from now, each a row the round's HR and panel may fetch."""
    tool = shutil.which(current_app.config["JANUS_PP_REC"])
    if tool is None:
        current_app.logger.warning("video: %s not found; recordings of %s wait", "janus-pp-rec", room.room)
        return 0
    folder = recordings_dir(room)
    base = Path(current_app.config["VIDEO_RECORDINGS_DIR"])
    delete_after = now() + timedelta(days=keep_days())
    saved = 0
    for source in sorted(folder.glob("*.mjr")) if folder.exists() else []:
        kind = "video" if "-video-" in source.name else "audio"
        suffix, content_type = CONVERTED[kind]
        target = source.with_suffix(suffix)
        done = subprocess.run([tool, str(source), str(target)], capture_output=True, timeout=600)
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            current_app.logger.warning("video: could not convert %s: %s", source, done.stderr[-300:])
            continue
        source.unlink()
        db.session.add(
            InterviewRecording(
                interview_id=room.interview_id,
                stored_name=str(target.relative_to(base)),
                kind=kind,
                content_type=content_type,
                size=target.stat().st_size,
                delete_after=delete_after,
            )
        )
        saved += 1
    room.processed_at = now()
    record("video.recordings_saved", room.interview, after={"room": room.room, "files": saved})
    db.session.commit()
    return saved


def delete_expired_recordings(at: datetime | None = None) -> int:
    """Delete the recordings whose retention period is over (files and all); audited."""
    at = at or now()
    expired = db.session.scalars(
        select(InterviewRecording).where(
            InterviewRecording.deleted_at.is_(None), InterviewRecording.delete_after <= at
        )
    ).all()
    base = Path(current_app.config["VIDEO_RECORDINGS_DIR"])
    for rec in expired:
        (base / rec.stored_name).unlink(missing_ok=True)
        rec.deleted_at = at
        record("video.recording_deleted", rec, after={"interview": rec.interview_id, "file": rec.stored_name})
    db.session.commit()
    return len(expired)


def recordings_of(interview: Interview) -> list[InterviewRecording]:
    return list(
        db.session.scalars(
            select(InterviewRecording)
            .where(InterviewRecording.interview_id == interview.id, InterviewRecording.deleted_at.is_(None))
            .order_by(InterviewRecording.id)
        )
    )


def may_fetch_recordings(user, interview: Interview) -> bool:
    """The round's HR and the panel (not a member who declared a conflict): the score sheet's rule."""
    return panel_access.can_view_score_sheet(user, interview)


def recording_for(user, interview: Interview, recording_id: int) -> tuple[InterviewRecording, Path]:
    if not may_fetch_recordings(user, interview):
        raise Forbidden(_("Only the round's HR and the panel may fetch this interview's recordings."))
    for rec in recordings_of(interview):
        if rec.id == recording_id:
            return rec, Path(current_app.config["VIDEO_RECORDINGS_DIR"]) / rec.stored_name
    raise NotFound(_("No such recording."))


def sweep() -> dict:
    """The scheduler's job: close the rooms of interviews finalized, cancelled or marked
    no-show, and of slots long over (the finalization's own close may have met a media server
    that was down); convert closed rooms' recordings; delete recordings past their retention."""
    if not enabled():
        return {"recordings_deleted": delete_expired_recordings()}
    stale_before = now() - timedelta(hours=12)
    rooms = db.session.scalars(
        select(VideoRoom)
        .join(Interview, Interview.id == VideoRoom.interview_id)
        .join(InterviewSlot, InterviewSlot.id == Interview.slot_id)
        .where(
            VideoRoom.closed_at.is_(None),
            (Interview.status.in_(CLOSED)) | (InterviewSlot.ends_at < stale_before),
        )
    ).all()
    closed = sum(1 for room in rooms if close_room(room.interview, room.interview.status))
    pending = db.session.scalars(
        select(VideoRoom).where(
            VideoRoom.recording.is_(True), VideoRoom.closed_at.is_not(None), VideoRoom.processed_at.is_(None)
        )
    ).all()
    saved = sum(process_recordings(room) for room in pending)
    return {"closed": closed, "recordings_saved": saved, "recordings_deleted": delete_expired_recordings()}
