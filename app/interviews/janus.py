"""The app's client of the Janus media server (docs/video.md): its HTTP API for the VideoRoom
plugin's synchronous requests (create, exists, destroy, allowed, kick, listparticipants),
authenticated with the API secret, and its admin API for the per-person tokens browsers use.

Browsers never see the API or admin secrets: each person gets a token of their own, added here
when they may enter and removed when they may not (Janus keeps tokens in memory only; the app
re-adds them after a restart, video.ensure_room).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from ..common.errors import DomainError

VIDEOROOM = "janus.plugin.videoroom"


class MediaServerDown(DomainError):
    """Janus did not answer or refused a request: the interview can go on by its meeting link."""

    code = "video_unavailable"
    status_code = 503


class JanusRefused(DomainError):
    code = "video_refused"
    status_code = 502


@dataclass(frozen=True)
class Endpoint:
    url: str
    admin_url: str
    api_secret: str
    admin_secret: str
    room_admin_key: str
    timeout: float

    @classmethod
    def from_config(cls) -> Endpoint:
        c = current_app.config
        return cls(
            c["JANUS_URL"].rstrip("/"),
            c["JANUS_ADMIN_URL"].rstrip("/"),
            c["JANUS_API_SECRET"],
            c["JANUS_ADMIN_SECRET"],
            c["JANUS_ROOM_ADMIN_KEY"],
            c["JANUS_TIMEOUT_SECONDS"],
        )


def _post(url: str, body: dict, timeout: float) -> dict:
    body = {"transaction": secrets.token_hex(8), **body}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.loads(response.read().decode("utf-8"))
    except (OSError, urllib.error.URLError, ValueError) as err:
        current_app.logger.warning("janus: %s unreachable: %s", url, err)
        raise MediaServerDown(
            _("The video service is not available at the moment. Try again in a minute.")
        ) from err
    if reply.get("janus") == "error":
        error = reply.get("error", {})
        current_app.logger.warning("janus: %s refused: %s", url, error)
        raise JanusRefused(
            _("The video service refused the request (%(reason)s).", reason=error.get("reason"))
        )
    return reply


class Janus:
    """One short-lived session and VideoRoom handle per call: the app's requests are rare
    (entering, admitting, ending), so no keep-alive is needed."""

    def __init__(self, endpoint: Endpoint | None = None):
        self.endpoint = endpoint or Endpoint.from_config()

    # ---- the VideoRoom plugin ---------------------------------------------------------------

    def videoroom(self, body: dict) -> dict:
        """Send one synchronous VideoRoom request; its plugin data."""
        ep = self.endpoint
        secret = {"apisecret": ep.api_secret} if ep.api_secret else {}
        session = _post(ep.url, {"janus": "create", **secret}, ep.timeout)["data"]["id"]
        try:
            handle = _post(
                f"{ep.url}/{session}", {"janus": "attach", "plugin": VIDEOROOM, **secret}, ep.timeout
            )["data"]["id"]
            reply = _post(
                f"{ep.url}/{session}/{handle}", {"janus": "message", "body": body, **secret}, ep.timeout
            )
        finally:
            try:
                _post(f"{ep.url}/{session}", {"janus": "destroy", **secret}, ep.timeout)
            except DomainError:
                pass
        data = reply.get("plugindata", {}).get("data", {})
        if data.get("videoroom") == "event" and "error_code" in data:
            raise JanusRefused(
                _("The video service refused the request (%(reason)s).", reason=data.get("error")),
            )
        return data

    def create_room(
        self,
        room: str,
        secret: str,
        *,
        description: str,
        bitrate: int,
        publishers: int,
        rec_dir: str | None = None,
    ) -> None:
        """A private room; recorded into `rec_dir` when given (participants cannot turn it off)."""
        recording = (
            {"record": True, "rec_dir": rec_dir, "lock_record": True} if rec_dir else {"record": False}
        )
        self.videoroom(
            {
                "request": "create",
                "room": room,
                "description": description,
                "secret": secret,
                "is_private": True,
                "allowed": [],
                "require_pvtid": True,
                "publishers": publishers,
                "bitrate": bitrate,
                "bitrate_cap": True,
                "fir_freq": 10,
                "notify_joining": True,
                **recording,
                "permanent": False,
                **({"admin_key": self.endpoint.room_admin_key} if self.endpoint.room_admin_key else {}),
            }
        )

    def room_exists(self, room: str) -> bool:
        return bool(self.videoroom({"request": "exists", "room": room}).get("exists"))

    def destroy_room(self, room: str, secret: str) -> None:
        self.videoroom({"request": "destroy", "room": room, "secret": secret, "permanent": False})

    def allow(self, room: str, secret: str, tokens: list[str]) -> None:
        if tokens:
            self.videoroom(
                {"request": "allowed", "room": room, "secret": secret, "action": "add", "allowed": tokens}
            )

    def disallow(self, room: str, secret: str, tokens: list[str]) -> None:
        if tokens:
            self.videoroom(
                {"request": "allowed", "room": room, "secret": secret, "action": "remove", "allowed": tokens}
            )

    def kick(self, room: str, secret: str, participant_id) -> None:
        self.videoroom({"request": "kick", "room": room, "secret": secret, "id": participant_id})

    def participants(self, room: str) -> list[dict]:
        return list(self.videoroom({"request": "listparticipants", "room": room}).get("participants", []))

    # ---- per-person tokens (admin API) --------------------------------------------------------

    def _admin(self, body: dict) -> dict:
        ep = self.endpoint
        return _post(ep.admin_url, {**body, "admin_secret": ep.admin_secret}, ep.timeout)

    def add_token(self, token: str) -> None:
        self._admin({"janus": "add_token", "token": token, "plugins": [VIDEOROOM]})

    def remove_token(self, token: str) -> None:
        try:
            self._admin({"janus": "remove_token", "token": token})
        except JanusRefused:
            pass  # already gone (a restart forgets tokens)
