"""Importers of other question formats (IMS QTI 2.1, Moodle GIFT) into the bank's item shape.

Each importer turns a question into the same mapping an item file holds and passes it through
`bank_files.item_from_dict`, so an imported item obeys every rule of FORMAT.md. Questions that
are not single-answer multiple choice are not dropped silently: they are listed as skipped,
with the reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..bank_files import LoadedBank, load_path
from ..bank_format import BankError, import_option_errors

FORMATS = ("yaml", "qti", "gift")
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


SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".xml": "qti", ".zip": "qti", ".gift": "gift", ".txt": "gift"}


def detect_format(path) -> str:
    """From the name: .yaml/.yml yaml, .xml/.zip qti, .gift/.txt gift; a folder by what it
    holds, YAML first."""
    path = Path(path)
    if path.is_dir():
        found = {SUFFIXES.get(p.suffix.lower()) for p in path.rglob("*") if p.is_file()}
        return next((fmt for fmt in FORMATS if fmt in found), "yaml")
    return SUFFIXES.get(path.suffix.lower(), "yaml")


def load_source(path, fmt: str | None = None, defaults: Defaults | None = None):
    """Read PATH in the given format (guessed from the name when None) into a LoadedBank."""
    fmt = fmt or detect_format(path)
    if fmt == "yaml":
        return load_path(path)
    if defaults is None:
        raise ValueError(f"{fmt} import needs a bank and a section")
    if fmt == "qti":
        from .qti import load_qti

        return load_qti(path, defaults)
    if fmt == "gift":
        from .gift import load_gift

        return load_gift(path, defaults)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


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


def as_item(
    *,
    code: str,
    topic: str,
    difficulty: str,
    lang: str,
    stem: str,
    choices: list[str],
    key_index: int,
    fixed_order: bool = False,
    explanation: str = "",
) -> dict:
    """The item-file mapping for a one-language question; choices get ids a, b, c, ..."""
    ids = [chr(ord("a") + i) for i in range(len(choices))]
    return {
        "id": code,
        "topic": topic,
        "difficulty": difficulty,
        "stem": {lang: stem},
        "choices": [{"id": cid, lang: text} for cid, text in zip(ids, choices)],
        "key": ids[key_index] if 0 <= key_index < len(ids) else None,
        "fixed_order": fixed_order,
        **({"explanation": {lang: explanation}} if explanation else {}),
    }


def start_load(path, defaults: Defaults) -> tuple[LoadedBank, Path | None]:
    """A fresh result and the path to read, or None (with the error recorded) if it cannot be."""
    loaded = LoadedBank()
    if not check_defaults(defaults, loaded):
        return loaded, None
    root = Path(path)
    if not root.exists():
        loaded.errors.append(BankError(str(path), "no such file or folder"))
        return loaded, None
    return loaded, root
