"""Forms of HR's calibration and parallel-forms page. They share one page, so each has a
prefix: its fields' names and ids do not collide (calibrate-reason, assemble-reason, ...)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..common.forms import AppForm
from ..common.forms import strip as strip_text

AUTO = ""


class _Prefixed(AppForm):
    PREFIX = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class CalibrateForm(_Prefixed):
    PREFIX = "calibrate"
    model = SelectField(
        _l("Model"),
        choices=[
            SelectChoice(AUTO, _l("Chosen by the data (2PL with enough responses)")),
            SelectChoice("rasch", _l("Rasch (1PL)")),
            SelectChoice("2pl", _l("2PL")),
        ],
        default=AUTO,
        validators=[Optional()],
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log with the calibration."),
        validators=[DataRequired(), Length(max=500)],
    )


class AssembleForm(_Prefixed):
    PREFIX = "assemble"
    forms = IntegerField(
        _l("Number of forms"),
        default=4,
        validators=[InputRequired(), NumberRange(min=2, max=50, message=_l("From 2 to 50 forms."))],
        render_kw={"inputmode": "numeric", "min": "2", "max": "50"},
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log with the forms."),
        validators=[DataRequired(), Length(max=500)],
    )


class ToleranceForm(_Prefixed):
    PREFIX = "tolerance"
    tolerance = DecimalField(
        _l("Tolerance (points of expected score)"),
        places=2,
        description=_l("Leave empty for the platform's default."),
        validators=[Optional(), NumberRange(min=0.01, max=10, message=_l("From 0.01 to 10 points."))],
        render_kw={"inputmode": "decimal"},
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log."),
        validators=[DataRequired(), Length(max=500)],
    )


class EquateForm(_Prefixed):
    PREFIX = "equate"
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log with the equated scores."),
        validators=[DataRequired(), Length(max=500)],
    )


class EnemyForm(_Prefixed):
    """Mark two items as enemies (or, with remove set, unmark them)."""

    PREFIX = "enemy"
    code_a = StringField(
        _l("First item (code)"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    code_b = StringField(
        _l("Second item (code)"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        description=_l("Written to the audit log."),
        validators=[DataRequired(), Length(max=500)],
    )
