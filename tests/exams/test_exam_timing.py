"""The pure rules of time, property-tested: what counts as time a candidate lost disconnected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.exams.timing import lost_seconds

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
offsets = st.integers(min_value=0, max_value=4 * 3600)


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@given(offsets, offsets, offsets, offsets)
def test_lost_time_lies_within_the_disconnection_and_the_test(away, start, deadline, at):
    lost = lost_seconds(_at(away), _at(start), _at(deadline), _at(at))
    assert 0 <= lost <= max(0, min(at, deadline) - max(away, start))


@given(offsets, offsets, offsets, offsets)
def test_a_pause_under_way_takes_its_length_off_the_lost_time(away, start, paused, at):
    whole = lost_seconds(_at(away), _at(start), None, _at(at))
    during_pause = lost_seconds(_at(max(away, start, paused)), _at(start), None, _at(at))
    assert lost_seconds(_at(away), _at(start), None, _at(at), _at(paused)) == whole - during_pause


@given(offsets, offsets, offsets)
def test_away_only_during_the_pause_loses_nothing(paused, away_after_pause, at):
    away = paused + away_after_pause
    assert lost_seconds(_at(away), T0, None, _at(away + at), _at(paused)) == 0


def test_no_disconnection_or_no_start_loses_nothing():
    assert lost_seconds(None, T0, None, _at(60)) == 0
    assert lost_seconds(T0, None, None, _at(60)) == 0
