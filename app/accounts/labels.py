"""Words for the codes of a person's qualifications (education level, employment with the BMA).

They belong to accounts because the profile stores these codes; the profile form, eligibility,
application pages and the panel's view of a candidate all show them through these functions.
"""

from __future__ import annotations

from flask_babel import gettext as _

from ..common.i18n import labeller
from .models import EducationLevel, EmploymentType

EDUCATION_LABELS = {
    EducationLevel.LOWER_SECONDARY: lambda: _("Lower secondary (M.3)"),
    EducationLevel.UPPER_SECONDARY: lambda: _("Upper secondary (M.6)"),
    EducationLevel.VOCATIONAL: lambda: _("Vocational certificate"),
    EducationLevel.HIGH_VOCATIONAL: lambda: _("High vocational certificate"),
    EducationLevel.BACHELOR: lambda: _("Bachelor's degree"),
    EducationLevel.MASTER: lambda: _("Master's degree"),
    EducationLevel.DOCTORATE: lambda: _("Doctorate"),
}
EMPLOYMENT_LABELS = {
    EmploymentType.NONE: lambda: _("Not a BMA employee"),
    EmploymentType.BMA_TEMPORARY: lambda: _("BMA temporary employee"),
    EmploymentType.BMA_PERMANENT: lambda: _("BMA permanent employee"),
    EmploymentType.BMA_CIVIL_SERVANT: lambda: _("BMA civil servant"),
}

education_label = labeller(EDUCATION_LABELS, default=lambda: _("not given"))


def employment_label(kind: str | None) -> str:
    """The kind of employment in words; a code this version does not know is shown as stored."""
    return EMPLOYMENT_LABELS[kind]() if kind in EMPLOYMENT_LABELS else (kind or "")


def education_choices() -> list[tuple[str, str]]:
    """(code, label) of every level, lowest first, in the reader's language."""
    return [(level, education_label(level)) for level in EducationLevel.ORDER]


def employment_choices() -> list[tuple[str, str]]:
    """(code, label) of every kind of employment with the BMA, in the reader's language."""
    return [(kind, employment_label(kind)) for kind in EMPLOYMENT_LABELS]
