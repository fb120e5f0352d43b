"""Forms of HR's stage-score page: one score by hand, a CSV file, pulling Part A, and which
Part A score ranks (raw or equated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..common.forms import AppForm
from ..common.forms import strip as strip_text


class ScoreEntryForm(AppForm):
    stage_kind = HiddenField(validators=[DataRequired()])
    application_number = StringField(
        _l("Application number"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    score = StringField(
        _l("Score"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=12)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("Note"),
        filters=[strip_text],
        validators=[Optional(), Length(max=2000)],
        description=_l("Optional: why the score was entered."),
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        filters=[strip_text],
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Required to change a score already recorded (from the "
            "online test, the panel, a file or HR): the change is "
            "a correction, kept with before and after and shown "
            "to the list's approver."
        ),
    )


class ScoreImportForm(AppForm):
    stage_kind = HiddenField(validators=[DataRequired()])
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired()],
        description=_l(
            "UTF-8, with a header line: application_number,score "
            "(and optionally note). Nothing is imported if any line "
            "is wrong."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )


class SyncPartAForm(AppForm):
    """A button: pull Part A from the online test and Part A certificates."""


class PartARanksForm(AppForm):
    """Which Part A score ranks the round: the raw score or the score equated to the reference
    form; with a reason for the audit log."""

    ranks = SelectField(
        _l("Part A ranks by"),
        choices=[
            SelectChoice("raw", _l("The raw score (points on the candidate's own form)")),
            SelectChoice("equated", _l("The equated score (on the reference form, IRT true-score equating)")),
        ],
        validators=[DataRequired()],
        id="part-a-ranks",
    )
    ranks_reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log."),
        validators=[DataRequired(), Length(max=500)],
    )
