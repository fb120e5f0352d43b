"""The rules of the bank format (exam_bank/FORMAT.md), and the errors that break them.

`Checker` collects the errors of one item or blueprint, each naming the file, the item and the
field, and the line when the file is YAML; the checks of choices, sections and draws live here,
and `check_bank` applies the rules across files (unique ids, blueprints the bank can fill).
Reading (bank_files) calls these as it builds items and blueprints; nothing here touches the
database.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .bank_files import BankItem, Blueprint, LoadedBank

LANGS = ("th", "en")
BANDS = ("easy", "medium", "hard")
POLICIES = ("immediate", "after_publication")
MIN_CHOICES, MAX_CHOICES = 2, 6
DEFAULT_PASS_PERCENT = 60
DEFAULT_POLICY = "after_publication"
MAX_DURATION = 600

# (pattern, longest allowed): the lengths are those of the database columns.
BANK_CODE = (re.compile(r"[a-z0-9-]+"), 60)
SECTION_CODE = (re.compile(r"[a-z0-9_]+"), 40)
TOPIC_CODE = (re.compile(r"[a-z0-9-]+"), 60)
ITEM_ID = (re.compile(r"[A-Z0-9-]+"), 40)
CHOICE_ID = (re.compile(r"[a-z]"), 1)
EXAM_CODE = (re.compile(r"[a-z0-9-]+"), 60)
PATTERN_WORDS = {
    BANK_CODE[0].pattern: "lower-case letters a-z, digits and -",
    SECTION_CODE[0].pattern: "lower-case letters a-z, digits and _",
    ITEM_ID[0].pattern: "capital letters A-Z, digits and -",
    CHOICE_ID[0].pattern: "one lower-case letter a-z",
}

ITEM_FILE_FIELDS = ("kind", "bank", "section", "items")
ITEM_FIELDS = ("id", "section", "topic", "difficulty", "stem", "choices", "key", "fixed_order",
               "explanation")
CHOICE_FIELDS = ("id", *LANGS)
BLUEPRINT_FIELDS = ("kind", "code", "bank", "title", "duration_minutes", "pass_percent",
                    "results_policy", "shuffle_items", "shuffle_choices", "sections")
SECTION_FIELDS = ("code", "title", "points_per_item", "time_limit_minutes", "draw")
TITLE_MAX = 300


# ---- errors and how they are checked -------------------------------------------------------
@dataclass
class BankError:
    """One problem, e.g. `bank/a.yaml: item AN-007: key: "e" is not one of ... (line 57)`."""

    file: str
    message: str
    ref: str = ""      # "item AN-007", "blueprint part-a-demo"
    field: str = ""    # "key", "choices[b].th", "sections[analytical].draw.hard"
    line: int | None = None

    def __str__(self) -> str:
        parts = [self.file] + [p for p in (self.ref, self.field) if p] + [self.message]
        text_ = ": ".join(parts)
        return f"{text_} (line {self.line})" if self.line else text_


def line_of(data, key=None) -> int | None:
    """The line of `key` in a mapping read from YAML, else of the mapping (None if not YAML)."""
    lines = getattr(data, "lines", None) or {}
    return lines.get(key) or getattr(data, "line", None)


class Checker:
    """Collects errors for one object (an item, a blueprint) of one file."""

    def __init__(self, loaded: LoadedBank, file: str, ref: str = "", line: int | None = None):
        self.loaded, self.file, self.ref, self.line = loaded, file, ref, line
        self.count = 0

    def error(self, field_: str, message: str, line: int | None = None) -> None:
        self.count += 1
        self.loaded.errors.append(BankError(self.file, message, self.ref, field_,
                                            line or self.line))

    def unknown(self, data: dict, allowed: tuple, prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.error(f"{prefix}{key}", "unknown field (allowed: " + ", ".join(allowed) + ")",
                           line_of(data, key))

    def code(self, data: dict, key: str, rule: tuple, required: bool = True,
             prefix: str = "") -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(prefix + key, "required", line_of(data))
            return None
        pattern, longest = rule
        if not isinstance(value, str) or not pattern.fullmatch(value):
            words = PATTERN_WORDS.get(pattern.pattern, pattern.pattern)
            hint = " (put it in quotes)" if not isinstance(value, str) else ""
            self.error(prefix + key, f"{shown(value)} must be {words}{hint}",
                       line_of(data, key))
            return None
        if len(value) > longest:
            self.error(prefix + key, f"{shown(value)} is longer than {longest} characters",
                       line_of(data, key))
            return None
        return value

    def flag(self, data: dict, key: str, default: bool, prefix: str = "") -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(prefix + key, f"{shown(value)} must be true or false",
                       line_of(data, key))
            return default
        return value

    def whole(self, data: dict, key: str, low: int, high: int, default=None, prefix: str = ""):
        value = data.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(prefix + key, f"{shown(value)} must be a whole number from {low} to {high}",
                       line_of(data, key))
            return None
        return value

    def texts(self, data: dict, key: str, required: bool, prefix: str = "",
              max_len: int | None = None) -> dict | None:
        """A {th, en} mapping of text; returns both languages ("" when absent)."""
        value = data.get(key)
        name = prefix + key
        line = line_of(data, key)
        if value is None:
            if required:
                self.error(name, "required: a mapping with th and/or en text", line)
            return None if required else {"th": "", "en": ""}
        if not isinstance(value, dict):
            self.error(name, "must be a mapping with th and/or en text, e.g. {th: \"...\"}", line)
            return None
        self.unknown(value, LANGS, name + ".")
        result = {}
        for lang in LANGS:
            result[lang] = self.text(value, lang, f"{name}.{lang}", line, max_len)
        if None in result.values():
            return None
        if required and not any(result.values()):
            self.error(name, "needs text in th or en", line)
            return None
        return result

    def text(self, data: dict, key: str, name: str, line: int | None,
             max_len: int | None = None) -> str | None:
        value = data.get(key, "")
        line = line_of(data, key) if getattr(data, "lines", None) else line
        if value is None:
            value = ""
        if not isinstance(value, str):
            # YAML reads 010 as 8, 1.50 as 1.5 and yes as true: only quoted text is safe.
            self.error(name, f"{shown(value)} must be text (put it in quotes)", line)
            return None
        value = value.strip()
        if max_len and len(value) > max_len:
            self.error(name, f"longer than {max_len} characters", line)
            return None
        return value


def shown(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


# ---- parts of items and blueprints ---------------------------------------------------------
def check_choices(raw: dict, check: Checker, stem: dict | None) -> list | None:
    value = raw.get("choices")
    cline = line_of(raw, "choices")
    if value is None:
        check.error("choices", f"required: a list of {MIN_CHOICES} to {MAX_CHOICES} choices")
        return None
    if not isinstance(value, list):
        check.error("choices", f"must be a list of {MIN_CHOICES} to {MAX_CHOICES} choices", cline)
        return None
    if not MIN_CHOICES <= len(value) <= MAX_CHOICES:
        check.error("choices", f"has {len(value)} choice{'s' if len(value) != 1 else ''}; an "
                               f"item has {MIN_CHOICES} to {MAX_CHOICES}", cline)
    before = check.count
    choices, seen = [], set()
    for position, raw_choice in enumerate(value, start=1):
        name = f"choices[#{position}]"
        if not isinstance(raw_choice, dict):
            check.error(name, "must be a mapping {id: a, th: ..., en: ...}")
            continue
        line = getattr(raw_choice, "line", None)
        if isinstance(raw_choice.get("id"), str) and raw_choice["id"]:
            name = f"choices[{raw_choice['id']}]"
        check.unknown(raw_choice, CHOICE_FIELDS, name + ".")
        cid = check.code(raw_choice, "id", CHOICE_ID, prefix=name + ".")
        if cid is not None:
            if cid in seen:
                check.error(name + ".id", f'duplicate choice id "{cid}"', line)
            seen.add(cid)
        texts = {lang: check.text(raw_choice, lang, f"{name}.{lang}", line) for lang in LANGS}
        choices.append({"id": cid, "th": texts["th"] or "", "en": texts["en"] or ""})
    if check.count > before:
        return None
    if stem is not None:
        _check_languages(choices, stem, check, cline)
    if check.count > before:
        return None
    for lang in LANGS:
        counts = Counter(c[lang] for c in choices if c[lang])
        for text_, n in counts.items():
            if n > 1:
                dup = [c["id"] for c in choices if c[lang] == text_]
                check.error(f"choices.{lang}", f"choices {', '.join(dup)} have the same text "
                                               f"{shown(text_)}", cline)
    return None if check.count > before else choices


def _check_languages(choices: list, stem: dict, check: Checker, line: int | None) -> None:
    """Each choice has the languages of the stem, no fewer and no more."""
    for lang in LANGS:
        language = "Thai" if lang == "th" else "English"
        missing = [c["id"] for c in choices if stem[lang] and not c[lang]]
        extra = [c["id"] for c in choices if c[lang] and not stem[lang]]
        if missing:
            check.error(f"choices.{lang}",
                        f"choice{'s' if len(missing) > 1 else ''} {', '.join(missing)} without "
                        f"{lang} text: the stem has {language} text, so every choice needs it too",
                        line)
        if extra:
            check.error(f"choices.{lang}",
                        f"choice{'s' if len(extra) > 1 else ''} {', '.join(extra)} with {lang} "
                        f"text: the stem has no {language} text, so the choices may not have it",
                        line)


def check_sections(doc: dict, check: Checker, duration: int | None) -> list | None:
    value = doc.get("sections")
    if not isinstance(value, list) or not value:
        check.error("sections", "required: a list of at least one section")
        return None
    sections, seen = [], set()
    for position, raw in enumerate(value, start=1):
        name = f"sections[#{position}]"
        if not isinstance(raw, dict):
            check.error(name, "must be a mapping (code, title, draw, ...)")
            continue
        line = getattr(raw, "line", None)
        if isinstance(raw.get("code"), str) and raw["code"]:
            name = f"sections[{raw['code']}]"
        prefix = name + "."
        check.unknown(raw, SECTION_FIELDS, prefix)
        code = check.code(raw, "code", SECTION_CODE, prefix=prefix)
        if code in seen:
            check.error(prefix + "code", f'section "{code}" is listed twice', line)
        seen.add(code)
        title = check.texts(raw, "title", required=True, prefix=prefix, max_len=TITLE_MAX)
        points = raw.get("points_per_item", 1)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            check.error(prefix + "points_per_item", f"{shown(points)} must be a number above 0",
                        line)
        limit = check.whole(raw, "time_limit_minutes", 1, duration or MAX_DURATION,
                            prefix=prefix)
        draw = _check_draw(raw, check, prefix)
        sections.append({"code": code, "title": title, "points_per_item": points,
                         "time_limit_minutes": limit, "draw": draw})
    return sections


def _check_draw(raw: dict, check: Checker, prefix: str) -> dict | None:
    value = raw.get("draw")
    line = getattr(value, "line", None) or getattr(raw, "line", None)
    if not isinstance(value, dict) or not value:
        check.error(prefix + "draw", "required: items per band, e.g. {easy: 4, medium: 4, hard: 2}",
                    line)
        return None
    draw = {}
    for band, n in value.items():
        if band not in BANDS:
            check.error(f"{prefix}draw.{band}", "unknown band (allowed: easy, medium, hard)",
                        line_of(value, band) or line)
        elif isinstance(n, bool) or not isinstance(n, int) or n < 0:
            check.error(f"{prefix}draw.{band}", f"{shown(n)} must be a whole number, 0 or more",
                        line_of(value, band) or line)
        else:
            draw[band] = n
    if draw and not sum(draw.values()):
        check.error(prefix + "draw", "draws no items at all", line)
    return {band: draw.get(band, 0) for band in BANDS}


# ---- across files --------------------------------------------------------------------------
def check_bank(loaded: LoadedBank) -> None:
    """The rules across files: unique ids and codes, and blueprints the bank can fill."""
    first: dict[tuple[str, str], BankItem] = {}
    unique = []
    for item in loaded.items:
        other = first.get((item.bank, item.code))
        if other is not None:
            where = f"{other.file} at line {other.line}" if other.line else other.file
            loaded.errors.append(BankError(
                item.file, f'duplicate id in bank "{item.bank}", also in {where}',
                f"item {item.code}", "id", item.line))
            continue
        first[(item.bank, item.code)] = item
        unique.append(item)
    loaded.items = unique

    available = Counter((i.bank, i.section, i.difficulty) for i in loaded.items)
    sections_of = {(i.bank, i.section) for i in loaded.items}
    banks = {i.bank for i in loaded.items}
    codes: dict[str, Blueprint] = {}
    for bp in loaded.blueprints:
        check = Checker(loaded, bp.file, f"blueprint {bp.code}", bp.line)
        if bp.code in codes:
            check.error("code", f"duplicate exam code, also in {codes[bp.code].file}")
        codes.setdefault(bp.code, bp)
        if bp.bank not in banks:
            check.error("bank", f'no items of bank "{bp.bank}" in the files read')
            continue
        for section in bp.sections:
            name = f"sections[{section['code']}]"
            line = bp.section_lines.get(section["code"])
            if (bp.bank, section["code"]) not in sections_of:
                check.error(name, f'bank "{bp.bank}" has no items in section "{section["code"]}"',
                            line)
                continue
            for band, needed in section["draw"].items():
                have = available[(bp.bank, section["code"], band)]
                if needed > have:
                    check.error(f"{name}.draw.{band}",
                                f"needs {needed} {band} items of section {section['code']}, "
                                f"bank \"{bp.bank}\" has {have}", line)
    sort_errors(loaded)


def sort_errors(loaded: LoadedBank) -> None:
    """Errors in the order of the files, then of the lines (cross-file ones come last otherwise)."""
    order = {name: i for i, name in enumerate(loaded.files)}
    loaded.errors.sort(key=lambda e: (order.get(e.file, -1), e.line or 0))
