"""Moodle GIFT files into bank items: multiple choice, multiple answers, true/false, short
answer and numerical questions are taken; matching, essays and descriptions are skipped.

Follows Moodle's GIFT format (docs.moodle.org, "GIFT format"): questions separated by blank
lines, `//` comment lines, `$CATEGORY:` lines, `::title::`, a format tag ([moodle], [html],
[plain], [markdown]) before a question's or an answer's text, answers in `{ }` with `=` right
and `~` wrong, weights `~%50%`, `#` feedback, `####` general feedback, `{T}`/`{F}`, `{#3.14:0.01}`
and `{#1..5}`, and the escapes \\~ \\= \\# \\{ \\} \\: \\\\ and \\n. HTML comments are removed
entirely; a question with an image or a sound the file cannot carry is skipped, with the reason.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .. import media
from ..bank_files import Limits, LoadedBank, Skipped, item_from_dict
from ..bank_format import MAX_CHOICES, MIN_CHOICES, BankError, check_bank
from ..bank_messages import N_
from .shared import (
    Defaults,
    as_item,
    choice_ids,
    file_prefix,
    item_code,
    language_of,
    normalise,
    start_load,
    topic_code,
)

# Escaped characters become private-use characters while parsing, and come back at the end.
_ESCAPED = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
    "n": "\ue007",
}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPED.items()})
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT_TAG = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_MEDIA = re.compile(
    r"<\s*(img|audio|video|object|embed|source|iframe)\b[^>]*?(?:src|data)\s*=\s*[\"']?([^\"'\s>]*)"
    r"|!\[[^\]]*\]\(([^)\s]*)",
    re.IGNORECASE,
)
_TRUE_FALSE = re.compile(r"(T|F|TRUE|FALSE)\s*(#.*)?", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)

NOT_TAKEN = N_("the bank holds single and multiple choice, true/false, numeric and short text items")


def load_gift(path, defaults: Defaults, bounds: Limits | None = None) -> LoadedBank:
    """Read a GIFT file, or every .gift/.txt file of a folder."""
    loaded, root = start_load(path, defaults, bounds)
    if root is None:
        return loaded
    files = (
        [root]
        if root.is_file()
        else sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".gift", ".txt"))
    )
    if not files:
        loaded.errors.append(BankError(str(path), N_("no .gift or .txt files here")))
    for file in files:
        _read_file(file, defaults, loaded)
    check_bank(loaded)
    return loaded


def _blocks(text: str):
    """(first line number, lines) of each question: blank lines separate, // lines are dropped."""
    lines: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if lines:
                yield start, lines
            lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        yield start, lines


def _read_file(file: Path, defaults: Defaults, loaded: LoadedBank) -> None:
    name = str(file)
    loaded.files.append(name)
    if not loaded.fits(name, file.stat().st_size):
        return
    try:
        content = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        loaded.errors.append(BankError(name, N_("not UTF-8 text; save the file as UTF-8")))
        return
    topic, number = defaults.topic, 0
    for line, lines in _blocks(content):
        if lines[0].strip().startswith("$CATEGORY:"):
            category = lines[0].strip()[len("$CATEGORY:") :].strip()
            last = [p for p in category.split("/") if p.strip()][-1:] or [""]
            topic = topic_code(last[0]) or defaults.topic
            if not topic_code(last[0]):
                loaded.warnings.append(
                    BankError(
                        name,
                        N_(
                            'no Latin letters to make a topic code; its questions get topic "%(topic)s"',
                            topic=defaults.topic,
                        ),
                        f"$CATEGORY: {category}",
                        line=line,
                    )
                )
            lines, line = lines[1:], line + 1
            if not lines:
                continue
        number += 1
        _read_question(name, line, number, "\n".join(lines), topic, defaults, loaded)


