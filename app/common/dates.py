"""Calendar arithmetic: the same day N years later (validity periods), with python-dateutil.

29 February: N years after 29 February is 28 February when the target year is a common year
(relativedelta keeps the month and clips the day to its last), so a list or certificate dated 29
February 2024 with 1 year of validity ends on 28 February 2025, never on 1 March. Ages (full
years between a birth date and a day, `recruitment.eligibility.full_years`) follow the other
convention on purpose: someone born on 29 February turns a year older on 1 March in a common year.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from dateutil.relativedelta import relativedelta

D = TypeVar("D", date, datetime)


def add_years(value: D, years: int) -> D:
    """The same day and time `years` later (earlier if negative); 29 February → 28 February in a
    common year. Keeps a datetime's time and time zone."""
    return value + relativedelta(years=years)


def years_later(start: date | None, end: date | None, *, at_most: int = 10) -> int | None:
    """N (1..at_most) when `end` is N years after `start` or the day before it ("valid for N
    years", however the end is written); otherwise None."""
    if not start or not end:
        return None
    for n in range(1, at_most + 1):
        anniversary = add_years(start, n)
        if end in (anniversary, anniversary - relativedelta(days=1)):
            return n
    return None
