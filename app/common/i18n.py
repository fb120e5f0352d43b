"""Language choice (Thai first, English second) and the template helpers that format for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale

from . import national_id as nid
from .thai import format_date, format_datetime


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background tasks: whatever the caller set, else default
        return g.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang")
    if asked in langs:
        session["lang"] = asked
        return asked
    if session.get("lang") in langs:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    loc = get_locale()
    return loc.language if loc else "th"


def writing_locale(user) -> str:
    """The language to write to `user` in (e-mails): theirs, or Thai when theirs is not one we write."""
    return user.locale if user.locale in ("th", "en") else "th"


def register_template_helpers(app) -> None:
    @app.template_filter("date")
    def _date(value, short=False):
        return format_date(value, current_locale(), short)

    @app.template_filter("datetime")
    def _datetime(value, short=False):
        return format_datetime(value, current_locale(), short)

    @app.template_filter("nid_masked")
    def _masked(value):
        return nid.masked(value)

    @app.template_filter("nid_formatted")
    def _formatted(value):
        return nid.formatted(value or "")

    @app.context_processor
    def _locale():
        return {"locale": current_locale()}


def labeller(
    table: Mapping[str, Callable[[], str]], default: Callable[[], str] | None = None
) -> Callable[[str | None], str]:
    """The label function of a set of stored codes: `table` maps each code to a callable that
    gives its label in the current language (`lambda: _("…")`, translated when called, not at
    import). A code not in the table is shown as stored, or as `default()` when given."""

    def label(code: str | None) -> str:
        if code in table:
            return table[code]()
        return default() if default else code

    return label
