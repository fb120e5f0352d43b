"""The words of the bank's checks (validator, importers, limits), in the reader's language.

A check does not know who will read its report (the bank page in Thai or English, the command
line, a background job read later), so it writes a `Message`: the English text of the
translation catalogue (`N_("... %(name)s ...", name=...)`, found by `make extract`) with its
values. A Message *is* that English text (a str: the command line prints it, tests compare it),
and `shown()` / `html()` put it into the current language when it is displayed. Values quoted
from a file or the format (ids, field names, file names) are shown as code, not translated.
"""

from __future__ import annotations

from flask_babel import gettext
from markupsafe import Markup, escape


class Message(str):
    """English text with the msgid and values it was made from (see the module docstring)."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        text = msgid % {k: _english(v) for k, v in params.items()} if params else msgid
        obj = super().__new__(cls, text)
        obj.msgid, obj.params = msgid, params
        return obj

    def __getnewargs__(self):  # (pickling: the text alone; msgid and params come back as state)
        return (str(self),)

    def shown(self) -> str:
        """The message in the current language, as plain text."""
        params = {k: (v.shown() if isinstance(v, Message) else v) for k, v in self.params.items()}
        return gettext(self.msgid, **params) if params else gettext(self.msgid)

    def html(self) -> Markup:
        """The message in the current language, its quoted values as <code>."""
        translated = gettext(self.msgid)
        if not self.params:
            return escape(translated)
        return Markup(escape(translated)) % {k: _as_html(v) for k, v in self.params.items()}


def _english(value):
    return str(value) if isinstance(value, Message) else value


def _as_html(value):
    if isinstance(value, Message):
        return value.html()
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return Markup("<code>%s</code>") % value
    return value


def N_(msgid: str, **params) -> Message:
    """A message to put into words when shown (pybabel extracts N_ by default)."""
    return Message(msgid, **params)


def codes(*words: str) -> Message:
    """A list of the format's own words (easy, medium, hard): shown as code in every language."""
    return N_("%(codes)s", codes=", ".join(words))


def shown(text) -> str:
    """A Message in the current language; any other text as it is."""
    return text.shown() if isinstance(text, Message) else str(text or "")


def html(text) -> Markup:
    """A Message in the current language as HTML; any other text escaped."""
    return text.html() if isinstance(text, Message) else escape(text or "")
