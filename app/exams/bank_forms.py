"""Forms of the item bank pages: uploading a bank file, confirming or discarding it, retiring
an item."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..common.forms import strip as strip_text
from .assembly import BAND_LABELS
from .bank_browse import REASON_MAX
from .bank_format import BANDS

ACCEPT = ".yaml,.yml,.zip,.xml,.gift,.txt,.csv,.xlsx"


class UploadForm(FlaskForm):
    file = FileField(
        _l("Bank file"),
        validators=[FileRequired(_l("Choose a file to upload."))],
        description=_l(
            "YAML (.yaml, or a .zip of YAML files with their images and audio), a QTI 2.1 package "
            "(.zip) or item (.xml), GIFT (.gift, .txt), CSV (.csv) or Excel (.xlsx). Nothing is "
            "imported until you confirm."
        ),
        render_kw={"accept": ACCEPT},
    )
    bank = StringField(
        _l("Bank"),
        filters=[strip_text],
        validators=[Optional(), Length(max=60), Regexp(r"^[a-z0-9-]+$", message=_l("Use a-z, 0-9 and -."))],
        description=_l("QTI, GIFT and spreadsheets only: the bank the items go into, e.g. part-a."),
    )
    section = StringField(
        _l("Section"),
        filters=[strip_text],
        validators=[Optional(), Length(max=40), Regexp(r"^[a-z0-9_]+$", message=_l("Use a-z, 0-9 and _."))],
        description=_l("QTI, GIFT and spreadsheets only: the section of the items, e.g. analytical."),
    )
    difficulty = SelectField(
        _l("Difficulty"),
        default="medium",
        choices=[SelectChoice(band, LazyString(BAND_LABELS[band])) for band in BANDS],
        description=_l("QTI, GIFT and spreadsheets only, when the file does not say."),
    )
    topic = StringField(
        _l("Topic"),
        filters=[strip_text],
        default="general",
        validators=[Optional(), Length(max=60), Regexp(r"^[a-z0-9-]+$", message=_l("Use a-z, 0-9 and -."))],
    )


class ConfirmForm(FlaskForm):
    """A button: import the upload that was checked; with new_codes "1", an item whose code
    belongs to a different item in the bank is imported under a new code (CODE-2)."""

    new_codes = HiddenField(default="", validators=[Optional(), Regexp(r"^1?$")])


class DiscardForm(FlaskForm):
    """A button: throw the upload away."""


class RetireForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the item retired?"),
        filters=[strip_text],
        validators=[DataRequired(_l("Say why the item is retired.")), Length(max=REASON_MAX)],
        description=_l("New papers no longer draw a retired item; papers already drawn keep it."),
    )
