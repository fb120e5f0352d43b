"""Domain errors: raised by services with a message a user can read.

Views turn them into a flash message or an HTTP 4xx; socket handlers into `{ok: false}`.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 422
    code = "invalid"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        data = {"ok": False, "error": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        return data


class ValidationFailed(DomainError):
    code = "validation_failed"


class NotAllowed(DomainError):
    """The object's state forbids the action (e.g. applying after the round closed)."""

    status_code = 409
    code = "not_allowed"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class SessionEnded(DomainError):
    """The login this request or connection presents has ended (logged out elsewhere, a
    password or role change, ...): log in again."""

    status_code = 401
    code = "unauthorized"
