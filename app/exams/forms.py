"""Forms of the candidate pages of the online test."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Regexp

from ..common.forms import AppForm, ThaiDateField
from .checkin import SystemCheck


def _number(value: str | None) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 1e9 else None  # drop NaN and nonsense


class CheckInForm(AppForm):
    national_id_last4 = StringField(
        _l("Last four digits of your national ID"),
        validators=[
            InputRequired(message=_l("Enter the last four digits of your national ID.")),
            Regexp(r"^\d{4}$", message=_l("Enter exactly four digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4, "pattern": r"\d{4}"},
    )
    birth_date = ThaiDateField(
        _l("Birth date"),
        validators=[InputRequired(message=_l("Enter your birth date."))],
        description=_l("As in your profile."),
    )
    accept_rules = BooleanField(
        _l("I have read the exam rules above and I accept them."),
        validators=[DataRequired(message=_l("You must accept the exam rules to check in."))],
    )
    # Filled in by the system check in the browser (static/js/exam.js).
    websocket_ok = HiddenField(default="")
    rtt_ms = HiddenField(default="")
    clock_offset_ms = HiddenField(default="")
    submit = SubmitField(_l("Check in"))

    def system_check(self) -> SystemCheck:
        return SystemCheck(
            websocket_ok=self.websocket_ok.data == "1",
            rtt_ms=_number(self.rtt_ms.data),
            clock_offset_ms=_number(self.clock_offset_ms.data),
        )
