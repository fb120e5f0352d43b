"""The bank format (exam_bank/FORMAT.md) as pydantic models, and the errors that break it.

The models say the shape of an item file and a blueprint file (fields, types, patterns,
lengths, choices of words); they also publish it as JSON Schema (`flask bank schema`,
exam_bank/schema/). Each field's description is the phrase an error uses ("must be <it>"), so
the schema and the messages cannot drift apart. What a schema cannot say, relations between
fields (the key is one of the choices, the choices have the stem's languages, a section's time
limit fits the test), is checked by `item_rules` and `blueprint_rules`, and `check_bank` applies
the rules across files (unique ids, blueprints the bank can fill). Every error names the file,
the item or blueprint and the field, and the line when the file is YAML. Nothing here touches
the database.
"""

from __future__ import annotations

import json
import types
import typing
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

from . import bank_messages
from .bank_messages import N_, Message, codes
from .item_types import number_text, parse_number, shown_text

if TYPE_CHECKING:
    from .bank_files import BankItem, Blueprint, LoadedBank

LANGS = ("th", "en")
TRUE_OR_FALSE = N_("%(yes)s or %(no)s", yes="true", no="false")
BANDS = ("easy", "medium", "hard")
POLICIES = ("immediate", "after_publication")
MIN_CHOICES, MAX_CHOICES = 2, 6
DEFAULT_PASS_PERCENT = 60
DEFAULT_POLICY = "after_publication"
MAX_DURATION = 600
TITLE_MAX = 300
ITEM_TYPES = ("single", "multiple", "true_false", "numeric", "text")  # (item_types.TYPES)
CHOICE_TYPES = ("single", "multiple", "true_false")
ANSWER_MAX = 200  # an accepted text answer (item_types.ANSWER_MAX)


# ---- the shapes ----------------------------------------------------------------------------
def _code(pattern: str, longest: int | None, words: str):
    """A code: a quoted string of `pattern`, at most `longest` characters (the column's length)."""
    return Annotated[
        str, StringConstraints(pattern=f"^{pattern}$", max_length=longest), Field(description=words)
    ]


BankCode = _code("[a-z0-9-]+", 60, N_("lower-case letters a-z, digits and -"))
SectionCode = _code("[a-z0-9_]+", 40, N_("lower-case letters a-z, digits and _"))
TopicCode = _code("[a-z0-9-]+", 60, N_("lower-case letters a-z, digits and -"))
ItemId = _code("[A-Z0-9-]+", 40, N_("capital letters A-Z, digits and -"))
ChoiceId = _code("[a-z]", None, N_("one lower-case letter a-z"))  # (the pattern's one letter)
ExamCode = _code("[a-z0-9-]+", 60, N_("lower-case letters a-z, digits and -"))
Band = Annotated[Literal["easy", "medium", "hard"], Field(description=codes("easy", "medium", "hard"))]


def _text(longest: int | None = None):
    # YAML reads 010 as 8, 1.50 as 1.5 and yes as true: only quoted text is accepted (strict).
    # An empty value (`th:`) is no text; spaces around a text are dropped.
    return Annotated[
        str | None,
        StringConstraints(strip_whitespace=True, max_length=longest),
        Field(default=None, description=N_("text")),
    ]


