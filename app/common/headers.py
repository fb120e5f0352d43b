"""The security headers' policies (docs/security.md), set by flask-talisman in the factory:
the Content Security Policy of every page and the Permissions-Policy, with the one exception
the online interview room needs (camera and microphone, on the room pages only)."""

from __future__ import annotations

# The Content Security Policy of every page (docs/security.md): our own scripts, styles, fonts
# and Socket.IO only; no inline script (the few JSON data blocks are not executed), no frames.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# No page needs the camera, the microphone or the rest, except the interview room's
# (ROOM_PERMISSIONS_POLICY below); the exam check-in's system check tests the connection and
# the clock only.
PERMISSIONS_POLICY = dict.fromkeys(
    (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "display-capture",
        "interest-cohort",
    ),
    "()",
)

# The online interview room's pages (app/interviews/video_views.py) and the panel's scoring page
# with its video tiles: camera and microphone for this site only.
ROOM_PERMISSIONS_POLICY = {**PERMISSIONS_POLICY, "camera": "(self)", "microphone": "(self)"}


def csp_for(media_server_ws: str = "") -> dict:
    """The CSP, with the media server's WebSocket (JANUS_WS_URL) in connect-src when it is on
    another origin than the site (in production nginx serves it on the site's own)."""
    if not media_server_ws or media_server_ws.startswith("/"):
        return CSP  # the site's own origin ('self')
    return {**CSP, "connect-src": ["'self'", media_server_ws]}
