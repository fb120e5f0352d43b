"""Loading one row by its id for a service: the row, or NotFound with a message a user can read."""

from __future__ import annotations

from typing import TypeVar

from ..extensions import db
from .errors import NotFound

T = TypeVar("T")


def get_or_not_found(model: type[T], ident, message: str) -> T:
    found = db.session.get(model, ident)
    if found is None:
        raise NotFound(message)
    return found
