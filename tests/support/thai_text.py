"""Finding English on a page shown in Thai: the text a person sees (and hears: aria-label, alt,
title, placeholder), with what is not language (codes, numbers, emails, file names, digests)
taken out, and the English the catalogue has a Thai translation for."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "app/translations/th/LC_MESSAGES/messages.po"
# Elements whose content is not shown as text, or is not in the page's language on purpose.
SKIPPED = {"script", "style", "template", "code", "kbd", "pre", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SPOKEN = ("aria-label", "alt", "title", "placeholder")


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its content skipped?

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        # lang="en" marks English on purpose (the language switch); hidden inputs are not seen.
        skip = self._skipping() or tag in SKIPPED or a.get("lang", "th") != "th" or a.get("translate") == "no"
        if not skip:
            self.parts.extend(a[name] for name in SPOKEN if a.get(name))
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.parts.append(a["value"])
        if tag not in VOID:
            self.stack.append(skip)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._skipping():
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a sighted or screen-reader user of the page meets, as one string."""
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# Not language: e-mail addresses, links, file names and extensions (".gift"), long hex (digests),
# anything with a digit (codes like R1-2569, CSC-01, 09:30, 3.21).
_NOT_WORDS = re.compile(
    r"\S+@\S+|https?://\S+|\S*\.(?:pdf|png|jpe?g|csv|xlsx|ics|json|ya?ml|zip|xml|gift|txt)\b"
    r"|\b[0-9a-f]{8,}\b|\S*\d\S*",
    re.IGNORECASE,
)
# Codes that are not language either: abbreviations in capitals (agency codes CSC, BKN; KB) and
# identifiers typed with hyphens (the exam code part-a-demo). A code with underscores (id_card,
# part_b) is what a label should have replaced, so it counts as one word, allowed only by name.
_CAPITALS = re.compile(r"\b[A-Z]{2,6}\b")
_HYPHENATED = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:_[A-Za-z]+)*")


def english_words(text: str, allowed: set[str], phrases: tuple[str, ...] = ()) -> set[str]:
    """Latin-letter words (or underscore codes) of two letters or more that are not on the allow
    list, once the allowed `phrases` (data entered in English) are taken out."""
    for phrase in phrases:
        text = text.replace(phrase, " ")
    text = _HYPHENATED.sub(" ", _CAPITALS.sub(" ", _NOT_WORDS.sub(" ", text)))
    return {w for w in _WORD.findall(text) if len(w) > 1 and w not in allowed}


@cache
def translated_phrases() -> tuple[str, ...]:
    """English phrases of the catalogue (three words or more, placeholders cut out) that have a
    Thai translation: one of them on a Thai page is text that missed its translation."""
    with open(CATALOGUE, "rb") as fh:
        catalogue = read_po(fh)
    phrases = set()
    for m in catalogue:
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        msgstr = m.string if isinstance(m.string, str) else m.string[0]
        if not msgid or not msgstr or msgstr == msgid:
            continue
        for chunk in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", msgid):
            chunk = chunk.strip(" .,:;()“”\"'")
            if len(chunk.split()) >= 3:
                phrases.add(chunk)
    return tuple(sorted(phrases))


def untranslated_phrases(text: str) -> list[str]:
    return [p for p in translated_phrases() if p in text]
