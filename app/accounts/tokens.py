"""Signed, expiring links sent by email: confirming an address and resetting a password.

itsdangerous signs a small payload with the app's SECRET_KEY (a salt per purpose, so one kind
of link is never accepted as the other) and a timestamp taken from `common.clock`, so the
expiry follows the same "now" as the rest of the platform (and tests can move it). A reset
link carries a fingerprint of the password hash it was issued against: once the password has
changed the link no longer verifies, which makes it single-use without storing anything.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..common.clock import now

VERIFY_SALT = "bma-recruit/email-verify"
RESET_SALT = "bma-recruit/password-reset"


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(now().timestamp())


class _ClockSerializer(URLSafeTimedSerializer):
    default_signer = _ClockSigner


class TokenInvalid(Exception):
    """A link that is tampered with, of the wrong kind, expired or already used."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return _ClockSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenInvalid(expired=True) from None
    except BadSignature:
        raise TokenInvalid() from None
    if not isinstance(data, dict):
        raise TokenInvalid()
    return data


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:20]


def verification_token(user) -> str:
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": user.email})


def read_verification_token(token: str) -> tuple[int, str]:
    data = _load(VERIFY_SALT, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    return int(data.get("u", 0)), str(data.get("e", ""))


def reset_token(user) -> str:
    return _serializer(RESET_SALT).dumps({"u": user.id, "p": password_fingerprint(user.password_hash)})


def read_reset_token(token: str) -> tuple[int, str]:
    data = _load(RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    return int(data.get("u", 0)), str(data.get("p", ""))
