"""Small reads every service writes the same way: one row by its id (or NotFound with a message a
user can read), and how many rows have each value of a column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import func, select

from ..extensions import db
from .errors import NotFound

T = TypeVar("T")


def get_or_not_found(model: type[T], ident, message: str) -> T:
    found = db.session.get(model, ident)
    if found is None:
        raise NotFound(message)
    return found


def count_by(column, values: Iterable[str]) -> dict[str, int]:
    """How many rows have each of `values` in `column` (0 for a value no row has)."""
    rows = db.session.execute(select(column, func.count()).group_by(column))
    counts = dict.fromkeys(values, 0)
    counts.update(rows.all())  # (value, n) pairs (a Result has keys(): not a mapping)
    return counts
