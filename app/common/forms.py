"""What every form shares: the base class that speaks the page's language (WTForms' own messages
included), a filter for typed text, the error summary's links, and turning a service's refusal
into what the person filling the form sees."""

from __future__ import annotations

from flask import flash
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, StringField
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import TextInput

from ..extensions import db
from .errors import DomainError
from .i18n import current_locale
from .thai import in_common_era, parse_date, typed_date

# WTForms and Flask-WTF ship no Thai catalogue: the messages of theirs our forms can show are
# named here, so that `make extract` puts them in ours and AppForm answers them in Thai.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Invalid URL."),
    _l("Invalid Choice: could not coerce."),
    _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("File does not have an approved extension."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
)


class _PageLanguage:
    """WTForms' translations object, answered from our catalogue in the request's language.
    WTForms formats the result itself (`% dict(min=…)`), so nothing is interpolated here."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        # Thai has one form: the catalogue holds each of WTForms' two English forms as its own
        # entry (see WTFORMS_MESSAGES), so the English form is chosen first, then translated.
        return get_translations().ugettext(singular if n == 1 else plural)


class AppForm(FlaskForm):
    """The base of every form of the site: its built-in messages ("This field is required.",
    "Not a valid integer value.") are in the page's language. Flask-WTF's own translations
    provider reads WTForms' catalogues, which have no Thai."""

    class Meta:
        def get_translations(self, form):
            return _PageLanguage()


class ThaiDateField(DateField):
    """A date typed as people write it: day/month/year with a Buddhist Era (2539) or Christian
    Era (1996) year, or the year-month-day a script or an older page sends. A text box, not the
    browser's picker: pickers take C.E. years only and read them differently per browser."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        era = _l(
            "Day/month/year, for example 15/01/2539. A Buddhist Era (2539) or Christian Era (1996) year."
        )
        own = kwargs.get("description")
        # A field's own description comes first, then how to write the date (both translated
        # when shown, not at import).
        kwargs["description"] = LazyString(lambda: f"{own} {era}") if own else era
        # No inputmode="numeric": phones' number pads have no "/" to type 15/01/2539 with.
        kwargs["render_kw"] = {"spellcheck": "false", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return typed_date(self.data, current_locale()) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:  # empty: the field's Optional/InputRequired say what that means
            self.data = None
            return
        try:
            self.data = parse_date(text)
        except ValueError:
            self.data = None
            raise ValueError(
                str(_l("Enter a real date as day/month/year, for example 15/01/2539."))
            ) from None

    def pre_validate(self, form):
        # What was typed is not a date: say that, not "This field is required." (DataRequired
        # would replace the message, the value being None).
        if self.process_errors:
            raise StopValidation()


class ThaiDateTimeLocalField(DateTimeLocalField):
    """The browser's date-and-time picker, where a B.E. year typed into it (2569) is taken as
    the C.E. year it means (2026)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = in_common_era(self.data)


def strip(value):
    """A WTForms filter: typed text without the spaces around it (other values as they are)."""
    return value.strip() if isinstance(value, str) else value


def show_error(form, err: DomainError, aliases: dict | None = None) -> int:
    """Undo the failed change, put the message next to the field it names (or flash it).

    `aliases` maps a service's field name to the form's where they differ. Returns the HTTP
    status the page should be answered with.
    """
    db.session.rollback()
    name = (aliases or {}).get(err.field, err.field)
    if form is not None and name and name in form:
        form[name].errors = [*form[name].errors, err.message]
    else:
        flash(err.message, "error")
    return err.status_code


def error_items(form) -> list[tuple[str | None, str]]:
    """(id to link to, message) of every error of `form`, in the order of its fields: the lines
    of the error summary at the top of a form page (GOV.UK pattern). Hidden fields have nothing
    to link to; an expired or missing CSRF token (Flask-WTF's words are English only) is told
    as what the person should do."""
    items: list[tuple[str | None, str]] = []
    for f in form:
        if not f.errors:
            continue
        if f.type == "CSRFTokenField":
            items.append((None, str(_l("The form had expired. Please send it again."))))
        elif f.type == "FormField":
            items.extend(error_items(f.form))
        elif f.type == "FieldList":
            for entry in f.entries:
                items.extend(error_items(entry.form) if entry.type == "FormField" else _own(entry))
        else:
            items.extend(_own(f))
    return items


def _own(f) -> list[tuple[str | None, str]]:
    if f.type == "HiddenField":
        return [(None, str(message)) for message in f.errors]
    # A group of radio buttons is linked through its first button (the list has no focus).
    target = f"{f.id}-0" if f.type == "RadioField" else f.id
    # The summary names the field, unless the message does: ten lines of "This field is
    # required." would not say which fields.
    label = str(f.label.text) if f.label else ""
    return [
        (target, str(message) if not label or label in str(message) else f"{label}: {message}")
        for message in f.errors
    ]


def person_name_fields() -> tuple[StringField, StringField, StringField, StringField]:
    """First and last name of a person someone else names (a nominee, a scholar): in Thai,
    required, and in English, optional. Assign them in the form's class body, in that order:
    `first_name_th, last_name_th, first_name_en, last_name_en = person_name_fields()`."""

    def name(label, required: bool) -> StringField:
        need = DataRequired() if required else Optional()
        return StringField(label, filters=[strip], validators=[need, Length(max=100)])

    return (
        name(_l("First name (Thai)"), True),
        name(_l("Last name (Thai)"), True),
        name(_l("First name (English)"), False),
        name(_l("Last name (English)"), False),
    )
