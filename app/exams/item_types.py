"""The five item types: what a key holds, what an answer looks like, and how it is scored.

Pure functions, no database. A key (ItemVersion.key, JSON) per type:
- single, true_false: a choice id, "b" (true/false items have the choices "t" and "f");
- multiple: the right choice ids, ["a", "c"];
- numeric: accepted values with their tolerance, [{"value": "3.14", "tolerance": "0.01"}];
- text: accepted answers, ["กรุงเทพมหานคร", "กทม"], compared after `normalise_text`.

A stored answer (AttemptAnswer.choice) is one string in a canonical form per type: a choice id,
choice ids sorted and joined by commas ("a,c"), a number as typed with Thai digits made Arabic,
or a text in Unicode NFC with its spaces collapsed. docs/realtime.md documents the payloads.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..common.i18n import labeller

SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, TEXT = "single", "multiple", "true_false", "numeric", "text"
TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, TEXT)
CHOICE_TYPES = (SINGLE, MULTIPLE, TRUE_FALSE)
ALL_OR_NOTHING, PARTIAL = "all_or_nothing", "partial"
MULTIPLE_SCORING = (ALL_OR_NOTHING, PARTIAL)
# A true/false item's choices, always in this order.
TRUE_FALSE_CHOICES = [{"id": "t", "th": "ถูก", "en": "True"}, {"id": "f", "th": "ผิด", "en": "False"}]
ANSWER_MAX = 200  # characters of a numeric or text answer (the column holds 400)
DEFAULT_TOLERANCE = Decimal("0")

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


TYPE_LABELS = {
    SINGLE: lambda: _("Single choice"),
    MULTIPLE: lambda: _("Multiple response"),
    TRUE_FALSE: lambda: _("True or false"),
    NUMERIC: lambda: _("Numeric entry"),
    TEXT: lambda: _("Short text entry"),
}
type_label = labeller(TYPE_LABELS)


class AnswerRefused(ValueError):
    """An answer that does not fit its item; `field` names the payload's field, `code` the
    refusal (docs/realtime.md): bad_answer, or too_many_choices."""

    def __init__(self, message: str, field: str, code: str = "bad_answer"):
        super().__init__(message)
        self.field = field
        self.code = code


TOO_MANY_CHOICES = "too_many_choices"


# ---- normalising ---------------------------------------------------------------------------
def normalise_text(text: str) -> str:
    """How a typed text is compared: Unicode NFC, Thai digits as Arabic, runs of spaces as one,
    no spaces at the ends, case folded (for Latin letters; Thai has no case)."""
    text = unicodedata.normalize("NFC", text or "").translate(_THAI_DIGITS)
    return _SPACES.sub(" ", text).strip().casefold()


def shown_text(text: str) -> str:
    """A typed text as it is stored and shown back: NFC, spaces collapsed, ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def parse_number(text) -> Decimal | None:
    """A number typed by a person: Thai or Arabic digits, a point for decimals, spaces and a
    thousands comma ignored ("1,250.5"); None when it is not a number."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        text = repr(text) if isinstance(text, float) else str(text)
    if not isinstance(text, str):
        return None
    cleaned = unicodedata.normalize("NFKC", text).translate(_THAI_DIGITS).replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    if not _NUMBER.match(cleaned):
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number_text(number: Decimal) -> str:
    """A Decimal as people write it: 3.14, 12 (not 1.2E+1, not 12.000)."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- answers -------------------------------------------------------------------------------
def answer_from_payload(
    item_type: str, choice_ids: list[str], data: dict, max_choices: int | None = None
) -> str | None:
    """The canonical stored answer from an `answer` event's payload, or None to clear it.

    Raises AnswerRefused naming the field when the payload does not fit the item's type, and
    (code too_many_choices) when a multiple-response answer has more than `max_choices`."""
    if item_type in (SINGLE, TRUE_FALSE):
        choice = data.get("choice")
        if choice is None:
            return None
        if not isinstance(choice, str) or choice not in choice_ids:
            raise AnswerRefused(_("That choice is not one of this question's."), "choice")
        return choice
    if item_type == MULTIPLE:
        chosen = data.get("choices")
        if chosen is None:
            return None
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise AnswerRefused(_("Send the chosen choices as a list of choice ids."), "choices")
        if any(c not in choice_ids for c in chosen):
            raise AnswerRefused(_("That choice is not one of this question's."), "choices")
        if len(set(chosen)) != len(chosen):
            raise AnswerRefused(_("A choice is listed twice."), "choices")
        if max_choices and len(chosen) > max_choices:
            raise AnswerRefused(
                _("Choose at most %(n)d answers for this question.", n=max_choices),
                "choices",
                TOO_MANY_CHOICES,
            )
        return ",".join(sorted(chosen)) or None
    if item_type == NUMERIC:
        value = data.get("value")
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and len(value) > ANSWER_MAX:
            raise AnswerRefused(_("The answer is too long."), "value")
        number = parse_number(value)
        if number is None:
            raise AnswerRefused(_("Type a number, e.g. 12 or 3.5."), "value")
        return number_text(number)
    if item_type == TEXT:
        value = data.get("text")
        if value is None:
            return None
        if not isinstance(value, str):
            raise AnswerRefused(_("Send the answer as text."), "text")
        value = shown_text(value)
        if len(value) > ANSWER_MAX:
            raise AnswerRefused(_("The answer is too long."), "text")
        return value or None
    raise AnswerRefused(_("This question's type is not known."), "index")


