"""Calendar arithmetic (app/common/dates.py): validity periods N years on, 29 February included,
and the "valid for N years" reading of a list's dates on its announcement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.common.clock import BANGKOK
from app.common.dates import add_years, years_later

DAYS = st.dates(min_value=date(1950, 1, 1), max_value=date(2400, 12, 31))


def test_twenty_ninth_of_february_ends_on_the_twenty_eighth_in_a_common_year():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)  # a leap year again
    assert add_years(date(2028, 2, 29), -1) == date(2027, 2, 28)
    assert add_years(date(2025, 2, 28), 3) == date(2028, 2, 28)  # never moved to the 29th


def test_a_datetime_keeps_its_time_and_time_zone():
    issued = datetime(2024, 2, 29, 23, 30, tzinfo=BANGKOK)
    later = add_years(issued, 2)
    assert later == datetime(2026, 2, 28, 23, 30, tzinfo=BANGKOK) and later.tzinfo is BANGKOK
    utc = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)
    assert add_years(utc, 2) == datetime(2028, 12, 6, 1, 2, 3, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(DAYS, st.integers(min_value=-30, max_value=30))
def test_property_the_same_day_n_years_on_as_the_rule_always_read(day, years):
    """What the three hand-written copies did (replace the year; 29 February → 28th)."""
    try:
        expected = day.replace(year=day.year + years)
    except ValueError:
        expected = day.replace(year=day.year + years, day=28)
    assert add_years(day, years) == expected


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=1, max_value=10))
def test_property_the_announcement_reads_n_years_from_either_way_of_writing_the_end(start, n):
    end = add_years(start, n)
    assert years_later(start, end) == n
    assert years_later(start, end - timedelta(days=1)) == n  # "until the day before"
    assert years_later(start, end + timedelta(days=1)) is None


def test_years_later_needs_both_dates_and_a_whole_number_of_years():
    assert years_later(None, date(2026, 1, 1)) is None
    assert years_later(date(2026, 1, 1), None) is None
    assert years_later(date(2026, 1, 1), date(2026, 7, 1)) is None
    assert years_later(date(2026, 1, 1), date(2038, 1, 1)) is None  # beyond ten years
    assert years_later(date(2024, 2, 29), date(2026, 2, 28)) == 2
    assert years_later(date(2024, 2, 29), date(2026, 2, 27)) == 2  # the day before the end
