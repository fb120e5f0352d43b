"""Forms of the fee pages: HR's fee of a round, the statement import, a payment by hand, a refund."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..common.forms import AppForm, strip


class FeeForm(AppForm):
    amount = DecimalField(
        _l("Application fee (baht)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100000)],
        description=_l("Leave empty or 0 for a round without a fee."),
    )
    pay_within_days = IntegerField(
        _l("Pay within (days after asking for the slip)"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=60)],
    )


class StatementForm(AppForm):
    file = FileField(
        _l("Bank bill-payment report (CSV)"),
        validators=[FileRequired(_l("Choose the bank's file."))],
        description=_l("UTF-8 or Windows-874; the columns are listed below."),
    )


class ManualPaymentForm(AppForm):
    reason = TextAreaField(
        _l("What proves the payment"), filters=[strip], validators=[InputRequired(), Length(min=5, max=2000)]
    )


class RefundForm(AppForm):
    rule = SelectField(_l("Refund rule"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=2000)])
