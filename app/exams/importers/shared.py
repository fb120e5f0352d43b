"""What the format importers share: where items go (Defaults), the item-file mapping they
build (as_item), codes from titles and identifiers, and the start of a load."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..bank_files import Limits, LoadedBank
from ..bank_format import BankError, import_option_errors
from ..bank_messages import N_

THAI = re.compile(r"[\u0E00-\u0E7F]")
DEFAULT_DIFFICULTY = "medium"
DEFAULT_TOPIC = "general"


@dataclass
class Defaults:
    """What QTI and GIFT do not carry: the caller says where the items go."""

    bank: str
    section: str
    difficulty: str = DEFAULT_DIFFICULTY
    topic: str = DEFAULT_TOPIC


def check_defaults(defaults: Defaults, loaded) -> bool:
    """The options given for a QTI or GIFT import follow the same rules as an item file."""
    errors = import_option_errors(
        {
            "bank": defaults.bank,
            "section": defaults.section,
            "topic": defaults.topic,
            "difficulty": defaults.difficulty,
        }
    )
    loaded.errors.extend(errors)
    return not errors


def language_of(text: str, declared: str | None = None) -> str:
    """th or en: the declared language (xml:lang) if any, else th when the text has Thai letters."""
    if declared:
        return "th" if declared.lower().split("-")[0] == "th" else "en"
    return "th" if THAI.search(text or "") else "en"


def normalise(text: str) -> str:
    """Collapse runs of spaces and tabs, keep line breaks, drop empty lines."""
    lines = (" ".join(line.split()) for line in (text or "").splitlines())
    return "\n".join(line for line in lines if line)


def item_code(name: str, fallback_prefix: str, fallback_seed: str) -> str:
    """An item id ([A-Z0-9-], at most 40) from a title or identifier, stable across re-imports.

    A name without a Latin letter (e.g. a Thai title) gets a short hash of the seed instead.
    """
    code = re.sub(r"[^A-Z0-9]+", "-", (name or "").upper()).strip("-")
    if not re.search(r"[A-Z]", code):
        digest = hashlib.sha1(fallback_seed.encode("utf-8")).hexdigest()[:8].upper()
        return f"{fallback_prefix}-{digest}"
    if len(code) > 40:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
        code = code[:31].rstrip("-") + "-" + digest
    return code


def topic_code(name: str) -> str:
    """A topic code ([a-z0-9-], at most 60) from a category name; "" if it has no Latin letters."""
    return re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")[:60].strip("-")


def file_prefix(path) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", Path(path).stem.upper()).strip("-")[:20].strip("-") or "Q"


def choice_ids(count: int) -> list[str]:
    return [chr(ord("a") + i) for i in range(count)]


def as_item(
    *,
    code: str,
    topic: str,
    difficulty: str,
    lang: str,
    stem: str,
    choices: list[str] | None = None,
    key_index: int | None = None,
    fixed_order: bool = False,
    explanation: str = "",
    item_type: str = "single",
    key=None,
    min_choices: int | None = None,
    max_choices: int | None = None,
) -> dict:
    """The item-file mapping for a one-language question; choices get ids a, b, c, ...

    A single-choice item gives `key_index`; the other types give `key` in the item file's
    shape (a list of ids, true/false, {value, tolerance}, accepted texts)."""
    ids = choice_ids(len(choices or []))
    if item_type == "single" and key_index is not None:
        key = ids[key_index] if key_index is not None and 0 <= key_index < len(ids) else None
    raw = {
        "id": code,
        "type": item_type,
        "topic": topic,
        "difficulty": difficulty,
        "stem": {lang: stem},
        "key": key,
        "fixed_order": fixed_order,
        **({"explanation": {lang: explanation}} if explanation else {}),
    }
    if min_choices:
        raw["min_choices"] = min_choices
    if max_choices:
        raw["max_choices"] = max_choices
    if item_type in ("single", "multiple"):
        raw["choices"] = [{"id": cid, lang: text} for cid, text in zip(ids, choices or [])]
    return raw


def start_load(path, defaults: Defaults, bounds: Limits | None = None) -> tuple[LoadedBank, Path | None]:
    """A fresh result and the path to read, or None (with the error recorded) if it cannot be."""
    loaded = LoadedBank(limits=bounds or Limits())
    if not check_defaults(defaults, loaded):
        return loaded, None
    root = Path(path)
    if not root.exists():
        loaded.errors.append(BankError(str(path), N_("no such file or folder")))
        return loaded, None
    return loaded, root