def _clean(text: str, is_html: bool) -> str:
    """Plain text from a question's or an answer's text: its own format tag dropped, images and
    sounds kept with the item as `![alt](file)`, HTML made text when the question is HTML."""
    tag = _FORMAT_TAG.match(text)
    if tag:
        text = text[tag.end() :]
        is_html = is_html or tag.group(1).lower() in ("html", "moodle")
    text = media.html_media_to_markdown(text, _RESTORE)  # images and audio kept with the item
    if is_html:
        text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
    return normalise(text).translate(_RESTORE).strip()


def media_of(text: str) -> list[str]:
    """The videos, objects and frames a text shows (their sources): the bank keeps an item's
    images and sounds (`<img>`, `<audio src>`, `![alt](file)`, app/exams/media.py), not these."""
    kept = media.html_media_to_markdown(text, _RESTORE)
    return [m.group(2) or m.group(1) for m in _MEDIA.finditer(kept) if m.group(1)]


def _read_question(
    name: str, line: int, number: int, text: str, topic: str, defaults: Defaults, loaded: LoadedBank
) -> None:
    text = _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], _COMMENT.sub("", text)).strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            loaded.errors.append(
                BankError(
                    name, N_('the title is not closed with "::"'), N_("question %(n)d", n=number), line=line
                )
            )
            return
        title, text = text[2:end].translate(_RESTORE).strip(), text[end + 2 :]
    ref = N_('question "%(title)s"', title=title) if title else N_("question %(n)d", n=number)

    def skip(reason: str) -> None:
        loaded.skipped.append(Skipped(name, ref, reason, line))

    def error(message: str) -> None:
        loaded.errors.append(BankError(name, message, ref, line=line))

    tag = _FORMAT_TAG.match(text)
    is_html = bool(tag) and tag.group(1).lower() in ("html", "moodle")
    if tag:
        text = text[tag.end() :]
    opening = text.find("{")
    if opening < 0:
        return skip(N_("a description (no answers in { }), not a question"))
    closing = text.find("}", opening)
    if closing < 0:
        return error(N_('the answer block "{" is not closed with "}" (escape a literal brace as \\{)'))
    if "{" in text[opening + 1 : closing] or "{" in text[closing + 1 :]:
        return error(N_("more than one { (escape a literal brace as \\{)"))
    not_kept = media_of(text)
    if not_kept:
        return skip(
            N_(
                "shows %(files)s, which the bank does not keep; without it the question cannot be "
                "answered (add it with the bank's page or a QTI package)",
                files=", ".join(m or "media" for m in not_kept),
            )
        )
    before, inner, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    # Text after the answers makes a "missing word" question: the blank stands for the answer.
    stem_raw = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
    stem = _clean(stem_raw, is_html)

    answers, _, general = inner.partition("####")
    answers = answers.strip()
    explanation = _clean(general, is_html)
    if not answers:
        return skip(N_("an essay question ({} with no answers); %(taken)s", taken=NOT_TAKEN))
    if "->" in answers:
        return skip(N_("a matching question (->); %(taken)s", taken=NOT_TAKEN))
    if answers.startswith("#"):
        shape = _numeric(answers[1:])
        if isinstance(shape, str):
            return error(shape)
        item_type, choices, key = "numeric", None, shape
    elif _TRUE_FALSE.fullmatch(answers):
        item_type, choices, key = "true_false", None, answers.split("#", 1)[0].strip()[:1].upper() == "T"
    else:
        marks = list(re.finditer(r"[=~]", answers))
        if not marks or answers[: marks[0].start()].strip():
            return error(N_("each answer must start with = (right) or ~ (wrong)"))
        parts = []
        for mark, following in zip(marks, [*marks[1:], None]):
            body = answers[mark.end() : following.start() if following else len(answers)]
            answer, _, feedback = body.partition("#")
            weight = _WEIGHT.match(answer)
            share = float(weight.group(1)) if weight else (100.0 if mark.group() == "=" else 0.0)
            if weight:
                answer = answer[weight.end() :]
            parts.append((mark.group(), _clean(answer, is_html), share, feedback))
        if all(sign == "=" for sign, *_rest in parts):
            # Short answer: every answer is accepted; a partly right one (=%50%) is not.
            accepted = [text_ for _sign, text_, share, _fb in parts if share >= 100]
            if not accepted:
                return skip(
                    N_("a short-answer question with no fully right answer; %(taken)s", taken=NOT_TAKEN)
                )
            item_type, choices, key = "text", None, accepted
        else:
            right = [i for i, (_sign, _t, share, _fb) in enumerate(parts) if share > 0]
            if not right:
                return error(N_("no answer is marked right (= or a positive %(weight)s)", weight="%weight%"))
            if not MIN_CHOICES <= len(parts) <= MAX_CHOICES:
                return skip(
                    N_(
                        "has %(n)d choices; an item has %(min)d to %(max)d",
                        n=len(parts),
                        min=MIN_CHOICES,
                        max=MAX_CHOICES,
                    )
                )
            choices = [text_ for _sign, text_, _share, _fb in parts]
            ids = choice_ids(len(parts))
            if len(right) == 1 and parts[right[0]][2] >= 100:
                item_type, key = "single", ids[right[0]]
                explanation = explanation or _clean(parts[right[0]][3], is_html)
            else:
                item_type, key = "multiple", [ids[i] for i in right]
    if title:
        code = item_code(title, file_prefix(name), title)
    else:
        code = f"{file_prefix(name)}-{number:03d}"
        loaded.warnings.append(
            BankError(
                name,
                N_(
                    "no %(title)s, so its id %(code)s comes from its place in the file; give it a title "
                    "such as %(example)s to keep the id when questions are added",
                    title="::title::",
                    code=code,
                    example=f"::{code}::",
                ),
                N_("question %(n)d", n=number),
                line=line,
            )
        )
    raw = as_item(
        code=code,
        topic=topic,
        difficulty=defaults.difficulty,
        lang=language_of(stem),
        stem=stem,
        choices=choices,
        explanation=explanation,
        item_type=item_type,
        key=key,
    )
    item = item_from_dict(
        raw,
        loaded,
        file=name,
        bank=defaults.bank,
        section=defaults.section,
        position=number,
        line=line,
        source=f"gift {name} line {line}" + (f" ::{title}::" if title else ""),
        origin=f"gift {Path(name).name} " + (f"::{title}::" if title else f"question {number}"),
    )
    if item is not None:
        loaded.items.append(item)


