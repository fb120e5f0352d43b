"""Thai national ID numbers: 13 digits, the last a check digit."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s\-]")


def normalize(value: str | None) -> str:
    """Strip the spaces and dashes people type ("1-2345-67890-12-1")."""
    return _NON_DIGITS.sub("", value or "")


def check_digit(first12: str) -> int:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid(value: str | None) -> bool:
    digits = normalize(value)
    if len(digits) != 13 or not digits.isdigit():
        return False
    return check_digit(digits[:12]) == int(digits[12])


def complete(first12: str) -> str:
    """The valid 13-digit number for 12 given digits (demo data and tests)."""
    return first12 + str(check_digit(first12))


def formatted(value: str) -> str:
    d = normalize(value)
    return f"{d[0]}-{d[1:5]}-{d[5:10]}-{d[10:12]}-{d[12]}" if len(d) == 13 else d


def masked(value: str | None) -> str:
    """Only the last four digits show: X-XXXX-XXXX1-23-4."""
    d = normalize(value)
    if len(d) != 13:
        return ""
    return formatted("X" * 9 + d[9:])
