"""Thai display conventions: Buddhist Era dates and Thai month names, Bangkok time."""

from __future__ import annotations

from datetime import date, datetime

from .clock import BANGKOK

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


def be_year(d: date) -> int:
    return d.year + BE_OFFSET


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