class _Format(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Texts(_Format):
    """A mapping with th and/or en text, e.g. {th: "..."}."""

    th: _text()
    en: _text()

    def both(self) -> dict:
        return {"th": self.th or "", "en": self.en or ""}


class Title(Texts):
    """A mapping with th and/or en text of at most 300 characters, e.g. {th: "..."}."""

    th: _text(TITLE_MAX)
    en: _text(TITLE_MAX)


class Choice(_Format):
    """A mapping {id: a, th: ..., en: ...}."""

    id: ChoiceId
    th: _text()
    en: _text()


class Item(_Format):
    """A mapping (id, topic, stem, ...)."""

    id: ItemId
    type: Literal["single", "multiple", "true_false", "numeric", "text"] = Field(
        default="single", description=codes("single", "multiple", "true_false", "numeric", "text")
    )
    section: SectionCode | None = Field(
        default=None, description=N_("lower-case letters a-z, digits and _ (overrides the file's section)")
    )
    topic: TopicCode
    difficulty: Band
    stem: Texts = Field(description=N_("a mapping with th and/or en text"))
    choices: list[Choice] = Field(  # (None: numeric, text and true_false items)
        default=None,
        min_length=MIN_CHOICES,
        max_length=MAX_CHOICES,
        description=N_("a list of %(min)d to %(max)d choices", min=MIN_CHOICES, max=MAX_CHOICES),
    )
    # Checked per type by item_rules (a union here would give one error per alternative).
    key: Any = Field(
        description=N_(
            "the answer: a choice id (single), a list of choice ids (multiple), true or false "
            "(true_false), {value, tolerance} or a list of them (numeric), a text or a list of "
            "texts (text)"
        ),
        json_schema_extra={
            "anyOf": [
                {"type": "string", "pattern": "^[a-z]$"},
                {"type": "array", "items": {"type": "string", "pattern": "^[a-z]$"}, "minItems": 1},
                {"type": "boolean"},
                {"type": "object", "properties": {"value": {}, "tolerance": {}}, "required": ["value"]},
                {"type": "array", "items": {"type": "object"}, "minItems": 1},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ]
        },
    )
    fixed_order: bool = Field(default=False, description=TRUE_OR_FALSE)
    # Multiple response only (QTI minChoices/maxChoices): how many a candidate may choose.
    min_choices: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CHOICES,
        description=N_("a whole number from 1 to %(max)d", max=MAX_CHOICES),
    )
    max_choices: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CHOICES,
        description=N_("a whole number from 1 to %(max)d", max=MAX_CHOICES),
    )
    explanation: Texts | None = Field(
        default=None, description=N_("a mapping with th and/or en text (shown to HR only)")
    )


class ItemFileHead(_Format):
    """A file of items of one bank (kind: items); its items are read one by one (Item)."""

    kind: Literal["items"]
    bank: BankCode
    section: SectionCode = Field(description=N_("lower-case letters a-z, digits and _ (the items' section)"))
    items: list = Field(min_length=1, description=N_("a list of at least one item"))


class ItemFile(ItemFileHead):
    """A file of items of one bank (kind: items)."""

    items: list[Item] = Field(min_length=1, description=N_("a list of at least one item"))


MAX_PRETEST = 10


class Section(_Format):
    """A mapping (code, title, draw, ...)."""

    code: SectionCode
    title: Title = Field(description=N_("a mapping with th and/or en text"))
    points_per_item: float = Field(default=1, gt=0, description=N_("a number above 0"))
    time_limit_minutes: int | None = Field(
        default=None, ge=1, le=MAX_DURATION, description=N_("a whole number from 1 to duration_minutes")
    )
    draw: dict[Band, Annotated[int, Field(ge=0)]] = Field(
        min_length=1, description=N_("items per band, e.g. {easy: 4, medium: 4, hard: 2}")
    )
    pretest: int = Field(
        default=0,
        ge=0,
        le=MAX_PRETEST,
        description=N_(
            "unscored new items added to each form, 0 to %(max)d (docs/psychometrics.md)", max=MAX_PRETEST
        ),
    )
    topics: dict[TopicCode, Annotated[int, Field(ge=0)]] | None = Field(
        default=None,
        description=(
            "exact items per topic on every assembled form, e.g. {budget: 3, law: 7}; they add up to "
            "the draw's total (docs/psychometrics.md)"
        ),
    )


