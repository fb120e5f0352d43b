"""Thai QR Payment payloads (EMVCo merchant-presented mode, BOT/TBA rules) and payment references.

No package builds the Bill Payment tag 30 that carries a reference to the payee, so the payload
is built here: ID (2 digits) + length (2 digits) + value, templates nested alike, the CRC-16/CCITT
(polynomial 0x1021, initial 0xFFFF) over everything including "6304" last. Pure functions: the
published example payloads in docs/booking-and-fees.md pin them (tests/payments/test_thaiqr.py).
"""

from __future__ import annotations

import binascii
import re
from decimal import Decimal

BILL_PAYMENT_AID = "A000000677010112"  # PromptPay cross-bank bill payment (tag 30, sub-tag 00)
CREDIT_TRANSFER_AID = "A000000677010111"  # PromptPay credit transfer (tag 29), for parsing only
CURRENCY_THB = "764"
COUNTRY = "TH"
STATIC, DYNAMIC = "11", "12"  # reusable code / one payment of a given amount
REFERENCE_MAX = 20
_REF = re.compile(r"^[A-Z0-9]{1,20}$")


class PayloadError(ValueError):
    """A payload that cannot be built or read (a developer's or a configuration mistake)."""


def tlv(tag: str, value: str) -> str:
    """One data object: the tag, the value's length in two digits, the value."""
    if len(tag) != 2 or not tag.isdigit():
        raise PayloadError(f"tag {tag!r} is not two digits")
    if not 0 < len(value) < 100:
        raise PayloadError(f"tag {tag}: a value of {len(value)} characters does not fit")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of the payload text, as four uppercase hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def with_crc(body: str) -> str:
    """The payload `body` (every object but the CRC) closed by tag 63 and its checksum."""
    head = body + "6304"
    return head + crc16(head)


def amount_text(amount: Decimal | str | int) -> str:
    """Baht with two decimals, as tag 54 carries it ("100.00")."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    if value <= 0:
        raise PayloadError("the amount must be positive")
    return f"{value:.2f}"


def bill_payment_payload(
    biller_id: str,
    ref1: str,
    ref2: str = "",
    amount: Decimal | str | int | None = None,
    *,
    order: tuple[str, ...] = ("53", "54", "58"),
) -> str:
    """A PromptPay bill-payment payload: tag 30 with the biller ID (15 digits: tax ID + suffix
    the bank assigned), ref1 and optional ref2; dynamic with the amount, static without.

    `order` is the order of currency, amount and country after tag 30 (the specification
    allows any order; the checksum depends on it, and the published examples use several)."""
    if not re.fullmatch(r"\d{15}", biller_id or ""):
        raise PayloadError("the biller ID is 15 digits (PAYMENT_BILLER_ID)")
    for name, ref in (("ref1", ref1), ("ref2", ref2)):
        if ref and not _REF.match(ref):
            raise PayloadError(f"{name} is 1 to 20 characters A-Z and 0-9")
    if not ref1:
        raise PayloadError("ref1 is required")
    merchant = tlv("00", BILL_PAYMENT_AID) + tlv("01", biller_id) + tlv("02", ref1)
    if ref2:
        merchant += tlv("03", ref2)
    parts = {"53": tlv("53", CURRENCY_THB), "58": tlv("58", COUNTRY)}
    if amount is not None:
        parts["54"] = tlv("54", amount_text(amount))
    body = tlv("00", "01") + tlv("01", DYNAMIC if amount is not None else STATIC) + tlv("30", merchant)
    body += "".join(parts[tag] for tag in order if tag in parts)
    return with_crc(body)


def parse(payload: str) -> dict[str, str | dict]:
    """The payload's objects by tag (templates 26-51 and 62 parsed into their own dicts), after
    checking the CRC. Raises PayloadError on a malformed payload or a wrong checksum."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise PayloadError("the payload does not end with its CRC (tag 63)")
    if crc16(payload[:-4]) != payload[-4:].upper():
        raise PayloadError("the CRC does not match")
    return _objects(payload[:-8], template=False)


def _objects(text: str, template: bool) -> dict:
    out: dict = {}
    i = 0
    while i < len(text):
        if i + 4 > len(text):
            raise PayloadError(f"truncated object at {i}")
        tag, size = text[i : i + 2], text[i + 2 : i + 4]
        if not (tag.isdigit() and size.isdigit()):
            raise PayloadError(f"malformed object at {i}")
        value = text[i + 4 : i + 4 + int(size)]
        if len(value) != int(size):
            raise PayloadError(f"tag {tag} is shorter than its length")
        if tag in out:
            raise PayloadError(f"tag {tag} appears twice")
        nested = not template and (26 <= int(tag) <= 51 or tag == "62")
        out[tag] = _objects(value, template=True) if nested else value
        i += 4 + int(size)
    return out


# ---- references --------------------------------------------------------------------------------


def check_digit(base: str) -> str:
    """A mod-10 check digit over A-Z0-9 (Luhn on each character's value 0-35): one mistyped
    character or two swapped neighbours give another digit, so a typo does not pay someone else."""
    total = 0
    for i, ch in enumerate(reversed(base)):
        value = int(ch, 36)
        if i % 2 == 0:
            value *= 2
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def reference_of(application_number: str, application_id: int) -> str:
    """ref1 of an application: its number in capitals and digits with a check digit (at most 20
    characters); a number too long for that falls back to "A" + the application's id."""
    base = re.sub(r"[^A-Z0-9]", "", application_number.upper())
    if not base or len(base) > REFERENCE_MAX - 1:
        base = f"A{application_id:010d}"
    return base + check_digit(base)


def is_reference(text: str) -> bool:
    """Is `text` a reference this module issued (the right shape and check digit)?"""
    return bool(_REF.match(text or "")) and len(text) >= 2 and check_digit(text[:-1]) == text[-1]


def normalise_reference(text: str) -> str:
    """A reference as a bank file or a person may write it: spaces and dashes gone, capitals."""
    return re.sub(r"[\s\-]", "", (text or "")).upper()


def round_reference(round_code: str) -> str:
    """ref2: the round's code in capitals and digits, cut to 20 characters."""
    return re.sub(r"[^A-Z0-9]", "", round_code.upper())[:REFERENCE_MAX] or "BMA"
