"""The exam bank: reading and checking item and blueprint files, and importing them as versions.

The YAML format is described in exam_bank/FORMAT.md. Loading never touches the database; it
returns what it read and every error it found, each naming the file, the item and the field.
`import_bank` then writes a valid bank in one transaction: an item's text and key are never
edited in place, a changed item gets a new version, so past attempts keep what they showed.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..common.errors import NotAllowed, ValidationFailed
from ..extensions import db
from .models import Attempt, Exam, ExamItem, ItemVersion, Seat, Sitting

LANGS = ("th", "en")
BANDS = ("easy", "medium", "hard")
POLICIES = ("immediate", "after_publication")
MIN_CHOICES, MAX_CHOICES = 2, 6
CHOICE_LABELS = {"th": ["ก", "ข", "ค", "ง", "จ", "ฉ"], "en": ["A", "B", "C", "D", "E", "F"]}
DEFAULT_PASS_PERCENT = 60
DEFAULT_POLICY = "after_publication"
MAX_DURATION = 600
SOURCE_MAX = 300  # ItemVersion.source

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
CHOICE_FIELDS = ("id",) + LANGS
BLUEPRINT_FIELDS = ("kind", "code", "bank", "title", "duration_minutes", "pass_percent",
                    "results_policy", "shuffle_items", "shuffle_choices", "sections")
SECTION_FIELDS = ("code", "title", "points_per_item", "time_limit_minutes", "draw")
TITLE_MAX = 300


# ---- what loading returns ------------------------------------------------------------------
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


@dataclass
class Skipped:
    """A question an importer read but could not take (not single-answer multiple choice)."""

    file: str
    ref: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.file}: {self.ref}: {self.reason}{where}"


@dataclass
class BankItem:
    """An item as read from a file, in the shape of the YAML format (both languages filled)."""

    bank: str
    code: str
    section: str
    topic: str
    difficulty: str
    stem: dict            # {"th": str, "en": str}
    choices: list         # [{"id": "a", "th": str, "en": str}, ...]
    key: str
    fixed_order: bool = False
    explanation: dict = field(default_factory=lambda: {"th": "", "en": ""})
    file: str = ""
    line: int | None = None
    source: str = ""

    @property
    def content(self) -> dict:
        """What a candidate sees and how it is scored: a change here is a new version."""
        return {"stem": self.stem, "choices": self.choices, "key": self.key,
                "fixed_order": self.fixed_order, "explanation": self.explanation}

    @property
    def content_hash(self) -> str:
        return content_hash(self.content)


@dataclass
class Blueprint:
    code: str
    bank: str
    title: dict
    duration_minutes: int
    pass_percent: Decimal
    results_policy: str
    shuffle_items: bool
    shuffle_choices: bool
    # [{"code", "title": {th, en}, "points_per_item", "time_limit_minutes", "draw": {band: n}}]
    sections: list
    file: str = ""
    line: int | None = None
    section_lines: dict = field(default_factory=dict)   # section code -> line, for errors

    def exam_fields(self) -> dict:
        return {"bank": self.bank, "title_th": self.title["th"], "title_en": self.title["en"],
                "duration_minutes": self.duration_minutes, "pass_percent": self.pass_percent,
                "results_policy": self.results_policy, "shuffle_items": self.shuffle_items,
                "shuffle_choices": self.shuffle_choices, "sections": self.sections}


@dataclass
class LoadedBank:
    items: list[BankItem] = field(default_factory=list)
    blueprints: list[Blueprint] = field(default_factory=list)
    errors: list[BankError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def banks(self) -> list[str]:
        return sorted({i.bank for i in self.items} | {b.bank for b in self.blueprints})


def content_hash(content: dict) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def choice_labels(locale: str) -> list[str]:
    """How choices are labelled on a paper: ก ข ค ง จ ฉ in Thai, A B C D E F in English."""
    return list(CHOICE_LABELS["th" if locale == "th" else "en"])


def items_for(bank: str, section: str, difficulty: str) -> list[ExamItem]:
    """The active items a form may draw for one section and difficulty band."""
    return list(db.session.scalars(
        select(ExamItem).where(ExamItem.bank == bank, ExamItem.section == section,
                               ExamItem.difficulty == difficulty, ExamItem.active.is_(True))
        .options(selectinload(ExamItem.versions)).order_by(ExamItem.code)))


# ---- reading YAML --------------------------------------------------------------------------
class _Map(dict):
    """A YAML mapping that remembers its line and the line of each key, for error messages."""

    line: int | None = None
    lines: dict | None = None


def _line(data, key=None) -> int | None:
    """The line of `key` in a mapping read from YAML, else of the mapping (None if not YAML)."""
    lines = getattr(data, "lines", None) or {}
    return lines.get(key) or getattr(data, "line", None)


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = _Map()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    for key_node, _value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            if key_node.value in data.lines:
                # PyYAML would silently keep the last one; an author almost never means that.
                raise yaml.constructor.ConstructorError(
                    None, None, f'duplicate key "{key_node.value}"', key_node.start_mark)
            data.lines[key_node.value] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _yaml_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def load_path(path) -> LoadedBank:
    """Read a YAML file or a folder of them (recursively) and check every rule of FORMAT.md."""
    root = Path(path)
    loaded = LoadedBank()
    if not root.exists():
        loaded.errors.append(BankError(str(path), "no such file or folder"))
        return loaded
    files = _yaml_files(root)
    if not files:
        loaded.errors.append(BankError(str(path), "no .yaml or .yml files here"))
    for file in files:
        _load_file(file, loaded)
    check_bank(loaded)
    return loaded


def sort_errors(loaded: LoadedBank) -> None:
    """Errors in the order of the files, then of the lines (cross-file ones come last otherwise)."""
    order = {name: i for i, name in enumerate(loaded.files)}
    loaded.errors.sort(key=lambda e: (order.get(e.file, -1), e.line or 0))


def _load_file(file: Path, loaded: LoadedBank) -> None:
    name = str(file)
    loaded.files.append(name)
    try:
        doc = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe)
    except UnicodeDecodeError:
        loaded.errors.append(BankError(name, "not UTF-8 text; save the file as UTF-8"))
        return
    except yaml.MarkedYAMLError as exc:
        loaded.errors.append(BankError(name, _yaml_problem(exc)))
        return
    except yaml.YAMLError as exc:
        loaded.errors.append(BankError(name, f"YAML syntax error: {exc}"))
        return
    if doc is None:
        loaded.errors.append(BankError(name, "the file is empty"))
        return
    if not isinstance(doc, dict):
        loaded.errors.append(BankError(name, 'must be a mapping starting with "kind:"'))
        return
    kind = doc.get("kind")
    if kind == "items":
        _read_items_file(doc, name, loaded)
    elif kind == "blueprint":
        _read_blueprint(doc, name, loaded)
    elif kind is None:
        loaded.errors.append(BankError(name, 'required: "items" or "blueprint"', field="kind",
                                       line=doc.line))
    else:
        loaded.errors.append(BankError(name, f'{_show(kind)} is not "items" or "blueprint"',
                                       field="kind", line=doc.line))


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    message = f"YAML syntax error{where}: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        started = exc.context_mark
        if started is not None and (mark is None or started.line != mark.line):
            message += f" ({exc.context} that starts at line {started.line + 1})"
        else:
            message += f" ({exc.context})"
    return message


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
                           _line(data, key))

    def code(self, data: dict, key: str, rule: tuple, required: bool = True,
             prefix: str = "") -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(prefix + key, "required", _line(data))
            return None
        pattern, longest = rule
        if not isinstance(value, str) or not pattern.fullmatch(value):
            words = PATTERN_WORDS.get(pattern.pattern, pattern.pattern)
            hint = " (put it in quotes)" if not isinstance(value, str) else ""
            self.error(prefix + key, f"{_show(value)} must be {words}{hint}",
                       _line(data, key))
            return None
        if len(value) > longest:
            self.error(prefix + key, f"{_show(value)} is longer than {longest} characters",
                       _line(data, key))
            return None
        return value

    def flag(self, data: dict, key: str, default: bool, prefix: str = "") -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(prefix + key, f"{_show(value)} must be true or false",
                       _line(data, key))
            return default
        return value

    def whole(self, data: dict, key: str, low: int, high: int, default=None, prefix: str = ""):
        value = data.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(prefix + key, f"{_show(value)} must be a whole number from {low} to {high}",
                       _line(data, key))
            return None
        return value

    def texts(self, data: dict, key: str, required: bool, prefix: str = "",
              max_len: int | None = None) -> dict | None:
        """A {th, en} mapping of text; returns both languages ("" when absent)."""
        value = data.get(key)
        name = prefix + key
        line = _line(data, key)
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
        line = _line(data, key) if getattr(data, "lines", None) else line
        if value is None:
            value = ""
        if not isinstance(value, str):
            # YAML reads 010 as 8, 1.50 as 1.5 and yes as true: only quoted text is safe.
            self.error(name, f"{_show(value)} must be text (put it in quotes)", line)
            return None
        value = value.strip()
        if max_len and len(value) > max_len:
            self.error(name, f"longer than {max_len} characters", line)
            return None
        return value


def _show(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


def _read_items_file(doc: dict, file: str, loaded: LoadedBank) -> None:
    check = Checker(loaded, file, line=doc.line)
    check.unknown(doc, ITEM_FILE_FIELDS)
    bank = check.code(doc, "bank", BANK_CODE)
    section = check.code(doc, "section", SECTION_CODE)
    items = doc.get("items")
    if not isinstance(items, list) or not items:
        check.error("items", "required: a list of at least one item")
        return
    for position, raw in enumerate(items, start=1):
        item = item_from_dict(raw, loaded, file=file, bank=bank, section=section,
                              position=position, source=file)
        if item is not None and bank and section:
            loaded.items.append(item)


def item_from_dict(raw, loaded: LoadedBank, *, file: str, bank: str | None,
                   section: str | None, position: int, source: str = "",
                   line: int | None = None) -> BankItem | None:
    """Check one item (a mapping in the YAML shape) and return it, or None with errors added.

    The QTI and GIFT importers build the same mapping, so every rule is checked in one place.
    """
    line = getattr(raw, "line", None) or line
    ref = f"item #{position}"
    if not isinstance(raw, dict):
        Checker(loaded, file, ref, line).error("", "must be a mapping (id, topic, stem, ...)")
        return None
    if isinstance(raw.get("id"), str) and raw["id"]:
        ref = f"item {raw['id']}"
    check = Checker(loaded, file, ref, line)
    check.unknown(raw, ITEM_FIELDS)
    code = check.code(raw, "id", ITEM_ID)
    own_section = check.code(raw, "section", SECTION_CODE, required=False)
    topic = check.code(raw, "topic", TOPIC_CODE)
    difficulty = raw.get("difficulty")
    if difficulty is None:
        check.error("difficulty", "required: easy, medium or hard")
    elif difficulty not in BANDS:
        check.error("difficulty", f"{_show(difficulty)} is not one of easy, medium, hard",
                    _line(raw, "difficulty"))
    stem = check.texts(raw, "stem", required=True)
    explanation = check.texts(raw, "explanation", required=False)
    fixed_order = check.flag(raw, "fixed_order", False)
    choices = _check_choices(raw, check, stem)
    key = raw.get("key")
    if key is None:
        check.error("key", "required: the id of the one correct choice")
    elif choices is not None:
        ids = [c["id"] for c in choices]
        if key not in ids:
            check.error("key", f"{_show(key)} is not one of the choice ids {', '.join(ids)}",
                        _line(raw, "key"))
    if check.count:
        return None
    return BankItem(bank=bank or "", code=code, section=own_section or section or "",
                    topic=topic, difficulty=difficulty, stem=stem, choices=choices, key=key,
                    fixed_order=fixed_order, explanation=explanation, file=file, line=line,
                    source=source[:SOURCE_MAX])


def _check_choices(raw: dict, check: Checker, stem: dict | None) -> list | None:
    value = raw.get("choices")
    cline = _line(raw, "choices")
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
                                               f"{_show(text_)}", cline)
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


def _read_blueprint(doc: dict, file: str, loaded: LoadedBank) -> None:
    ref = f"blueprint {doc['code']}" if isinstance(doc.get("code"), str) else "blueprint"
    check = Checker(loaded, file, ref, doc.line)
    check.unknown(doc, BLUEPRINT_FIELDS)
    code = check.code(doc, "code", EXAM_CODE)
    bank = check.code(doc, "bank", BANK_CODE)
    title = check.texts(doc, "title", required=True, max_len=TITLE_MAX)
    if title is not None and not title["th"]:
        check.error("title.th", "required: the Thai title of the exam", _line(doc, "title"))
    duration = doc.get("duration_minutes")
    if duration is None:
        check.error("duration_minutes", f"required: a whole number from 1 to {MAX_DURATION}")
    else:
        duration = check.whole(doc, "duration_minutes", 1, MAX_DURATION)
    pass_percent = doc.get("pass_percent", DEFAULT_PASS_PERCENT)
    if isinstance(pass_percent, bool) or not isinstance(pass_percent, (int, float)) \
            or not 0 < pass_percent <= 100:
        check.error("pass_percent", f"{_show(pass_percent)} must be a number above 0, at most 100",
                    _line(doc, "pass_percent"))
        pass_percent = None
    else:
        pass_percent = Decimal(str(pass_percent)).quantize(Decimal("0.01"))
    policy = doc.get("results_policy", DEFAULT_POLICY)
    if policy not in POLICIES:
        check.error("results_policy", f"{_show(policy)} is not one of immediate, after_publication",
                    _line(doc, "results_policy"))
    shuffle_items = check.flag(doc, "shuffle_items", True)
    shuffle_choices = check.flag(doc, "shuffle_choices", True)
    sections = _check_sections(doc, check, duration)
    if check.count:
        return
    loaded.blueprints.append(Blueprint(
        code=code, bank=bank, title=title, duration_minutes=duration, pass_percent=pass_percent,
        results_policy=policy, shuffle_items=shuffle_items, shuffle_choices=shuffle_choices,
        sections=sections, file=file, line=doc.line,
        section_lines={s["code"]: getattr(raw, "line", None)
                       for s, raw in zip(sections, doc["sections"])}))


def _check_sections(doc: dict, check: Checker, duration: int | None) -> list | None:
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
            check.error(prefix + "points_per_item", f"{_show(points)} must be a number above 0",
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
                        _line(value, band) or line)
        elif isinstance(n, bool) or not isinstance(n, int) or n < 0:
            check.error(f"{prefix}draw.{band}", f"{_show(n)} must be a whole number, 0 or more",
                        _line(value, band) or line)
        else:
            draw[band] = n
    if draw and not sum(draw.values()):
        check.error(prefix + "draw", "draws no items at all", line)
    return {band: draw.get(band, 0) for band in BANDS}


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


# ---- importing -----------------------------------------------------------------------------
@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)              # item codes
    new_versions: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reclassified: list[str] = field(default_factory=list)         # section/topic/difficulty
    blueprints_created: list[str] = field(default_factory=list)
    blueprints_updated: list[str] = field(default_factory=list)
    blueprints_unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def counts(self) -> dict:
        return {"items_created": len(self.created), "versions_added": len(self.new_versions),
                "unchanged": len(self.unchanged), "reclassified": len(self.reclassified),
                "blueprints_created": len(self.blueprints_created),
                "blueprints_updated": len(self.blueprints_updated),
                "blueprints_unchanged": len(self.blueprints_unchanged),
                "skipped": len(self.skipped)}


def import_bank(loaded: LoadedBank, actor=None, source: str = "") -> ImportReport:
    """Write a checked bank in one transaction; nothing is written if it has any error."""
    if loaded.errors:
        raise ValidationFailed(_("The bank has %(n)d errors; nothing was imported.",
                                 n=len(loaded.errors)))
    report = ImportReport(skipped=list(loaded.skipped))
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # Two imports of one bank at once would race for the same (bank, code).
            db.session.execute(text("SELECT pg_advisory_xact_lock(727002)"))
        _import_items(loaded.items, report)
        _import_blueprints(loaded.blueprints, report)
        banks = loaded.banks
        record("bank.import", actor=actor, object_type="exam_bank",
               object_id=banks[0][:40] if len(banks) == 1 else "",
               after={"banks": banks, "source": source, **report.counts()})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _import_items(items: list[BankItem], report: ImportReport) -> None:
    existing: dict[tuple[str, str], ExamItem] = {}
    for bank in sorted({i.bank for i in items}):
        for row in db.session.scalars(select(ExamItem).where(ExamItem.bank == bank)
                                      .options(selectinload(ExamItem.versions))):
            existing[(row.bank, row.code)] = row
    for item in items:
        row = existing.get((item.bank, item.code))
        digest = item.content_hash
        if row is None:
            row = ExamItem(bank=item.bank, code=item.code, section=item.section,
                           topic=item.topic, difficulty=item.difficulty, active=True)
            db.session.add(row)
            row.versions.append(_version(item, 1, digest))
            report.created.append(item.code)
            continue
        classification = (item.section, item.topic, item.difficulty)
        if (row.section, row.topic, row.difficulty) != classification:
            row.section, row.topic, row.difficulty = classification
            report.reclassified.append(item.code)
        current = row.current_version
        if current is not None and current.content_hash == digest:
            report.unchanged.append(item.code)
            continue
        number = (current.version if current else 0) + 1
        row.versions.append(_version(item, number, digest))
        report.new_versions.append((item.code, number))
    db.session.flush()


def _version(item: BankItem, number: int, digest: str) -> ItemVersion:
    return ItemVersion(version=number, stem_th=item.stem["th"], stem_en=item.stem["en"],
                       choices=[dict(c) for c in item.choices], key=item.key,
                       fixed_order=item.fixed_order, explanation_th=item.explanation["th"],
                       explanation_en=item.explanation["en"], content_hash=digest,
                       source=item.source[:SOURCE_MAX])


def _import_blueprints(blueprints: list[Blueprint], report: ImportReport) -> None:
    for bp in blueprints:
        exam = db.session.scalar(select(Exam).where(Exam.code == bp.code))
        wanted = bp.exam_fields()
        if exam is None:
            db.session.add(Exam(code=bp.code, **wanted))
            report.blueprints_created.append(bp.code)
            continue
        if all(_same(getattr(exam, k), v) for k, v in wanted.items()):
            report.blueprints_unchanged.append(bp.code)
            continue
        if _has_attempts(exam):
            # Scores already given were computed with the old sections, points and pass mark.
            raise NotAllowed(_("Exam %(code)s has already been taken, so its blueprint cannot "
                               "change; give the new blueprint a new code.", code=bp.code))
        for k, v in wanted.items():
            setattr(exam, k, v)
        report.blueprints_updated.append(bp.code)
    db.session.flush()


def _same(stored, wanted) -> bool:
    if isinstance(wanted, Decimal):
        return stored is not None and Decimal(stored) == wanted
    return stored == wanted


def _has_attempts(exam: Exam) -> bool:
    return db.session.scalar(
        select(Attempt.id).join(Seat, Attempt.seat_id == Seat.id)
        .join(Sitting, Seat.sitting_id == Sitting.id).where(Sitting.exam_id == exam.id).limit(1)
    ) is not None