class BlueprintFile(_Format):
    """How an exam is drawn from a bank (kind: blueprint)."""

    kind: Literal["blueprint"]
    code: ExamCode
    bank: BankCode
    title: Title = Field(description=N_("a mapping with th (and en) text"))
    duration_minutes: int = Field(
        ge=1, le=MAX_DURATION, description=N_("a whole number from 1 to %(max)d", max=MAX_DURATION)
    )
    pass_percent: float = Field(
        default=DEFAULT_PASS_PERCENT, gt=0, le=100, description=N_("a number above 0, at most 100")
    )
    results_policy: Literal["immediate", "after_publication"] = Field(
        default=DEFAULT_POLICY, description=codes("immediate", "after_publication")
    )
    shuffle_items: bool = Field(default=True, description=TRUE_OR_FALSE)
    shuffle_choices: bool = Field(default=True, description=TRUE_OR_FALSE)
    multiple_scoring: Literal["all_or_nothing", "partial"] = Field(
        default="all_or_nothing", description=codes("all_or_nothing", "partial")
    )
    sections: list[Section] = Field(min_length=1, description=N_("a list of at least one section"))


class ImportOptions(_Format):
    """What a QTI or GIFT import is told on the command line (the same rules as a file)."""

    bank: BankCode
    section: SectionCode
    topic: TopicCode
    difficulty: Band


SCHEMAS = {"items": ItemFile, "blueprint": BlueprintFile}
# How an error names a model (a document, or a list's element), in the words of its docstring.
MODEL_WORDS = {
    Texts: N_('a mapping with th and/or en text, e.g. {th: "..."}'),
    Title: N_('a mapping with th and/or en text of at most 300 characters, e.g. {th: "..."}'),
    Choice: N_("a mapping {id: a, th: ..., en: ...}"),
    Item: N_("a mapping (id, topic, stem, ...)"),
    ItemFileHead: N_("a file of items of one bank (kind: items); its items are read one by one (Item)"),
    ItemFile: N_("a file of items of one bank (kind: items)"),
    Section: N_("a mapping (code, title, draw, ...)"),
    BlueprintFile: N_("how an exam is drawn from a bank (kind: blueprint)"),
    ImportOptions: N_("what a QTI or GIFT import is told on the command line (the same rules as a file)"),
}


