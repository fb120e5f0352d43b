"""Forms of the merit-list pages: preparing a list, the workflow steps, searching, verifying."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..common.forms import AppForm, ThaiDateField
from ..common.forms import strip as strip_text


class GenerateListForm(AppForm):
    kind = SelectField(_l("List"), validators=[DataRequired()])
    # The tie-break chain is posted by the chooser (templates/merit/_tie_break.html) as one
    # `tie_break` value per criterion, read by the view with tie_break.parse_chain.

    def __init__(self, kinds=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(kinds)


class StepForm(AppForm):
    """A button that moves the list one step (approve, publish)."""


class ApproveForm(AppForm):
    changes_seen = BooleanField(
        _l("I have seen every score entered, imported or corrected by hand listed above")
    )


class ReasonForm(AppForm):
    reason = TextAreaField(_l("Reason"), filters=[strip_text], validators=[DataRequired(), Length(max=2000)])


class CorrectForm(ReasonForm):
    """A correction's reason; its tie-break chain comes from the chooser, as when preparing."""


class ExtendForm(ReasonForm):
    until = ThaiDateField(_l("Valid until"), validators=[InputRequired()])


class SearchForm(AppForm):
    """The public search box (GET: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Application number or name"), filters=[strip_text], validators=[Optional(), Length(max=100)]
    )


class VerifyListForm(AppForm):
    class Meta:
        csrf = False

    digest = StringField(
        _l("Digest (SHA-256)"),
        filters=[strip_text],
        description=_l("The 64 letters and digits printed on the list."),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
