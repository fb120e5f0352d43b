"""Reading bank files: YAML item and blueprint files into items, blueprints and errors.

The YAML format is described in exam_bank/FORMAT.md. Reading never touches the database; it
returns what it read and every error it found (bank_format holds the format and its rules),
each naming the file, the item and the field, with the line. `item_from_dict` reads one item mapping; the QTI
and GIFT importers build the same mapping, so every rule applies to them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from . import media as item_media
from .bank_format import (
    BANDS,
    DEFAULT_PASS_PERCENT,
    LANGS,
    BankError,
    BlueprintFile,
    Item,
    ItemFileHead,
    Problem,
    blueprint_rules,
    check_bank,
    item_rules,
    line_of,
    normalised_key,
    shown,
    validate,
)
from .bank_messages import N_
from .item_types import TRUE_FALSE_CHOICES

CHOICE_LABELS = {"th": ["ก", "ข", "ค", "ง", "จ", "ฉ"], "en": ["A", "B", "C", "D", "E", "F"]}
SOURCE_MAX = 300  # ItemVersion.source, ExamItem.origin


# ---- what reading returns ------------------------------------------------------------------
@dataclass
class Skipped:
    """A question an importer read but could not take (a type the bank does not hold, media it
    cannot keep, ...), with the reason."""

    file: str
    ref: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.file}: {self.ref}: {self.reason}{where}"

    def html(self):
        """The line in the reader's language (BankError.html)."""
        return BankError(self.file, self.reason, self.ref, "", self.line).html()


@dataclass
class BankItem:
    """An item as read from a file, in the shape of the YAML format (both languages filled)."""

    bank: str
    code: str
    section: str
    topic: str
    difficulty: str
    stem: dict  # {"th": str, "en": str}
    choices: list  # [{"id": "a", "th": str, "en": str}, ...]; [] for numeric and text
    key: object  # as stored, per type (item_types.py)
    fixed_order: bool = False
    explanation: dict = field(default_factory=lambda: {"th": "", "en": ""})
    file: str = ""
    line: int | None = None
    source: str = ""
    item_type: str = "single"
    # Where the source says the item comes from (ExamItem.origin): the same origin is the same
    # item, so new content for its code is a new version; another origin is another item.
    origin: str = ""
    media: dict = field(default_factory=dict)  # name -> media.MediaFile the texts show
    # multiple response: how many a candidate may choose (None: no limit)
    min_choices: int | None = None
    max_choices: int | None = None

    @property
    def content(self) -> dict:
        """What a candidate sees and how it is scored: a change here is a new version."""
        content = {
            "stem": self.stem,
            "choices": self.choices,
            "key": self.key,
            "fixed_order": self.fixed_order,
            "explanation": self.explanation,
        }
        if self.item_type != "single":  # (single items keep the hash they had before types)
            content["type"] = self.item_type
        for limit in ("min_choices", "max_choices"):  # (only when set: old digests stay)
            if getattr(self, limit):
                content[limit] = getattr(self, limit)
        if self.media:  # (only then: the digests of items without media stay as they were)
            content["media"] = item_media.digests(self.media)
        return content

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
    multiple_scoring: str = "all_or_nothing"
    section_lines: dict = field(default_factory=dict)  # section code -> line, for errors

    def exam_fields(self) -> dict:
        return {
            "bank": self.bank,
            "title_th": self.title["th"],
            "title_en": self.title["en"],
            "duration_minutes": self.duration_minutes,
            "pass_percent": self.pass_percent,
            "results_policy": self.results_policy,
            "shuffle_items": self.shuffle_items,
            "shuffle_choices": self.shuffle_choices,
            "multiple_scoring": self.multiple_scoring,
            "sections": self.sections,
        }


@dataclass(frozen=True)
class Limits:
    """What one import may hold (config.py BANK_MAX_*); 0 means no limit."""

    max_file_bytes: int = 0
    max_items: int = 0
    max_item_chars: int = 0

    @classmethod
    def of(cls, config) -> Limits:
        return cls(config["BANK_MAX_FILE_BYTES"], config["BANK_MAX_ITEMS"], config["BANK_MAX_ITEM_CHARS"])


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"