def json_schemas() -> dict[str, str]:
    """File name -> the published JSON Schema of each kind of file (exam_bank/schema/)."""
    out = {}
    for kind, model in SCHEMAS.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{kind}.schema.json",
            **model.model_json_schema(),
        }
        out[f"{kind}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


# ---- errors --------------------------------------------------------------------------------
@dataclass
class BankError:
    """One problem, e.g. `bank/a.yaml: item AN-007: key: "e" is not one of ... (line 57)`.

    `message` and `ref` are Messages (bank_messages): str() is the English line the command
    line prints, `html()` the same in the reader's language for the bank page."""

    file: str
    message: str
    ref: str = ""  # "item AN-007", "blueprint part-a-demo"
    field: str = ""  # "key", "choices[b].th", "sections[analytical].draw.hard"
    line: int | None = None

    def __str__(self) -> str:
        parts = [self.file] + [p for p in (self.ref, self.field) if p] + [self.message]
        text_ = ": ".join(parts)
        return f"{text_} (line {self.line})" if self.line else text_

    def html(self) -> Markup:
        """The line in the reader's language: the file and field as code, the rest in words."""
        parts = [Markup("<code>%s</code>") % self.file] if self.file else []
        if self.ref:
            parts.append(bank_messages.html(self.ref))
        if self.field:
            parts.append(
                bank_messages.html(self.field)
                if isinstance(self.field, Message)
                else Markup("<code>%s</code>") % self.field
            )
        parts.append(bank_messages.html(self.message))
        out = Markup(": ").join(parts)
        if self.line:
            out += Markup(" ") + N_("(line %(line)d)", line=self.line).html()
        return out


def line_of(data, key=None) -> int | None:
    """The line of `key` in a mapping read from YAML, else of the mapping (None if not YAML)."""
    lines = getattr(data, "lines", None) or {}
    return lines.get(key) or getattr(data, "line", None)


def shown(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return N_("a mapping") if isinstance(value, dict) else N_("a list")
    return str(value)


@dataclass
class Problem:
    """An error within one document, before it is given its file and item: `where` is the path
    in the document (("choices", 0, "en")), `field` its name for people ("choices[a].en")."""

    where: tuple
    field: str
    message: str
    line: int | None


def validate(model: type[BaseModel], raw) -> tuple[BaseModel | None, list[Problem]]:
    """The model read from `raw`, or None and the problems, in the words of FORMAT.md."""
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, [_problem(model, raw, err) for err in exc.errors()]


def _problem(model: type[BaseModel], raw, err: dict) -> Problem:
    loc = tuple(p for p in err["loc"] if p != "[key]")
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    info, parent = _field_at(model, loc)
    if info is None or (loc and isinstance(loc[-1], int)):  # the document, a list's element
        words = MODEL_WORDS.get(parent, N_("a mapping"))
    else:
        words = info.description or ""
        words = N_(words) if words and not isinstance(words, Message) else words
    in_draw = len(loc) >= 2 and loc[-2] == "draw"
    if kind == "missing":
        message = N_("required: %(what)s", what=words) if words else N_("required")
    elif kind == "extra_forbidden":
        message = N_("unknown field (allowed: %(fields)s)", fields=", ".join(parent.model_fields))
    elif kind == "literal_error" and in_draw and err["loc"][-1] == "[key]":
        message = N_("unknown band (allowed: %(bands)s)", bands=", ".join(BANDS))
    elif kind == "literal_error":
        message = N_("%(value)s is not one of %(what)s", value=shown(value), what=words)
    elif in_draw:
        message = N_("%(value)s must be a whole number, 0 or more", value=shown(value))
    elif kind == "string_too_long" and getattr(words, "msgid", "") == "text":
        message = N_("longer than %(n)d characters", n=ctx["max_length"])
    elif kind == "string_too_long":
        message = N_("%(value)s is longer than %(n)d characters", value=shown(value), n=ctx["max_length"])
    elif kind == "string_type":
        message = N_("%(value)s must be %(what)s (put it in quotes)", value=shown(value), what=words)
    elif kind in ("too_short", "too_long") and isinstance(value, list):
        message = N_("must be %(what)s (it has %(n)d)", what=words, n=len(value))
    elif kind in ("model_type", "dict_type", "list_type"):
        message = N_("must be %(what)s", what=words)
    else:  # a wrong type or a number out of its range
        message = N_("%(value)s must be %(what)s", value=shown(value), what=words)
    return Problem(loc, _name(raw, loc), message, _line(raw, loc, kind == "missing"))


def _field_at(model, loc) -> tuple[FieldInfo | None, type[BaseModel] | None]:
    """The field at `loc` and the model that holds it; for a list's element, the list field
    and the element's model; for an unknown field, the model that does not know it."""
    info, holder, inside = None, model, model
    for part in loc:
        if isinstance(part, int):
            holder = inside or holder
            continue
        if inside is None or part not in inside.model_fields:
            holder = inside or holder  # a draw's band, or a field the model does not know
            break
        holder, info = inside, inside.model_fields[part]
        inside = _model_in(info.annotation)
    return info, holder


def _model_in(annotation) -> type[BaseModel] | None:
    """The model an annotation holds: Texts, list[Choice], Texts | None, ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _name(raw, loc: tuple) -> str:
    """("choices", 0, "en") -> "choices[a].en" (or "choices[#1].en" when it has no id)."""
    out, node = "", raw
    for part in loc:
        if isinstance(part, int):
            element = node[part] if isinstance(node, list) and part < len(node) else None
            label = element.get("id") or element.get("code") if isinstance(element, dict) else None
            out += f"[{label}]" if isinstance(label, str) and label else f"[#{part + 1}]"
            node = element
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _line(raw, loc: tuple, missing: bool) -> int | None:
    """The line of the innermost mapping key on the path (of the mapping itself if missing)."""
    line, node = getattr(raw, "line", None), raw
    for i, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", None) or line
        elif isinstance(node, dict) and part in node:
            if not (missing and i == len(loc) - 1):
                line = line_of(node, part) or line
            node = node[part]
        else:
            break
    return line


# ---- relations between fields --------------------------------------------------------------
# These run on the parts of a document that are well formed even when others are not, so that
# one reading reports every error (as an author fixing a file expects).
def _sound(problems: list[Problem], *where) -> bool:
    return not any(p.where[: len(where)] == where for p in problems)


def item_rules(raw: dict, problems: list[Problem]) -> list[Problem]:
    """What the schema cannot say about an item: choices where the type has them (unique ids,
    in the stem's languages, no two of the same text), a key that fits the type, a stem with
    text."""
    out = []
    item_type = raw.get("type", "single") if _sound(problems, "type") else None
    has_choices = item_type in ("single", "multiple")
    if item_type is not None and not has_choices and raw.get("choices") is not None:
        out.append(
            Problem(
                ("choices",),
                "choices",
                N_(
                    "a %(type)s item has no choices (only single and multiple items have them)",
                    type=item_type,
                ),
                line_of(raw, "choices"),
            )
        )
        return out
    out += _limit_rules(raw, item_type, problems)
    if has_choices and raw.get("choices") is None:
        out.append(
            Problem(
                ("choices",),
                "choices",
                N_("required: a list of %(min)d to %(max)d choices", min=MIN_CHOICES, max=MAX_CHOICES),
                line_of(raw),
            )
        )
    raw_choices = raw.get("choices") if isinstance(raw.get("choices"), list) else []
    seen = set()
    for position, choice in enumerate(raw_choices):
        cid = choice.get("id") if isinstance(choice, dict) else None
        if isinstance(cid, str) and cid:
            if cid in seen:
                out.append(
                    Problem(
                        ("choices", position, "id"),
                        f"choices[{cid}].id",
                        N_('duplicate choice id "%(id)s"', id=cid),
                        getattr(choice, "line", None),
                    )
                )
            seen.add(cid)
    duplicates = bool(out)
    stem = Texts.model_validate(raw["stem"]).both() if _sound(problems, "stem") else None
    if stem is not None and not any(stem.values()):
        out.append(Problem(("stem",), "stem", N_("needs text in th or en"), line_of(raw, "stem")))
        stem = None  # no languages to compare the choices with
    if item_type is not None and not has_choices:
        if _sound(problems, "key") and "key" in raw:
            out += _key_rules(raw, item_type, [])
        return out
    if duplicates or not _sound(problems, "choices") or not raw_choices:
        return out
    choices = [Choice.model_validate(c) for c in raw_choices]
    choices = [{"id": c.id, "th": c.th or "", "en": c.en or ""} for c in choices]
    ids, cline = [c["id"] for c in choices], line_of(raw, "choices")
    if item_type is not None and _sound(problems, "key") and "key" in raw:
        out += _key_rules(raw, item_type, ids)
    if stem is None:
        return out
    for lang in LANGS:
        language = N_("Thai") if lang == "th" else N_("English")
        missing = [c["id"] for c in choices if stem[lang] and not c[lang]]
        extra = [c["id"] for c in choices if c[lang] and not stem[lang]]
        if missing:
            out.append(
                Problem(
                    ("choices",),
                    f"choices.{lang}",
                    (
                        N_(
                            "choices %(ids)s without %(lang)s text: the stem has %(language)s text, so "
                            "every choice needs it too",
                            ids=", ".join(missing),
                            lang=lang,
                            language=language,
                        )
                        if len(missing) > 1
                        else N_(
                            "choice %(ids)s without %(lang)s text: the stem has %(language)s text, so "
                            "every choice needs it too",
                            ids=", ".join(missing),
                            lang=lang,
                            language=language,
                        )
                    ),
                    cline,
                )
            )
        if extra:
            out.append(
                Problem(
                    ("choices",),
                    f"choices.{lang}",
                    (
                        N_(
                            "choices %(ids)s with %(lang)s text: the stem has no %(language)s text, so "
                            "the choices may not have it",
                            ids=", ".join(extra),
                            lang=lang,
                            language=language,
                        )
                        if len(extra) > 1
                        else N_(
                            "choice %(ids)s with %(lang)s text: the stem has no %(language)s text, so "
                            "the choices may not have it",
                            ids=", ".join(extra),
                            lang=lang,
                            language=language,
                        )
                    ),
                    cline,
                )
            )
        if missing or extra:
            continue
        for text_, n in Counter(c[lang] for c in choices if c[lang]).items():
            if n > 1:
                dup = [c["id"] for c in choices if c[lang] == text_]
                out.append(
                    Problem(
                        ("choices",),
                        f"choices.{lang}",
                        N_(
                            "choices %(ids)s have the same text %(text)s",
                            ids=", ".join(dup),
                            text=shown(text_),
                        ),
                        cline,
                    )
                )
    return out


def _limit_rules(raw: dict, item_type: str | None, problems: list[Problem]) -> list[Problem]:
    """min_choices and max_choices: multiple response only, min at most max, max at most the
    number of choices and at least the number of right ones (else no answer earns the item)."""
    limits = {f: raw.get(f) for f in ("min_choices", "max_choices") if raw.get(f) is not None}
    if not limits or item_type is None or not all(_sound(problems, f) for f in limits):
        return []
    first = next(iter(limits))
    if item_type != "multiple":
        return [
            Problem(
                (first,),
                first,
                N_("only a multiple item says how many choices to choose"),
                line_of(raw, first),
            )
        ]
    low, high = limits.get("min_choices"), limits.get("max_choices")
    line = line_of(raw, "max_choices" if high is not None else "min_choices")
    if low is not None and high is not None and low > high:
        return [
            Problem(
                ("min_choices",),
                "min_choices",
                N_("%(low)d is more than max_choices %(high)d", low=low, high=high),
                line,
            )
        ]
    choices = raw.get("choices") if isinstance(raw.get("choices"), list) else []
    top = high if high is not None else low
    if choices and top > len(choices):
        field_ = "max_choices" if high is not None else "min_choices"
        message = N_("%(top)d is more than the item's %(n)d choices", top=top, n=len(choices))
        return [Problem((field_,), field_, message, line)]
    key = raw.get("key")
    if high is not None and isinstance(key, list) and len(key) > high and _sound(problems, "key"):
        return [
            Problem(
                ("max_choices",),
                "max_choices",
                N_(
                    "the key has %(n)d right choices; max_choices %(high)d would make it unanswerable",
                    n=len(key),
                    high=high,
                ),
                line,
            )
        ]
    return []


def _key_rules(raw: dict, item_type: str, ids: list[str]) -> list[Problem]:
    """The key fits the item's type (see `normalised_key`)."""
    key, line = raw["key"], line_of(raw, "key")

    def wrong(message: str) -> list[Problem]:
        return [Problem(("key",), "key", message, line)]

    if item_type == "single":
        if not isinstance(key, str) or key not in ids:
            return wrong(
                N_("%(key)s is not one of the choice ids %(ids)s", key=shown(key), ids=", ".join(ids))
            )
    elif item_type == "multiple":
        if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
            return wrong(N_("%(key)s must be a list of the right choice ids, e.g. [a, c]", key=shown(key)))
        unknown = [k for k in key if k not in ids]
        if unknown:
            return wrong(
                N_(
                    "%(unknown)s not among the choice ids %(ids)s",
                    unknown=", ".join(unknown),
                    ids=", ".join(ids),
                )
            )
        if len(set(key)) != len(key):
            return wrong(N_("a choice id is listed twice"))
    elif item_type == "true_false":
        if not isinstance(key, bool):
            return wrong(N_("%(key)s must be %(what)s", key=shown(key), what=TRUE_OR_FALSE))
    elif item_type == "numeric":
        answers = key if isinstance(key, list) else [key]
        if not answers:
            return wrong(N_("must be {value: ..., tolerance: ...} or a list of them"))
        for answer in answers:
            if not isinstance(answer, dict) or "value" not in answer or set(answer) - {"value", "tolerance"}:
                return wrong(N_("must be {value: ..., tolerance: ...} or a list of them"))
            if _number(answer["value"]) is None:
                return wrong(N_("value %(value)s must be a number", value=shown(answer["value"])))
            tolerance = _number(answer.get("tolerance", 0))
            if tolerance is None or tolerance < 0:
                return wrong(
                    N_(
                        "tolerance %(value)s must be a number, 0 or more",
                        value=shown(answer.get("tolerance")),
                    )
                )
    elif item_type == "text":
        answers = key if isinstance(key, list) else [key]
        if not answers or not all(isinstance(a, str) and a.strip() for a in answers):
            return wrong(
                N_("%(key)s must be a quoted text or a list of them (the accepted answers)", key=shown(key))
            )
        if any(len(a) > ANSWER_MAX for a in answers):
            return wrong(N_("an accepted answer is longer than %(n)d characters", n=ANSWER_MAX))
    return []


def _number(value) -> Decimal | None:
    return parse_number(value) if not isinstance(value, bool) else None


def normalised_key(item_type: str, key):
    """The key as stored (ItemVersion.key) from a checked item's `key`."""
    if item_type == "true_false":
        return "t" if key else "f"
    if item_type == "multiple":
        return sorted(key)
    if item_type == "numeric":
        return [
            {
                "value": number_text(_number(a["value"])),
                "tolerance": number_text(_number(a.get("tolerance", 0))),
            }
            for a in (key if isinstance(key, list) else [key])
        ]
    if item_type == "text":
        return [shown_text(a) for a in (key if isinstance(key, list) else [key])]
    return key


def blueprint_rules(raw: dict, problems: list[Problem]) -> list[Problem]:
    """What the schema cannot say about a blueprint: a Thai title, section codes once, titles
    with text, time limits within the test, at least one item drawn per section, and topic
    counts that add up to the draw."""
    out = []
    if _sound(problems, "title") and not Title.model_validate(raw["title"]).th:
        out.append(
            Problem(
                ("title", "th"), "title.th", N_("required: the Thai title of the exam"), line_of(raw, "title")
            )
        )
    duration = raw["duration_minutes"] if _sound(problems, "duration_minutes") else MAX_DURATION
    raw_sections = raw.get("sections") if isinstance(raw.get("sections"), list) else []
    seen = set()
    for position, section in enumerate(raw_sections):
        if not isinstance(section, dict):
            continue
        line, at = getattr(section, "line", None), ("sections", position)
        code = section["code"] if _sound(problems, *at, "code") else None
        name = f"sections[{code}]" if code else f"sections[#{position + 1}]"
        if code in seen:
            out.append(
                Problem(
                    (*at, "code"), f"{name}.code", N_('section "%(code)s" is listed twice', code=code), line
                )
            )
        seen.add(code)
        if _sound(problems, *at, "title"):
            title = Title.model_validate(section["title"])
            if not title.th and not title.en:
                out.append(Problem((*at, "title"), f"{name}.title", N_("needs text in th or en"), line))
        limit = section.get("time_limit_minutes")
        if _sound(problems, *at, "time_limit_minutes") and limit is not None and limit > duration:
            out.append(
                Problem(
                    (*at, "time_limit_minutes"),
                    f"{name}.time_limit_minutes",
                    N_(
                        "%(limit)d must be a whole number from 1 to %(duration)d (duration_minutes)",
                        limit=limit,
                        duration=duration,
                    ),
                    line_of(section, "time_limit_minutes"),
                )
            )
        if _sound(problems, *at, "draw") and not sum(section["draw"].values()):
            out.append(
                Problem((*at, "draw"), f"{name}.draw", N_("draws no items at all"), line_of(section, "draw"))
            )
        topics = section.get("topics")
        if _sound(problems, *at, "draw") and _sound(problems, *at, "topics") and topics is not None:
            want = sum(section["draw"].values())
            if sum(topics.values()) != want:
                out.append(
                    Problem(
                        (*at, "topics"),
                        f"{name}.topics",
                        f"the topics add up to {sum(topics.values())} items; the draw takes {want}",
                        line_of(section, "topics"),
                    )
                )
    return out


def import_option_errors(values: dict) -> list[BankError]:
    """The options of a QTI or GIFT import (bank, section, topic, difficulty), as errors."""
    _options, problems = validate(ImportOptions, values)
    return [BankError("options", p.message, "", f"--{p.field}") for p in problems]


# ---- across files --------------------------------------------------------------------------
def check_bank(loaded: LoadedBank) -> None:
    """The rules across files: unique ids and codes, and blueprints the bank can fill."""
    first: dict[tuple[str, str], BankItem] = {}
    unique = []
    for item in loaded.items:
        other = first.get((item.bank, item.code))
        if other is not None:
            also = (
                N_(
                    'duplicate id in bank "%(bank)s", also in %(file)s at line %(line)d',
                    bank=item.bank,
                    file=other.file,
                    line=other.line,
                )
                if other.line
                else N_('duplicate id in bank "%(bank)s", also in %(file)s', bank=item.bank, file=other.file)
            )
            loaded.errors.append(
                BankError(
                    item.file,
                    also,
                    N_("item %(code)s", code=item.code),
                    "id",
                    item.line,
                )
            )
            continue
        first[(item.bank, item.code)] = item
        unique.append(item)
    loaded.items = unique

    available = Counter((i.bank, i.section, i.difficulty) for i in loaded.items)
    sections_of = {(i.bank, i.section) for i in loaded.items}
    banks = {i.bank for i in loaded.items}
    codes: dict[str, Blueprint] = {}
    for bp in loaded.blueprints:

        def error(field_: str, message: str, line: int | None = None, bp=bp) -> None:
            loaded.errors.append(
                BankError(bp.file, message, N_("blueprint %(code)s", code=bp.code), field_, line or bp.line)
            )

        if bp.code in codes:
            error("code", N_("duplicate exam code, also in %(file)s", file=codes[bp.code].file))
        codes.setdefault(bp.code, bp)
        if bp.bank not in banks:
            error("bank", N_('no items of bank "%(bank)s" in the files read', bank=bp.bank))
            continue
        for section in bp.sections:
            name = f"sections[{section['code']}]"
            line = bp.section_lines.get(section["code"])
            if (bp.bank, section["code"]) not in sections_of:
                error(
                    name,
                    N_(
                        'bank "%(bank)s" has no items in section "%(section)s"',
                        bank=bp.bank,
                        section=section["code"],
                    ),
                    line,
                )
                continue
            for band, needed in section["draw"].items():
                have = available[(bp.bank, section["code"], band)]
                if needed > have:
                    error(
                        f"{name}.draw.{band}",
                        N_(
                            'needs %(n)d %(band)s items of section %(section)s, bank "%(bank)s" has %(have)d',
                            n=needed,
                            band=band,
                            section=section["code"],
                            bank=bp.bank,
                            have=have,
                        ),
                        line,
                    )
    sort_errors(loaded)


def sort_errors(loaded: LoadedBank) -> None:
    """Errors in the order of the files, then of the lines (cross-file ones come last otherwise)."""
    order = {name: i for i, name in enumerate(loaded.files)}
    loaded.errors.sort(key=lambda e: (order.get(e.file, -1), e.line or 0))
