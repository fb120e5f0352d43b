"""Forms of seat booking: HR's booking window of a round, HR moving a candidate, the candidate's
choice of sitting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..common.clock import to_utc
from ..common.forms import AppForm, strip

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class PolicyForm(AppForm):
    opens_at = DateTimeLocalField(
        _l("Booking opens"),
        format=DATETIME_LOCAL,
        validators=[InputRequired()],
        description=_l("Bangkok time."),
    )
    closes_at = DateTimeLocalField(
        _l("Booking closes"),
        format=DATETIME_LOCAL,
        validators=[InputRequired()],
        description=_l("Bangkok time."),
    )
    change_cutoff_at = DateTimeLocalField(
        _l("Moving or cancelling allowed until"),
        format=DATETIME_LOCAL,
        validators=[InputRequired()],
        description=_l("Bangkok time; at or after the window closes."),
    )
    hold_hours = IntegerField(
        _l("Hours an unpaid seat is held"),
        validators=[InputRequired(), NumberRange(min=1, max=720)],
    )

    def values(self) -> dict:
        return {
            "opens_at": to_utc(self.opens_at.data),
            "closes_at": to_utc(self.closes_at.data),
            "change_cutoff_at": to_utc(self.change_cutoff_at.data),
            "hold_hours": self.hold_hours.data,
        }


class ChooseSittingForm(AppForm):
    sitting_id = HiddenField(validators=[InputRequired()])


class PlainForm(AppForm):
    """A button that only needs its CSRF token (cancel, confirm)."""


class HrMoveForm(AppForm):
    sitting_id = SelectField(_l("Move to sitting"), coerce=int, validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason (the candidate is told)"),
        filters=[strip],
        validators=[InputRequired(), Length(min=5, max=2000)],
    )
