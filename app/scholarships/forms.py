"""Forms of the scholarship channel: contracts, placement rounds, appointment, departure."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DecimalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..common.forms import AppForm, ThaiDateField, person_name_fields
from ..common.forms import strip as strip_text
from ..recruitment.forms import ChannelRoundForm, lines


class ContractForm(AppForm):
    number = StringField(
        _l("Contract number"), filters=[strip_text], validators=[DataRequired(), Length(max=60)]
    )
    national_id = StringField(
        _l("Scholar's national ID"), filters=[strip_text], validators=[DataRequired(), Length(max=17)]
    )
    email = StringField(
        _l("Scholar's email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=254)]
    )
    first_name_th, last_name_th, first_name_en, last_name_en = person_name_fields()
    field_of_study = StringField(
        _l("Field of study"), filters=[strip_text], validators=[DataRequired(), Length(max=200)]
    )
    degree = StringField(_l("Degree"), filters=[strip_text], validators=[Optional(), Length(max=200)])
    institution = StringField(
        _l("Institution"), filters=[strip_text], validators=[DataRequired(), Length(max=200)]
    )
    study_start = ThaiDateField(_l("Studies start"), validators=[InputRequired()])
    expected_graduation = ThaiDateField(_l("Expected graduation"), validators=[InputRequired()])
    years_funded = DecimalField(
        _l("Years funded"), places=1, validators=[InputRequired(), NumberRange(min=0.5, max=15)]
    )
    years_owed = DecimalField(
        _l("Years of service owed"),
        places=1,
        description=_l("Leave empty for the default: twice the years funded."),
        validators=[Optional(), NumberRange(min=0, max=40)],
    )


class PlacementRoundForm(ChannelRoundForm):
    fields_of_study = TextAreaField(
        _l("Fields of study (one per line)"), validators=[Optional(), Length(max=5000)]
    )

    def field_list(self) -> list[str]:
        return lines(self.fields_of_study.data)


class AppointForm(AppForm):
    agency_id = SelectField(_l("Agency of the appointment"), coerce=int)
    on = ThaiDateField(_l("Appointed on"), validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason (required for an agency other than the contract's)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=2000)],
    )


class DepartureForm(AppForm):
    on = ThaiDateField(_l("Left service on"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), filters=[strip_text], validators=[DataRequired(), Length(max=2000)])
