"""Moodle GIFT files into bank items: single-answer multiple choice is taken, the rest skipped.

Follows Moodle's GIFT format: questions separated by blank lines, `//` comment lines,
`$CATEGORY:` lines, `::title::`, answers in `{ }` with `=` right and `~` wrong, `#` feedback,
`####` general feedback, and the escapes \\~ \\= \\# \\{ \\} \\: \\\\ and \\n.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .. import media
from ..bank_files import LoadedBank, Skipped, item_from_dict
from ..bank_format import MAX_CHOICES, MIN_CHOICES, BankError, check_bank
from . import Defaults, as_item, file_prefix, item_code, language_of, normalise, start_load, topic_code

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
_WEIGHT = re.compile(r"^\s*%-?\d+(?:\.\d+)?%")
_TRUE_FALSE = re.compile(r"(T|F|TRUE|FALSE)\s*(#.*)?", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)

ONLY_MC = "only single-answer multiple choice is imported"


def load_gift(path, defaults: Defaults) -> LoadedBank:
    """Read a GIFT file, or every .gift/.txt file of a folder."""
    loaded, root = start_load(path, defaults)
    if root is None:
        return loaded
    files = (
        [root]
        if root.is_file()
        else sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".gift", ".txt"))
    )
    if not files:
        loaded.errors.append(BankError(str(path), "no .gift or .txt files here"))
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
    try:
        content = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        loaded.errors.append(BankError(name, "not UTF-8 text; save the file as UTF-8"))
        return
    topic, number = defaults.topic, 0
    for line, lines in _blocks(content):
        if lines[0].strip().startswith("$CATEGORY:"):
            category = lines[0].strip()[len("$CATEGORY:") :].strip()
            last = [p for p in category.split("/") if p.strip()][-1:] or [""]
            topic = topic_code(last[0]) or defaults.topic
            if not topic_code(last[0]):
                loaded.warnings.append(
                    f"{name}: $CATEGORY: {category} (line {line}): no Latin "
                    f"letters to make a topic code; its questions get topic "
                    f'"{defaults.topic}"'
                )
            lines, line = lines[1:], line + 1
            if not lines:
                continue
        number += 1
        _read_question(name, line, number, "\n".join(lines), topic, defaults, loaded)


def _clean(text: str, is_html: bool) -> str:
    text = media.html_media_to_markdown(text, _RESTORE)  # images and audio kept with the item
    if is_html:
        text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
    return normalise(text).translate(_RESTORE).strip()


def _read_question(
    name: str, line: int, number: int, text: str, topic: str, defaults: Defaults, loaded: LoadedBank
) -> None:
    text = _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], text).strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            loaded.errors.append(
                BankError(name, 'the title is not closed with "::"', f"question {number}", line=line)
            )
            return
        title, text = text[2:end].translate(_RESTORE).strip(), text[end + 2 :]
    ref = f'question "{title}"' if title else f"question {number}"

    def skip(reason: str) -> None:
        loaded.skipped.append(Skipped(name, ref, reason, line))

    def error(message: str) -> None:
        loaded.errors.append(BankError(name, message, ref, line=line))

    tag = _FORMAT_TAG.match(text)
    is_html = bool(tag) and tag.group(1).lower() == "html"
    if tag:
        text = text[tag.end() :]
    opening = text.find("{")
    if opening < 0:
        return skip("a description (no answers in { }), not a question")
    closing = text.find("}", opening)
    if closing < 0:
        return error('the answer block "{" is not closed with "}" (escape a literal brace as \\{)')
    if "{" in text[opening + 1 : closing] or "{" in text[closing + 1 :]:
        return error("more than one { (escape a literal brace as \\{)")
    before, inner, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    # Text after the answers makes a "missing word" question: the blank stands for the answer.
    stem_raw = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
    stem = _clean(stem_raw, is_html)

    answers, _, general = inner.partition("####")
    answers = answers.strip()
    if not answers:
        return skip(f"an essay question ({{}} with no answers); {ONLY_MC}")
    if answers.startswith("#"):
        return skip(f"a numerical question ({{#...}}); {ONLY_MC}")
    if _TRUE_FALSE.fullmatch(answers):
        return skip(f"a true/false question; {ONLY_MC}")
    if "->" in answers:
        return skip(f"a matching question (->); {ONLY_MC}")
    marks = list(re.finditer(r"[=~]", answers))
    if not marks or answers[: marks[0].start()].strip():
        return error("each answer must start with = (right) or ~ (wrong)")
    parts = []
    for mark, following in zip(marks, [*marks[1:], None]):
        body = answers[mark.end() : following.start() if following else len(answers)]
        answer, _, feedback = body.partition("#")
        parts.append((mark.group(), answer, feedback))
    if any(_WEIGHT.match(answer) for _, answer, _ in parts):
        return skip(f"weighted answers (%...%): several right answers or partial credit; {ONLY_MC}")
    right = [i for i, (sign, _, _) in enumerate(parts) if sign == "="]
    if len(right) == len(parts):
        return skip(f"a short-answer question (only = answers); {ONLY_MC}")
    if len(right) != 1:
        return skip(f"{len(right)} answers marked right (=); {ONLY_MC}")
    if not MIN_CHOICES <= len(parts) <= MAX_CHOICES:
        return skip(f"has {len(parts)} choices; an item has {MIN_CHOICES} to {MAX_CHOICES}")

    choices = [_clean(answer, is_html) for _, answer, _ in parts]
    explanation = _clean(general, is_html) or _clean(parts[right[0]][2], is_html)
    if title:
        code = item_code(title, file_prefix(name), title)
    else:
        code = f"{file_prefix(name)}-{number:03d}"
        loaded.warnings.append(
            f"{name}: question {number} (line {line}): no ::title::, so its id "
            f"{code} comes from its place in the file; give it a title such "
            f"as ::{code}:: to keep the id when questions are added"
        )
    raw = as_item(
        code=code,
        topic=topic,
        difficulty=defaults.difficulty,
        lang=language_of(stem),
        stem=stem,
        choices=choices,
        key_index=right[0],
        explanation=explanation,
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
    )
    if item is not None:
        loaded.items.append(item)
