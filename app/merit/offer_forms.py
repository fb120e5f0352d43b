"""Forms of calling candidates, reporting-in and list use across agencies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..common.forms import AppForm, ThaiDateField
from ..common.forms import strip as strip_text
from ..recruitment.services import position_level
from . import list_use, offers


class Marked:
    """Shows a field as required on the page; the service checks it and says what is missing."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _CallFields(AppForm):
    n = IntegerField(
        _l("Number of candidates to call"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=offers.CALL_MAX, message=_l("From 1 to 100."))],
        render_kw={"inputmode": "numeric", "min": "1", "max": str(offers.CALL_MAX)},
    )
    report_days = IntegerField(
        _l("Days to report in"),
        default=offers.REPORT_DAYS_DEFAULT,
        description=_l("The deadline is the end of that day, Bangkok time."),
        validators=[
            InputRequired(),
            NumberRange(min=1, max=offers.REPORT_DAYS_MAX, message=_l("From 1 to 90 days.")),
        ],
        render_kw={"inputmode": "numeric", "min": "1", "max": str(offers.REPORT_DAYS_MAX)},
    )
    documents_required = MultiCheckboxField(
        _l("Documents the candidate must upload"), default=list(offers.DEFAULT_DOCUMENTS)
    )
    submit = SubmitField(_l("Call candidates"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents_required.choices = [(k, offers.document_label(k)) for k in offers.REPORT_DOCUMENTS]


class CallNextForm(_CallFields):
    """The list's own agency calls the next candidates for one of its positions."""

    position_id = SelectField(_l("Position to fill"), coerce=int, validators=[InputRequired()])

    def __init__(self, positions=(), locale: str = "th", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.position_id.choices = [
            (p.id, f"{p.title(locale)} · {position_level(p.level)}") for p in positions
        ]


class UseCallForm(_CallFields):
    """An approved list user calls for the position its request names."""


def accept_form(offer, *args, **kwargs) -> AppForm:
    """Reporting in: a start date and one file input per document the offer asks for
    (named doc_<key>), prefixed by the offer so several offers fit on one page."""

    class AcceptOfferForm(AppForm):
        start_date = ThaiDateField(_l("Date you can start work"), validators=[Optional(), Marked()])
        submit = SubmitField(_l("Accept and report in"))

    for key in offer.documents_required:
        setattr(
            AcceptOfferForm,
            f"doc_{key}",
            MultipleFileField(
                offers.document_label(key), validators=[Marked()], description=_l("PDF, JPEG or PNG.")
            ),
        )
    kwargs.setdefault("prefix", f"accept{offer.id}")
    return AcceptOfferForm(*args, **kwargs)


def accept_uploads(form, offer) -> list[offers.Upload]:
    """The files chosen in an accept form (empty inputs skipped)."""
    chosen = []
    for key in offer.documents_required:
        for storage in form[f"doc_{key}"].data or []:
            if storage and getattr(storage, "filename", ""):
                chosen.append(offers.Upload(key, storage.read(), storage.filename))
    return chosen


class WaiveOfferForm(AppForm):
    reason = TextAreaField(
        _l("Why are you waiving the right?"),
        filters=[strip_text],
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=1000)],
    )
    submit = SubmitField(_l("Waive the right"))

    @classmethod
    def for_offer(cls, offer, *args, **kwargs):
        kwargs.setdefault("prefix", f"waive{offer.id}")
        return cls(*args, **kwargs)


class DecideUseForm(AppForm):
    reason = TextAreaField(
        _l("Reason (required to reject)"),
        filters=[strip_text],
        validators=[Length(max=list_use.JUSTIFICATION_MAX)],
    )
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))

    @classmethod
    def for_request(cls, req, *args, **kwargs):
        kwargs.setdefault("prefix", f"decide{req.id}")
        return cls(*args, **kwargs)


class ListFilterForm(AppForm):
    class Meta:
        csrf = False  # a GET search form

    position = StringField(
        _l("Position or level"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    qualification = StringField(
        _l("Qualification"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    agency_id = SelectField(_l("Agency"), coerce=int, default=0, validators=[Optional()])
    submit = SubmitField(_l("Search"))

    def __init__(self, agencies=(), locale: str = "th", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency_id.choices = [(0, _l("Any agency"))] + [(a.id, a.name(locale)) for a in agencies]


class UseRequestForm(AppForm):
    position_id = SelectField(_l("Your position to fill"), coerce=int, validators=[InputRequired()])
    vacancies = IntegerField(
        _l("Number of vacancies"),
        default=1,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=list_use.VACANCIES_MAX, message=_l("From 1 to 500.")),
        ],
        render_kw={"inputmode": "numeric", "min": "1"},
    )
    justification = TextAreaField(
        _l("Justification"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Explain why your agency needs this list.")),
            Length(max=list_use.JUSTIFICATION_MAX),
        ],
    )
    submit = SubmitField(_l("Send the request"))

    def __init__(self, positions=(), locale: str = "th", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.position_id.choices = [
            (p.id, f"{p.title(locale)} · {position_level(p.level)}") for p in positions
        ]