def payload_field(item_type: str) -> str:
    """The field of the `answer` event that carries an answer of this type."""
    return {MULTIPLE: "choices", NUMERIC: "value", TEXT: "text"}.get(item_type, "choice")


def answer_value(item_type: str, stored: str | None):
    """A stored answer in the shape the page uses: a list of ids for multiple, else the text."""
    if stored is None:
        return None
    if item_type == MULTIPLE:
        return [c for c in stored.split(",") if c]
    return stored


def choice_limit_hint(min_choices: int | None, max_choices: int | None) -> str:
    """What the test page says about how many choices a multiple-response item takes (a
    minimum of one says nothing: an answer has at least one)."""
    min_choices = min_choices if min_choices and min_choices > 1 else None
    if min_choices and max_choices and min_choices == max_choices:
        return _("Choose exactly %(n)d answers.", n=max_choices)
    if min_choices and max_choices:
        return _("Choose from %(min)d to %(max)d answers.", min=min_choices, max=max_choices)
    if max_choices:
        return _("Choose up to %(n)d answers.", n=max_choices)
    if min_choices:
        return _("Choose at least %(n)d answers.", n=min_choices)
    return ""


# ---- keys and scoring ----------------------------------------------------------------------
def credit(item_type: str, key, stored: str | None, scoring: str = ALL_OR_NOTHING) -> Decimal:
    """The share of the item's points an answer earns, from 0 to 1.

    Multiple response with partial credit: (right ids chosen - wrong ids chosen) / right ids,
    never below 0; all-or-nothing gives 1 only for exactly the right set."""
    if stored is None:
        return Decimal(0)
    if item_type in (SINGLE, TRUE_FALSE):
        return Decimal(1) if stored == key else Decimal(0)
    if item_type == MULTIPLE:
        right, chosen = set(key or []), {c for c in stored.split(",") if c}
        if not right:
            return Decimal(0)
        if scoring == PARTIAL:
            share = Decimal(len(chosen & right) - len(chosen - right)) / Decimal(len(right))
            return max(Decimal(0), share)
        return Decimal(1) if chosen == right else Decimal(0)
    if item_type == NUMERIC:
        number = parse_number(stored)
        if number is None:
            return Decimal(0)
        for accepted in key or []:
            value = Decimal(str(accepted["value"]))
            tolerance = Decimal(str(accepted.get("tolerance") or 0))
            if abs(number - value) <= tolerance:
                return Decimal(1)
        return Decimal(0)
    if item_type == TEXT:
        given = normalise_text(stored)
        return Decimal(1) if any(given == normalise_text(a) for a in key or []) else Decimal(0)
    return Decimal(0)


def is_correct(item_type: str, key, stored: str | None, scoring: str = ALL_OR_NOTHING) -> bool:
    return credit(item_type, key, stored, scoring) == 1


def key_shown(item_type: str, key, choice_label=None) -> str:
    """The key in words for HR (the preview, the item analysis): "b", "a, c", "3.14 ± 0.01"."""
    label = choice_label or (lambda cid: cid)
    if item_type in (SINGLE, TRUE_FALSE):
        return label(key)
    if item_type == MULTIPLE:
        return ", ".join(label(c) for c in key or [])
    if item_type == NUMERIC:
        parts = []
        for accepted in key or []:
            tolerance = Decimal(str(accepted.get("tolerance") or 0))
            value = number_text(Decimal(str(accepted["value"])))
            parts.append(f"{value} ± {number_text(tolerance)}" if tolerance else value)
        return " | ".join(parts)
    if item_type == TEXT:
        return " | ".join(key or [])
    return str(key)


def grouped_answer(item_type: str, stored: str) -> str:
    """What counts as "the same answer" in the item analysis of a numeric or text item."""
    if item_type == TEXT:
        return normalise_text(stored)
    if item_type == NUMERIC:
        number = parse_number(stored)
        return number_text(number) if number is not None else stored
    return stored