@dataclass
class LoadedBank:
    items: list[BankItem] = field(default_factory=list)
    blueprints: list[Blueprint] = field(default_factory=list)
    errors: list[BankError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[BankError] = field(default_factory=list)  # (shaped like errors)
    files: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=lambda: Limits())

    @property
    def max_item_chars(self) -> int:
        return self.limits.max_item_chars

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def banks(self) -> list[str]:
        return sorted({i.bank for i in self.items} | {b.bank for b in self.blueprints})

    def fits(self, name: str, size: int) -> bool:
        """False (with the error recorded) when a file is larger than the limit."""
        limit = self.limits.max_file_bytes
        if limit and size > limit:
            self.errors.append(
                BankError(
                    name,
                    N_(
                        "the file is %(size)s; the limit is %(limit)s (BANK_MAX_FILE_BYTES)",
                        size=megabytes(size),
                        limit=megabytes(limit),
                    ),
                )
            )
            return False
        return True

    def check_item_count(self) -> None:
        """Too many items (taken and skipped) for one import is an error, named with the limit."""
        limit, read = self.limits.max_items, len(self.items) + len(self.skipped)
        if limit and read > limit:
            self.errors.append(
                BankError(
                    self.files[0] if self.files else "",
                    N_(
                        "%(n)d items in one import; the limit is %(limit)d (BANK_MAX_ITEMS): split the bank",
                        n=read,
                        limit=limit,
                    ),
                )
            )


def content_hash(content: dict) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def choice_labels(locale: str) -> list[str]:
    """How choices are labelled on a paper: ก ข ค ง จ ฉ in Thai, A B C D E F in English."""
    return list(CHOICE_LABELS["th" if locale == "th" else "en"])


# Told of each item read, while `reporting` is on (a background job's progress bar); the
# importers need not know about it.
_ON_ITEM: ContextVar[Callable[[], None] | None] = ContextVar("bank_on_item", default=None)


@contextmanager
def reporting(on_item: Callable[[], None]) -> Iterator[None]:
    """Call `on_item()` for every item read (by any importer) inside the block."""
    token = _ON_ITEM.set(on_item)
    try:
        yield
    finally:
        _ON_ITEM.reset(token)


# ---- reading YAML --------------------------------------------------------------------------
class _Map(dict):
    """A YAML mapping that remembers its line and the line of each key, for error messages."""

    line: int | None = None
    lines: dict | None = None


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
                    None, None, f'duplicate key "{key_node.value}"', key_node.start_mark
                )
            data.lines[key_node.value] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _yaml_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in (".yaml", ".yml")
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_path(path, limits: Limits | None = None) -> LoadedBank:
    """Read a YAML file or a folder of them (recursively) and check every rule of FORMAT.md."""
    root = Path(path)
    loaded = LoadedBank(limits=limits or Limits())
    if not root.exists():
        loaded.errors.append(BankError(str(path), N_("no such file or folder")))
        return loaded
    files = _yaml_files(root)
    if not files:
        loaded.errors.append(BankError(str(path), N_("no .yaml or .yml files here")))
    for file in files:
        _load_file(file, loaded)
    check_bank(loaded)
    loaded.check_item_count()
    return loaded


