"""Logged-in sessions the server can end: Flask-Login's alternative-id pattern plus timeouts.

The session cookie holds "<user id>:<session token>" (User.get_id) and the user loader accepts
it only while the token equals the account's current one. Rotating the token (logout, "sign out
everywhere", a password change or reset, a role or agency change, deactivation) therefore ends
every session of the account at once, including cookies saved earlier: nothing has to be
remembered per session. Idle and absolute limits are checked on each request against two
times (real time, `wall_time`) the login writes into the signed session (`auth_at`,
`seen_at`), so renewing the cookie never extends a session past its absolute limit.
docs/security.md explains the choice.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

from ..audit.services import record
from ..extensions import db
from .models import new_session_token

AUTH_AT = "auth_at"  # when the password was checked (epoch seconds)
SEEN_AT = "seen_at"  # the last request of this session (epoch seconds)


def login_id(user) -> str:
    """What Flask-Login stores in the session for `user`."""
    return f"{user.id}:{user.session_token}"


def parse_login_id(value: str) -> tuple[int, str] | None:
    """(user id, token) of a stored login id; None for anything else (an old bare id too)."""
    user_id, sep, token = (value or "").partition(":")
    if not sep or not token or not user_id.isdigit():
        return None
    return int(user_id), token


def token_matches(user, token: str) -> bool:
    return same_token(user.session_token, token)


def same_token(current: str | None, presented: str) -> bool:
    """Whether a session presenting `presented` is still one of the account whose current
    token is `current` (None: no such account)."""
    return bool(current) and hmac.compare_digest(current, presented)


@dataclass(frozen=True)
class Claim:
    """Who a connection's signed session says it is, before the account is read: its id and
    the session token the cookie holds (None: checked already, by Flask-Login's loader).

    The online test's connections are checked when they join, in the join's own read (its
    statement reads the account's current token with the attempt): a hall reconnecting at
    once costs one statement less per page than a read at the connect. A connection whose
    session has ended is refused at its join; until then it can only ask for the clock."""

    user_id: int
    token: str | None


def claim_of(stored: str | None) -> Claim | None:
    """The claim a stored login id makes (Flask-Login's `_user_id`); None for anything else."""
    parsed = parse_login_id(stored) if isinstance(stored, str) else None
    return None if parsed is None else Claim(*parsed)


def end_all_sessions(user, *, actor=None, reason: str, ip: str = "", audit: bool = True) -> None:
    """Every session of `user` stops working at its next request (the caller commits).

    `audit=False` where the change that causes it is audited already (a password, role,
    agency or activation change always ends the sessions: docs/security.md)."""
    user.session_token = new_session_token()
    if audit:
        record("user.sessions_ended", user, actor=actor, ip=ip, after={"reason": reason})


def wall_time() -> float:
    """Seconds since the epoch, from the real clock. Sessions expire in real time: the
    platform's clock (common/clock.now) is moved by tests and rehearsals to exam days, and a
    session must not outlive, or be cut by, such a jump."""
    return time.time()


def stamp(values: dict) -> dict:
    """The times a fresh login writes into its session."""
    t = wall_time()
    values[AUTH_AT] = values[SEEN_AT] = t
    return values


def session_values(user, lang: str = "en") -> dict:
    """The whole session a login gives `user` (for tools that mint a cookie, e.g. bench/)."""
    return stamp({"_user_id": login_id(user), "_fresh": True, "lang": lang})


def expiry_reason(values, *, idle: timedelta, absolute: timedelta) -> str | None:
    """ "idle" or "absolute" when this session has outlived a limit (or carries no times at
    all: made before these limits existed), else None."""
    t = wall_time()
    auth_at, seen_at = values.get(AUTH_AT), values.get(SEEN_AT)
    if not isinstance(auth_at, (int, float)) or not isinstance(seen_at, (int, float)):
        return "absolute"
    if t - auth_at > absolute.total_seconds():
        return "absolute"
    if t - seen_at > idle.total_seconds():
        return "idle"
    return None


def sign_out_everywhere(user, ip: str = "") -> None:
    end_all_sessions(user, actor=user, reason="sign_out_everywhere", ip=ip)
    db.session.commit()


def log_out(user, ip: str = "") -> None:
    """Logging out ends every session of the account (issue 14: a saved cookie must stop
    working, and one token per account is what the server keeps)."""
    end_all_sessions(user, actor=user, reason="logout", ip=ip)
    db.session.commit()