def _numeric(answers: str):
    """The key of a numerical question ({#...}): [{value, tolerance}] of its fully right
    answers, from `3.14:0.01`, `1..5` (a range) or `=1822:0 =%50%1822:2`; or an error."""
    answers = answers.strip()
    parts = [p for p in re.split(r"(?=[=~])", answers) if p.strip()] if answers[:1] in "=~" else [answers]
    key = []
    for part in parts:
        sign = part[0] if part[0] in "=~" else "="
        body = part[1:] if part[0] in "=~" else part
        body = body.split("#", 1)[0].strip()
        weight = _WEIGHT.match(body)
        share = float(weight.group(1)) if weight else (100.0 if sign == "=" else 0.0)
        if weight:
            body = body[weight.end() :].strip()
        if share < 100:
            continue
        low, dots, high = body.partition("..")
        try:
            if dots:
                low_n, high_n = Decimal(low.strip()), Decimal(high.strip())
                key.append({"value": str((low_n + high_n) / 2), "tolerance": str(abs(high_n - low_n) / 2)})
            else:
                value, _colon, tolerance = body.partition(":")
                value_n, tolerance_n = Decimal(value.strip()), Decimal(tolerance.strip() or "0")
                key.append({"value": str(value_n), "tolerance": str(tolerance_n)})
        except InvalidOperation:
            return N_(
                "%(answers)s: %(value)s is not a number, a number:tolerance or a range low..high",
                answers=f"{{#{answers}}}",
                value=repr(body),
            )
    if not key:
        return N_("%(answers)s: no fully right answer", answers=f"{{#{answers}}}")
    return key
