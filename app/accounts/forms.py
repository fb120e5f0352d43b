"""Forms of the accounts capability: registration, login, the candidate profile, password change."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DecimalField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..common import national_id as nid
from ..common.errors import ValidationFailed
from ..common.forms import AppForm, ThaiDateField
from ..common.forms import strip as strip_text
from . import services
from .labels import education_choices, employment_choices
from .models import EmploymentType

THAI_NAME = r"^[\u0E00-\u0E7F][\u0E00-\u0E7F .\-]*$"
LATIN_NAME = r"^[A-Za-z][A-Za-z .'\-]*$"
# 9-10 digits starting with 0 (02 123 4567, 081 234 5678), or +66 and the number without its 0.
THAI_PHONE = re.compile(r"^(0\d{8,9}|\+66\d{8,9})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def _compact_phone(value):
    return _PHONE_SEPARATORS.sub("", value) if isinstance(value, str) else value


def valid_national_id(form, field) -> None:
    if field.data and not nid.is_valid(field.data):
        raise ValidationError(_l("This is not a valid Thai national ID number (check digit)."))


def thai_phone(form, field) -> None:
    if field.data and not THAI_PHONE.match(field.data):
        raise ValidationError(_l("Enter a Thai phone number of 9 or 10 digits, starting with 0 or +66."))


def strong_password(form, field) -> None:
    """The service's own rule, checked here too so that every error shows at once."""
    try:
        services.check_password_strength(field.data or "")
    except ValidationFailed as err:
        raise ValidationError(err.message) from None


def new_password_field(label) -> PasswordField:
    """A new password, held to the service's strength rule as it is typed in."""
    return PasswordField(
        label,
        validators=[DataRequired(), strong_password],
        description=_l(
            "At least %(n)s characters, mixing letters with digits or symbols.",
            n=services.MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password"},
    )


def password_confirm_field(label) -> PasswordField:
    """The new password typed again; it must equal the form's `password`."""
    return PasswordField(
        label,
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


def name_field(label, pattern: str, message) -> StringField:
    """A required person's name of at most 100 letters of one script (Thai or Latin)."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[DataRequired(), Length(max=100), Regexp(pattern, message=message)],
    )


class RegistrationForm(AppForm):
    first_name_th = name_field(_l("First name (Thai)"), THAI_NAME, _l("Write the name in Thai letters."))
    last_name_th = name_field(_l("Last name (Thai)"), THAI_NAME, _l("Write the name in Thai letters."))
    first_name_en = name_field(
        _l("First name (English)"), LATIN_NAME, _l("Write the name in English letters.")
    )
    last_name_en = name_field(_l("Last name (English)"), LATIN_NAME, _l("Write the name in English letters."))
    national_id = StringField(
        _l("National ID number"),
        filters=[strip_text],
        description=_l("13 digits; dashes and spaces are accepted."),
        validators=[DataRequired(), Length(max=20), valid_national_id],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    birth_date = ThaiDateField(
        _l("Birth date"), validators=[DataRequired()], render_kw={"autocomplete": "bday"}
    )
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254), Email()],
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Phone"),
        filters=[strip_text, _compact_phone],
        description=_l("For example 0812345678 or +66812345678."),
        validators=[DataRequired(), thai_phone],
        render_kw={"autocomplete": "tel"},
    )
    password = new_password_field(_l("Password"))
    password_confirm = password_confirm_field(_l("Confirm the password"))

    def registration(self) -> services.Registration:
        return services.Registration(
            email=self.email.data,
            password=self.password.data,
            national_id=nid.normalize(self.national_id.data),
            first_name_th=self.first_name_th.data,
            last_name_th=self.last_name_th.data,
            first_name_en=self.first_name_en.data,
            last_name_en=self.last_name_en.data,
            birth_date=self.birth_date.data,
            phone=self.phone.data,
        )


class LoginForm(AppForm):
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()


class ProfileForm(AppForm):
    education_level = SelectField(_l("Highest education"), validators=[Optional()])
    degree_name = StringField(
        _l("Degree"),
        filters=[strip_text],
        description=_l("As written on the certificate, e.g. วิศวกรรมศาสตรบัณฑิต."),
        validators=[Optional(), Length(max=200)],
    )
    field_of_study = StringField(
        _l("Field of study"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    institution = StringField(
        _l("Institution"), filters=[strip_text], validators=[Optional(), Length(max=200)]
    )
    gpa = DecimalField(
        _l("GPA"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=4, message=_l("GPA is between 0.00 and 4.00."))],
        render_kw={"inputmode": "decimal", "step": "0.01", "min": "0", "max": "4"},
    )
    graduation_date = ThaiDateField(_l("Graduation date"), validators=[Optional()])
    employment_type = SelectField(
        _l("Employment with the BMA"),
        default=EmploymentType.NONE,
        validators=[DataRequired()],
    )
    bma_service_start = ThaiDateField(
        _l("BMA service start date"),
        validators=[Optional()],
        description=_l("For BMA employees: the first day of service."),
    )
    disability_card_no = StringField(
        _l("Disability card number"), filters=[strip_text], validators=[Optional(), Length(max=30)]
    )
    disability_type = StringField(
        _l("Type of disability"), filters=[strip_text], validators=[Optional(), Length(max=50)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are built per request so that they follow the reader's language.
        self.education_level.choices = [SelectChoice("", _l("— not given —"))] + [
            SelectChoice(level, label) for level, label in education_choices()
        ]
        self.employment_type.choices = [SelectChoice(k, label) for k, label in employment_choices()]

    def values(self) -> dict:
        """What services.update_profile expects: None for a blank choice or date."""
        return {
            "education_level": self.education_level.data or None,
            "degree_name": self.degree_name.data or "",
            "field_of_study": self.field_of_study.data or "",
            "institution": self.institution.data or "",
            "gpa": self.gpa.data.quantize(Decimal("0.01")) if self.gpa.data is not None else None,
            "graduation_date": self.graduation_date.data,
            "employment_type": self.employment_type.data,
            "bma_service_start": self.bma_service_start.data,
            "disability_card_no": self.disability_card_no.data or "",
            "disability_type": self.disability_type.data or "",
        }


class ChangePasswordForm(AppForm):
    old_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    password = new_password_field(_l("New password"))
    password_confirm = password_confirm_field(_l("Confirm the new password"))


class ForgotPasswordForm(AppForm):
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254), Email()],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(AppForm):
    password = new_password_field(_l("New password"))
    password_confirm = password_confirm_field(_l("Confirm the new password"))