def _load_file(file: Path, loaded: LoadedBank) -> None:
    name = str(file)
    loaded.files.append(name)
    if not loaded.fits(name, file.stat().st_size):
        return
    try:
        doc = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError:
        loaded.errors.append(BankError(name, N_("not UTF-8 text; save the file as UTF-8")))
        return
    except yaml.MarkedYAMLError as exc:
        loaded.errors.append(BankError(name, _yaml_problem(exc)))
        return
    except yaml.YAMLError as exc:
        loaded.errors.append(BankError(name, N_("YAML syntax error: %(problem)s", problem=str(exc))))
        return
    if doc is None:
        loaded.errors.append(BankError(name, N_("the file is empty")))
        return
    if not isinstance(doc, dict):
        loaded.errors.append(BankError(name, N_('must be a mapping starting with "kind:"')))
        return
    kind = doc.get("kind")
    if kind == "items":
        _read_items_file(doc, name, loaded)
    elif kind == "blueprint":
        _read_blueprint(doc, name, loaded)
    elif kind is None:
        loaded.errors.append(
            BankError(name, N_('required: "items" or "blueprint"'), field="kind", line=doc.line)
        )
    else:
        loaded.errors.append(
            BankError(
                name,
                N_('%(kind)s is not "items" or "blueprint"', kind=shown(kind)),
                field="kind",
                line=doc.line,
            )
        )


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """The parser's own words (English, quoted as they are) placed in a sentence of ours."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context
    if exc.problem and exc.context:
        started = exc.context_mark
        if started is not None and (mark is None or started.line != mark.line):
            problem += f" ({exc.context} that starts at line {started.line + 1})"
        else:
            problem += f" ({exc.context})"
    if mark:
        return N_(
            "YAML syntax error at line %(line)d, column %(column)d: %(problem)s",
            line=mark.line + 1,
            column=mark.column + 1,
            problem=problem,
        )
    return N_("YAML syntax error: %(problem)s", problem=problem)


# ---- items and blueprints ------------------------------------------------------------------
def _report(loaded: LoadedBank, file: str, ref: str, problems: list[Problem]) -> None:
    loaded.errors.extend(BankError(file, p.message, ref, p.field, p.line) for p in problems)


def _read_items_file(doc: dict, file: str, loaded: LoadedBank) -> None:
    head, problems = validate(ItemFileHead, doc)
    _report(loaded, file, "", problems)
    bank = doc.get("bank") if isinstance(doc.get("bank"), str) else None
    section = doc.get("section") if isinstance(doc.get("section"), str) else None
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    for position, raw in enumerate(items, start=1):
        item = item_from_dict(
            raw,
            loaded,
            file=file,
            bank=bank,
            section=section,
            position=position,
            source=file,
        )
        if item is not None and head is not None:
            loaded.items.append(item)


def item_from_dict(
    raw,
    loaded: LoadedBank,
    *,
    file: str,
    bank: str | None,
    section: str | None,
    position: int,
    source: str = "",
    line: int | None = None,
    origin: str = "",
    resolve: item_media.Resolver | None = None,
) -> BankItem | None:
    """Check one item (a mapping in the YAML shape) and return it, or None with errors added.

    The QTI and GIFT importers build the same mapping, so every rule is checked in one place.
    `resolve` reads the image and audio files the texts name (next to the file, in a package).
    """
    on_item = _ON_ITEM.get()
    if on_item is not None:
        on_item()
    line = getattr(raw, "line", None) or line
    ref = (
        N_("item %(code)s", code=raw["id"])
        if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]
        else N_("item #%(n)d", n=position)
    )
    item, problems = validate(Item, raw)
    if isinstance(raw, dict):
        problems += item_rules(raw, problems)
    media: dict = {}
    if not problems:
        media = _media_of(item, raw, loaded, file, ref, resolve, problems)
    for p in problems:
        p.line = p.line or line
    _report(loaded, file, ref, problems)
    if problems:
        return None
    if item.type == "true_false":
        # The words true and false in the stem's languages only (the choices' language rule).
        langs = [lang for lang, text_ in item.stem.both().items() if text_]
        choices = [
            {"id": c["id"], **{k: (c[k] if k in langs else "") for k in ("th", "en")}}
            for c in TRUE_FALSE_CHOICES
        ]
    else:
        choices = [{"id": c.id, "th": c.th or "", "en": c.en or ""} for c in item.choices or []]
    bank_item = BankItem(
        bank=bank or "",
        code=item.id,
        section=item.section or section or "",
        topic=item.topic,
        difficulty=item.difficulty,
        stem=item.stem.both(),
        choices=choices,
        key=normalised_key(item.type, item.key),
        fixed_order=item.fixed_order or item.type == "true_false",
        explanation=item.explanation.both() if item.explanation else {"th": "", "en": ""},
        file=file,
        line=line,
        source=source[:SOURCE_MAX],
        item_type=item.type,
        origin=(origin or f"yaml {Path(file).name} {item.id}")[:SOURCE_MAX],
        media=media,
        min_choices=item.min_choices,
        max_choices=item.max_choices,
    )
    size = len(json.dumps(bank_item.content, ensure_ascii=False))
    if loaded.max_item_chars and size > loaded.max_item_chars:
        loaded.errors.append(
            BankError(
                file,
                N_(
                    "the item is %(n)d characters long; the limit is %(limit)d (BANK_MAX_ITEM_CHARS)",
                    n=size,
                    limit=loaded.max_item_chars,
                ),
                ref,
                line=line,
            )
        )
        return None
    return bank_item


def _media_of(item: Item, raw, loaded: LoadedBank, file: str, ref: str, resolve, problems) -> dict:
    """The images and audio an item's texts show, read with `resolve` (by default next to the
    file, or beside it in its package); problems (an image without alternative text, a missing
    file) are added to `problems`, field by field. An embedded (data:) image becomes a file and
    the text names it."""
    resolve = resolve or item_media.resolver_for(file)
    fields = [("stem", item.stem), ("explanation", item.explanation)]
    fields += [(f"choices[{c.id}]", c) for c in item.choices or []]
    media: dict = {}
    for name, texts in fields:
        for lang in LANGS if texts is not None else ():
            if not getattr(texts, lang, None):
                continue
            text_, found, troubles, warnings = item_media.gather(getattr(texts, lang), resolve)
            setattr(texts, lang, text_)
            media.update(found)
            problems += [
                Problem((name,), f"{name}.{lang}", trouble, line_of(raw, name.split("[")[0]))
                for trouble in troubles
            ]
            loaded.warnings += [BankError(file, w, ref, f"{name}.{lang}") for w in warnings]
    return media


def _read_blueprint(doc: dict, file: str, loaded: LoadedBank) -> None:
    ref = N_("blueprint %(code)s", code=doc["code"]) if isinstance(doc.get("code"), str) else N_("blueprint")
    bp, problems = validate(BlueprintFile, doc)
    problems += blueprint_rules(doc, problems)
    for p in problems:
        p.line = p.line or doc.line
    _report(loaded, file, ref, problems)
    if problems:
        return
    raw_sections = doc["sections"]
    sections = [
        {
            "code": s.code,
            "title": s.title.both(),
            # as written (2 stays 2, 1.5 stays 1.5): it is stored with the exam
            "points_per_item": raw.get("points_per_item", 1),
            "time_limit_minutes": s.time_limit_minutes,
            "draw": {band: s.draw.get(band, 0) for band in BANDS},
            # only when asked for: blueprints stored before pretest items stay unchanged
            **({"pretest": s.pretest} if s.pretest else {}),
            # exact counts per topic, met by assembled parallel forms (docs/psychometrics.md)
            **({"topics": dict(s.topics)} if s.topics else {}),
        }
        for s, raw in zip(bp.sections, raw_sections, strict=True)
    ]
    pass_percent = doc.get("pass_percent", DEFAULT_PASS_PERCENT)
    loaded.blueprints.append(
        Blueprint(
            code=bp.code,
            bank=bp.bank,
            title=bp.title.both(),
            duration_minutes=bp.duration_minutes,
            pass_percent=Decimal(str(pass_percent)).quantize(Decimal("0.01")),
            results_policy=bp.results_policy,
            shuffle_items=bp.shuffle_items,
            shuffle_choices=bp.shuffle_choices,
            multiple_scoring=bp.multiple_scoring,
            sections=sections,
            file=file,
            line=doc.line,
            section_lines={
                s["code"]: getattr(raw, "line", None) for s, raw in zip(sections, raw_sections, strict=True)
            },
        )
    )
