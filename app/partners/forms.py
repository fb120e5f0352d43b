"""Forms of the MOU channel: organisations, partner accounts, agreements, rounds, nominations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..accounts.models import EducationLevel
from ..common.forms import AppForm, ThaiDateField, person_name_fields
from ..common.forms import strip as strip_text
from ..recruitment.forms import ChannelRoundForm, MultiCheckboxField, lines
from ..recruitment.models import StageKind
from .models import OrganisationKind


class OrganisationForm(AppForm):
    name_th = StringField(
        _l("Name (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=200)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[
            (OrganisationKind.UNIVERSITY, _l("University")),
            (OrganisationKind.HOSPITAL, _l("Hospital")),
            (OrganisationKind.PUBLIC_BODY, _l("Public body")),
            (OrganisationKind.OTHER, _l("Other organisation")),
        ],
    )


class MemberForm(AppForm):
    email = StringField(
        _l("Email of the partner's account"),
        filters=[strip_text],
        description=_l("The person registers first; the account then acts for this organisation only."),
        validators=[DataRequired(), Length(max=254)],
    )


class AgreementForm(AppForm):
    number = StringField(
        _l("Agreement number"), filters=[strip_text], validators=[DataRequired(), Length(max=60)]
    )
    organisation_id = SelectField(_l("Partner organisation"), coerce=int)
    title_th = StringField(
        _l("Title (Thai)"), filters=[strip_text], validators=[DataRequired(), Length(max=300)]
    )
    title_en = StringField(
        _l("Title (English)"), filters=[strip_text], validators=[Optional(), Length(max=300)]
    )
    position_ids = MultiCheckboxField(_l("Positions"), coerce=int)
    places_per_year = IntegerField(
        _l("Places per fiscal year"), validators=[InputRequired(), NumberRange(min=1, max=1000)]
    )
    valid_from = ThaiDateField(_l("Valid from"), validators=[InputRequired()])
    valid_until = ThaiDateField(_l("Valid until"), validators=[InputRequired()])
    qualifications_th = TextAreaField(
        _l("Qualifications (Thai)"), filters=[strip_text], validators=[Optional(), Length(max=5000)]
    )
    qualifications_en = TextAreaField(
        _l("Qualifications (English)"), filters=[strip_text], validators=[Optional(), Length(max=5000)]
    )
    min_education_level = SelectField(
        _l("Minimum education"),
        validators=[Optional()],
        choices=[("", _l("No requirement")), *[(e, e) for e in EducationLevel.ORDER]],
    )
    fields_of_study = TextAreaField(
        _l("Fields of study (one per line)"), validators=[Optional(), Length(max=5000)]
    )
    stages = MultiCheckboxField(_l("Selection stages"), default=[StageKind.QUALIFICATIONS, StageKind.PART_C])

    def field_list(self) -> list[str]:
        return lines(self.fields_of_study.data)


class AgreementRoundForm(ChannelRoundForm):
    """A round under an agreement: its positions are the agreement's."""


class TerminateForm(AppForm):
    reason = TextAreaField(_l("Reason"), filters=[strip_text], validators=[DataRequired(), Length(max=2000)])


class NominationForm(AppForm):
    national_id = StringField(
        _l("National ID"), filters=[strip_text], validators=[DataRequired(), Length(max=17)]
    )
    email = StringField(
        _l("Email"), filters=[strip_text], validators=[DataRequired(), Email(), Length(max=254)]
    )
    first_name_th, last_name_th, first_name_en, last_name_en = person_name_fields()
    statement = TextAreaField(
        _l("Why you nominate this person"), filters=[strip_text], validators=[Optional(), Length(max=3000)]
    )


class WithdrawForm(AppForm):
    reason = TextAreaField(
        _l("Reason for withdrawing"), filters=[strip_text], validators=[DataRequired(), Length(max=2000)]
    )


class AnswerForm(AppForm):
    consent = BooleanField(
        _l(
            "I accept this nomination. I will complete and submit the "
            "application myself, and I agree that the partner organisation "
            "and BMA HR see how my application progresses."
        )
    )
    reason = TextAreaField(
        _l("Reason for declining (optional)"), filters=[strip_text], validators=[Optional(), Length(max=2000)]
    )
