"""Administration forms: agencies, staff accounts and their roles, the audit log filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.models import Role
from ..agencies.models import AgencyKind
from ..common.forms import AppForm

ROLE_LABELS = {
    Role.CANDIDATE: _l("Candidate"),
    Role.HR_OFFICER: _l("HR officer"),
    Role.HR_APPROVER: _l("HR approver"),
    Role.PANEL: _l("Interview panel member"),
    Role.PROCTOR: _l("Exam proctor"),
    Role.ADMIN: _l("Administrator"),
    Role.PARTNER: _l("Partner organisation (MOU)"),
    Role.BANK_MANAGER: _l("Exam item bank manager"),
}
KIND_LABELS = {
    AgencyKind.OFFICE: _l("Office (สำนักงาน)"),
    AgencyKind.DEPARTMENT: _l("Department (สำนัก)"),
    AgencyKind.DISTRICT: _l("District office (สำนักงานเขต)"),
}
ROLE_CHOICES = [SelectChoice(r, ROLE_LABELS[r]) for r in Role.ALL]
NAME_REQUIRED = [DataRequired(), Length(max=100)]
NAME_OPTIONAL = [Optional(), Length(max=100)]
NO_AGENCY = 0  # the select's value for "no agency" (a SelectField cannot coerce "" to int)


def agency_choices(agencies, locale: str) -> list[SelectChoice]:
    return [SelectChoice(NO_AGENCY, _l("— no agency —"))] + [
        SelectChoice(
            a.id,
            f"{a.code} · {a.name(locale)}" if a.active else f"{a.code} · {a.name(locale)} ({_l('inactive')})",
        )
        for a in agencies
    ]


def any_choice(values, label=None) -> list[SelectChoice]:
    """A filter's choices: "any" first, then each value, in words when `label` is given."""
    return [SelectChoice("", _l("Any"))] + [SelectChoice(v, label(v) if label else v) for v in values]


def agency_id_or_none(value: int | None) -> int | None:
    return value or None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgencyForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name_th = StringField(_l("Name in Thai"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        default=AgencyKind.DEPARTMENT,
        choices=[SelectChoice(k, KIND_LABELS[k]) for k in AgencyKind.ALL],
    )
    active = BooleanField(_l("Active (can own positions and rounds)"), default=True)
    records_interviews = BooleanField(
        _l("Record online interviews"),
        default=False,
        description=_l(
            "Candidates are told and must consent before entering the room; only the round's HR and "
            "panel may fetch a recording, and it is deleted after the retention period."
        ),
    )


class UserSearchForm(AppForm):
    class Meta:
        csrf = False  # a GET search: nothing changes

    q = StringField(_l("Email or name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), default="", choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES])


class UserCreateForm(AppForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    first_name_th = StringField(_l("First name (Thai)"), validators=NAME_REQUIRED)
    last_name_th = StringField(_l("Last name (Thai)"), validators=NAME_REQUIRED)
    first_name_en = StringField(_l("First name (English)"), validators=NAME_OPTIONAL)
    last_name_en = StringField(_l("Last name (English)"), validators=NAME_OPTIONAL)
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired()],
        description=_l(
            "At least 10 characters, mixing letters with digits or symbols. "
            "Give it to the person privately; they should change it."
        ),
    )
    agency_id = SelectField(_l("Agency"), coerce=int, default=NO_AGENCY)
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES)


class GrantRoleForm(AppForm):
    role = SelectField(_l("Role to grant"), choices=ROLE_CHOICES)


class UserAgencyForm(AppForm):
    agency_id = SelectField(_l("Agency"), coerce=int, default=NO_AGENCY)


class ConfirmForm(AppForm):
    """A button that changes something: only the CSRF token travels with it."""


class AuditFilterForm(AppForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    action = StringField(
        _l("Action starts with"),
        validators=[Optional(), Length(max=60)],
        description=_l('For example "role." or "user.create".'),
    )
    object_type = SelectField(_l("Object type"), default="")
