"""The scheduler's `hold-expiry` job (app/jobs_runner.py): release lapsed seat holds and the seats
of applications withdrawn or rejected since they booked."""

from __future__ import annotations

from .holds import release_expired_holds


def expire_holds() -> dict:
    return release_expired_holds()
