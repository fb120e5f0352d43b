"""Item text as candidates see it: a safe Markdown subset (bold, italic, lists, tables, images
with alternative text, audio) rendered to HTML once per text and sanitised again.

Every page that shows an item (the online test, the bank's preview and item pages, the
results' item analysis) renders it here, so a question looks the same everywhere. Raw HTML in
the text is never passed through: markdown-it-py runs with HTML off, and its output is cleaned
by nh3 with an allow-list as defence in depth. Images and audio name files kept with the item
in the bank (app/exams/media.py); the caller says where those are served (`media_base`), since
only views know URLs. Rendering is cached per process by (text, media base, language): an item
version never changes, so the online test's hot path renders each question once.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from urllib.parse import quote, unquote

import nh3
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup

from .bank_messages import N_

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".wav": "audio/wav",
}
NAME_MAX = 200  # ItemAsset.name
RENDER_CACHE = 8192  # texts kept rendered per process (a bank of a few thousand items)

TABLE_LABEL = _l("Table")
TABLE_HINT = _l("If the table is wider than the screen, scroll it sideways to see every column.")
AUDIO_LABEL = _l("Audio")
TRANSCRIPT_LABEL = _l("Transcript of the audio:")


# The subset: paragraphs, line breaks, bold, italic, lists, tables, code, quotes, images. No
# raw HTML, no links (a candidate must not leave the test), no headings (the page's outline is
# the page's), no reference definitions.
def _new_parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
        .enable("table")
        .disable(["html_block", "html_inline", "link", "autolink", "heading", "lheading", "reference"])
    )


_parser = _new_parser()

_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
    "div", "span", "img", "audio", "s",
}  # fmt: skip
_ATTRIBUTES = {
    "div": {"class", "role", "tabindex", "aria-label"},
    "p": {"class"},
    "span": {"class"},
    "th": {"class", "scope"},
    "td": {"class"},
    "ol": {"start"},
    "img": {"src", "alt", "loading", "class"},
    "audio": {"src", "controls", "preload", "aria-label", "class"},
}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ALIGN = re.compile(r"text-align:(left|right|center)")


@dataclass(frozen=True)
class MediaRef:
    """An image or audio file a text names: `![alt](name)`."""

    name: str
    alt: str
    kind: str  # "image" | "audio" | "other"
    remote: bool = False  # a URL or data: (not a file kept with the item)


def media_kind(name: str) -> str:
    ext = posixpath.splitext(name.lower())[1]
    return "image" if ext in IMAGE_TYPES else "audio" if ext in AUDIO_TYPES else "other"


def is_remote(src: str) -> bool:
    """A URL (http:, data:, //host/...) rather than the name of a file kept with the item."""
    return bool(_SCHEME.match(src)) or src.startswith("//")


def references(text: str) -> list[MediaRef]:
    """The images and audio files `text` names, in order."""
    out = []
    for token in _parser.parse(text or ""):
        for child in token.children or ():
            if child.type != "image":
                continue
            src = unquote(str(child.attrs.get("src", "")))
            out.append(MediaRef(src, child.content.strip(), media_kind(src), is_remote(src)))
    return out


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a file kept with an item, or None."""
    if not name:
        return N_("an image or audio reference without a file name")
    if len(name) > NAME_MAX:
        return N_("the file name %(name)s… is longer than %(n)d characters", name=name[:40], n=NAME_MAX)
    clean = posixpath.normpath(name)
    if name.startswith("/") or clean.startswith("..") or "\\" in name or any(ord(c) < 32 for c in name):
        return N_('"%(name)s" must be a file next to the item file (a relative name without ..)', name=name)
    return None


def text_problems(text: str) -> list[str]:
    """What the validator refuses in one text: an image without alternative text, a picture or
    sound fetched from elsewhere (the test runs without the internet), a file of an unknown kind.
    Each message says how to fix it."""
    problems = []
    for ref in references(text):
        if ref.remote:
            problems.append(
                N_(
                    '"%(name)s" is a link; put the file next to the item file and name it '
                    "instead (the test page loads nothing from elsewhere)",
                    name=ref.name[:60],
                )
            )
            continue
        why = name_problem(ref.name)
        if why:
            problems.append(why)
        elif ref.kind == "other":
            problems.append(
                N_(
                    '"%(name)s" is neither an image (%(images)s) nor audio (%(audio)s)',
                    name=ref.name,
                    images=", ".join(IMAGE_TYPES),
                    audio=", ".join(AUDIO_TYPES),
                )
            )
        elif ref.kind == "image" and not ref.alt:
            problems.append(
                N_(
                    'the image "%(name)s" has no alternative text: write %(example)s so that a '
                    "candidate who cannot see it can still answer",
                    name=ref.name,
                    example=f"![what the image shows]({ref.name})",
                )
            )
    return problems


def text_warnings(text: str) -> list[str]:
    """What is allowed but not advised: audio without a transcript."""
    return [
        N_(
            'the audio "%(name)s" has no transcript: write %(example)s for candidates who cannot hear it',
            name=r.name,
            example=f"![Transcript: …]({r.name})",
        )
        for r in references(text)
        if r.kind == "audio" and not r.remote and not r.alt
    ]


# ---- rendering -----------------------------------------------------------------------------
def _image(self, tokens, idx, options, env):
    media_base = env["media_base"]
    token = tokens[idx]
    name = unquote(str(token.attrs.get("src", "")))
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    if not media_base or is_remote(name) or name_problem(name) or media_kind(name) == "other":
        return escape(alt)  # nothing to show but its words
    src = escape(media_base + quote(posixpath.normpath(name)))
    if media_kind(name) == "audio":
        transcript = (
            f'<span class="item-transcript"><span class="item-transcript-label">'
            f"{escape(str(TRANSCRIPT_LABEL))}</span> {escape(alt)}</span>"
            if alt
            else ""
        )
        return (
            f'<span class="item-audio"><audio controls preload="none" src="{src}" '
            f'aria-label="{escape(str(AUDIO_LABEL))}"></audio>{transcript}</span>'
        )
    return f'<img class="item-image" src="{src}" alt="{escape(alt)}" loading="lazy">'


def _table_open(self, tokens, idx, options, env):
    # A table scrolls inside its own region on a narrow screen, not the whole page: the region
    # is focusable (keyboard users can scroll it) and named, and a hint says why it scrolls.
    return (
        f'<p class="item-table-hint">{escape(str(TABLE_HINT))}</p>'
        f'<div class="item-table" role="region" tabindex="0" aria-label="{escape(str(TABLE_LABEL))}">'
        "<table>\n"
    )


def _table_close(self, tokens, idx, options, env):
    return "</table></div>\n"


def _cell(tag: str):
    def cell(self, tokens, idx, options, env):
        token = tokens[idx]
        match = _ALIGN.search(str(token.attrs.get("style", "")))
        attrs = ' scope="col"' if tag == "th" else ""
        if match:  # a class, not a style attribute: the page's CSP allows no inline styles
            attrs += f' class="align-{match.group(1)}"'
        return f"<{tag}{attrs}>"

    return cell


_parser.add_render_rule("image", _image)
_parser.add_render_rule("table_open", _table_open)
_parser.add_render_rule("table_close", _table_close)
_parser.add_render_rule("th_open", _cell("th"))
_parser.add_render_rule("td_open", _cell("td"))


@lru_cache(maxsize=RENDER_CACHE)
def _html(text: str, media_base: str, locale: str) -> str:
    with force_locale(locale):
        rendered = _parser.render(text, {"media_base": media_base})
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=set(),  # only paths on this site: no http(s), no data:
        link_rel=None,
        strip_comments=True,
    ).strip()


def to_html(text: str, media_base: str = "", locale: str = "th") -> Markup:
    """`text` (the safe Markdown subset) as sanitised HTML; images and audio are served from
    `media_base` + their name (nothing but their words when there is no base)."""
    if not text:
        return Markup("")
    return Markup(_html(text, media_base, locale))


def to_inline_html(text: str, media_base: str = "", locale: str = "th") -> Markup:
    """As `to_html`, without the paragraph around a one-paragraph text: for a choice, which
    sits inside a <label>."""
    out = to_html(text, media_base, locale)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p") == 1:
        return Markup(out[3:-4])
    return out


def to_plain(text: str, limit: int = 120) -> str:
    """A one-line summary of `text` for lists (no markup, images by their words)."""
    words = []
    for token in _parser.parse(text or ""):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type == "image":
                words.append(f"[{child.content}]")
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type in ("paragraph_close", "td_close", "th_close"):
            words.append(" ")
    line = " ".join("".join(words).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
