"""The one source of "now" (UTC, timezone-aware); tests may pin it with `frozen_at`."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def today_bangkok() -> date:
    return now().astimezone(BANGKOK).date()


def set_now(value: datetime | None) -> None:
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("set_now needs a timezone-aware datetime")
    _frozen = value


@contextmanager
def frozen_at(value: datetime):
    previous = _frozen
    set_now(value)
    try:
        yield
    finally:
        set_now(previous)


def to_utc(value: datetime) -> datetime:
    """Naive values are read as Bangkok local time (what people type into forms)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BANGKOK)
    return value.astimezone(UTC)
