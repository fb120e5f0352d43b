"""Forms of the applications capability: applying, documents, withdrawing and HR review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..common.forms import AppForm
from ..common.forms import strip as strip_text
from ..recruitment.services import TRACK_MODES, position_level, track_label
from .labels import document_kind_label, status_label
from .models import AccommodationStatus, ApplicationStatus, DocumentKind
from .services import MAX_EXTRA_TIME_PERCENT

# The accommodation fields of ApplyForm are named after the accommodation kinds.
ACCOMMODATION_FIELDS = ("extra_time", "large_text", "high_contrast", "screen_reader", "assistant")
# One file input per document kind, named "doc_<kind>".
DOCUMENT_FIELDS = {kind: f"doc_{kind}" for kind in DocumentKind.ALL}


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ApplyForm(AppForm):
    disability_type = StringField(_l("Type of disability"), validators=[Length(max=50)])
    disability_card_no = StringField(_l("Disability registration card number"), validators=[Length(max=30)])

    extra_time = IntegerField(
        _l("Extra time (percent of the test's duration)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_EXTRA_TIME_PERCENT, message=_l("Enter a whole percentage from 1 to 100.")
            ),
        ],
        description=_l("For example 50 for half as much time again. Leave empty if not needed."),
    )
    large_text = BooleanField(_l("Large text"))
    high_contrast = BooleanField(_l("High contrast"))
    screen_reader = BooleanField(_l("Screen reader"))
    assistant = BooleanField(_l("An assistant (reader or writer)"))

    doc_id_card = MultipleFileField(_l("National ID card"))
    doc_transcript = MultipleFileField(_l("Transcript"))
    doc_degree = MultipleFileField(_l("Degree certificate"))
    doc_disability_card = MultipleFileField(_l("Disability registration card"))
    doc_service_record = MultipleFileField(_l("BMA service record"))
    doc_photo = MultipleFileField(_l("Photograph"))
    doc_other = MultipleFileField(_l("Other documents"))

    submit = SubmitField(_l("Continue"))

    def accommodations(self) -> dict:
        """{kind: value} of what the candidate asked for (empty and unticked left out)."""
        return {name: self[name].data for name in ACCOMMODATION_FIELDS if self[name].data}

    def files(self):
        """(kind, FileStorage) for every file chosen; empty file inputs are skipped."""
        for kind, name in DOCUMENT_FIELDS.items():
            for storage in self[name].data or []:
                if storage and getattr(storage, "filename", ""):
                    yield kind, storage


class SubmitApplicationForm(AppForm):
    """The last step of applying, under "check your answers": the declaration, then submit."""

    declaration = BooleanField(
        _l("I certify that the information I have given is true."),
        validators=[DataRequired(message=_l("You must certify that the information is true."))],
    )
    submit = SubmitField(_l("Submit application"))


class DocumentForm(AppForm):
    kind = SelectField(_l("Type of document"), choices=[])
    file = FileField(
        _l("File (PDF, JPEG or PNG)"), validators=[FileRequired(message=_l("Choose a file to upload."))]
    )
    submit = SubmitField(_l("Upload document"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k, document_kind_label(k)) for k in DocumentKind.ALL]


class WithdrawForm(AppForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Withdraw application"))


class ApproveForm(AppForm):
    submit = SubmitField(_l("Approve application"))


class RejectForm(AppForm):
    reason = TextAreaField(
        _l("Reason for rejecting"),
        validators=[
            DataRequired(message=_l("Give the reason for rejecting the application.")),
            Length(max=2000),
        ],
        description=_l("The candidate will see this reason."),
    )
    submit = SubmitField(_l("Reject application"))


class AccommodationDecisionForm(AppForm):
    """One per request on the page, so each gets a prefix (`acc<id>-`) to keep ids unique."""

    status = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(AccommodationStatus.APPROVED, _l("Approve as requested")),
            SelectChoice(AccommodationStatus.ADJUSTED, _l("Approve with an adjusted value")),
            SelectChoice(AccommodationStatus.DENIED, _l("Deny")),
        ],
        validators=[DataRequired(message=_l("Choose approve, adjust or deny."))],
    )
    approved_value = IntegerField(
        _l("Adjusted extra time (percent)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_EXTRA_TIME_PERCENT)],
    )
    note = TextAreaField(
        _l("Note or reason"), validators=[Length(max=1000)], description=_l("Required when denying.")
    )
    submit = SubmitField(_l("Save decision"))

    @staticmethod
    def prefix_for(req_id: int) -> str:
        return f"acc{req_id}"


class ApplicationFilterForm(AppForm):
    """HR's search and filters of the applications list: a GET form, so no CSRF token. The
    round, track and position filters are on the agency-wide list only."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search"),
        filters=[strip_text],
        validators=[Optional(), Length(max=100)],
        description=_l("Name, national ID number or application number."),
        render_kw={"autocomplete": "off"},
    )
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    track = SelectField(_l("Track"), choices=[], validators=[Optional()])
    position = SelectField(_l("Position"), choices=[], coerce=_int_or_none, validators=[Optional()])
    submit = SubmitField(_l("Search"))

    def __init__(self, *args, positions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(s, status_label(s)) for s in ApplicationStatus.ALL
        ]
        self.track.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(t, track_label(t)) for t in TRACK_MODES
        ]
        self.position.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(p.id, f"{p.title_th} ({position_level(p.level)})") for p in positions
        ]


class BulkApproveForm(AppForm):
    """Approving many: the applications ticked on the page (`ids`) or every one awaiting review
    that matches the search (`scope=matching`); a first post asks to confirm, naming how many."""

    scope = HiddenField(default="selected")
    confirmed = HiddenField(default="")
    up_to_id = HiddenField(default="")
