"""Thai display conventions: Buddhist Era dates and Thai month names, Bangkok time."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TypeVar

from .clock import BANGKOK

D = TypeVar("D", date, datetime)

MONTHS_TH = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]
MONTHS_TH_SHORT = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
BE_OFFSET = 543
# A typed year above this is a Buddhist Era year (2400 B.E. is 1857 C.E.: nobody alive, no round).
BE_YEARS_FROM = 2400
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def be_year(d: date) -> int:
    return d.year + BE_OFFSET


def common_era_year(year: int) -> int:
    """The Christian Era year of a year as people type it: B.E. (2539) or C.E. (1996)."""
    return year - BE_OFFSET if year > BE_YEARS_FROM else year


def parse_date(text: str) -> date:
    """A date as people type it: day/month/year (15/1/2539, 15.01.1996, 15-01-2539) or the
    browser's year-month-day (2539-01-15, 1996-01-15); a year above 2400 is Buddhist Era.
    Raises ValueError when it is not a real date."""
    text = (text or "").strip()
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _YMD.match(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise ValueError(text)
    return date(common_era_year(year), month, day)


def in_common_era(value: D) -> D:
    """A date or datetime a browser's picker gave with a B.E. year typed into it, in C.E.
    (29 February of a B.E. leap year cannot reach here: the picker refuses it as C.E.)."""
    if value is not None and value.year > BE_YEARS_FROM:
        return value.replace(year=value.year - BE_OFFSET)
    return value


def typed_date(value: date | None, locale: str = "th") -> str:
    """How a date is written back into a text field: 15/01/2539 in Thai, 15/01/1996 in English."""
    if value is None:
        return ""
    year = be_year(value) if locale == "th" else value.year
    return f"{value.day:02d}/{value.month:02d}/{year}"


def format_date(value: date | datetime | None, locale: str = "th", short: bool = False) -> str:
    """ "25 พฤศจิกายน 2569" in Thai, "25 November 2026" in English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BANGKOK).date() if value.tzinfo else value.date()
    if locale == "th":
        months = MONTHS_TH_SHORT if short else MONTHS_TH
        return f"{value.day} {months[value.month - 1]} {be_year(value)}"
    month = MONTHS_EN[value.month - 1]
    return f"{value.day} {month[:3] if short else month} {value.year}"


def format_datetime(value: datetime | None, locale: str = "th", short: bool = False) -> str:
    """Date as above plus the Bangkok time: "25 พ.ย. 2569 09:30 น."."""
    if value is None:
        return ""
    local = value.astimezone(BANGKOK) if value.tzinfo else value
    time = local.strftime("%H:%M")
    return (
        f"{format_date(local, locale, short)} {time} น."
        if locale == "th"
        else f"{format_date(local, locale, short)}, {time}"
    )
