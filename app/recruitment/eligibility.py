"""Eligibility of a candidate for a round, criterion by criterion, in words.

Ages and years of service are counted on the round's closing date, as Thai announcements do.
Results are plain data (stored in the application as a snapshot) and are put into words at
display time, in the reader's language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from ..accounts.labels import education_label
from ..accounts.models import EducationLevel, EmploymentType
from ..common.clock import BANGKOK
from .models import Mode


@dataclass(frozen=True)
class Criterion:
    code: str
    met: bool
    required: str | int | float | list | None = None
    actual: str | int | float | list | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Qualifications:
    """The candidate's side of the check (from the profile, or a form)."""

    birth_date: date | None
    education_level: str | None
    field_of_study: str = ""
    degree_name: str = ""
    gpa: Decimal | None = None
    employment_type: str = EmploymentType.NONE
    bma_service_start: date | None = None
    disability_card_no: str = ""

    @classmethod
    def of(cls, user) -> Qualifications:
        p = user.profile
        return cls(
            birth_date=user.birth_date,
            education_level=p.education_level if p else None,
            field_of_study=p.field_of_study if p else "",
            degree_name=p.degree_name if p else "",
            gpa=p.gpa if p else None,
            employment_type=p.employment_type if p else EmploymentType.NONE,
            bma_service_start=p.bma_service_start if p else None,
            disability_card_no=p.disability_card_no if p else "",
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("birth_date", "bma_service_start"):
            d[k] = d[k].isoformat() if d[k] else None
        d["gpa"] = str(d["gpa"]) if d["gpa"] is not None else None
        return d


def full_years(start: date, on: date) -> int:
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return years


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def check(round_, q: Qualifications) -> list[Criterion]:
    on = round_.closes_at.astimezone(BANGKOK).date()
    results: list[Criterion] = []

    if round_.min_education_level:
        results.append(
            Criterion(
                "education_level",
                EducationLevel.rank(q.education_level) >= EducationLevel.rank(round_.min_education_level),
                round_.min_education_level,
                q.education_level,
            )
        )
    if round_.fields_of_study:
        wanted = [_norm(f) for f in round_.fields_of_study]
        results.append(
            Criterion(
                "field_of_study",
                _norm(q.field_of_study) in wanted,
                list(round_.fields_of_study),
                q.field_of_study,
            )
        )
    if round_.min_gpa is not None:
        results.append(
            Criterion(
                "min_gpa",
                q.gpa is not None and q.gpa >= round_.min_gpa,
                str(round_.min_gpa),
                str(q.gpa) if q.gpa is not None else None,
            )
        )
    if round_.min_age is not None or round_.max_age is not None:
        age = full_years(q.birth_date, on) if q.birth_date else None
        ok = (
            age is not None
            and (round_.min_age is None or age >= round_.min_age)
            and (round_.max_age is None or age <= round_.max_age)
        )
        results.append(Criterion("age", ok, [round_.min_age, round_.max_age], age))
    if round_.mode == Mode.SELECTION_EXAM or round_.min_service_years is not None:
        needed = round_.min_service_years if round_.min_service_years is not None else 5
        internal = q.employment_type in EmploymentType.INTERNAL
        results.append(
            Criterion("internal_employee", internal, list(EmploymentType.INTERNAL), q.employment_type)
        )
        years = full_years(q.bma_service_start, on) if q.bma_service_start else 0
        results.append(Criterion("service_years", internal and years >= needed, needed, years))
    if round_.mode == Mode.DISABILITY or round_.requires_disability_registration:
        has_card = bool((q.disability_card_no or "").strip())
        results.append(Criterion("disability_registration", has_card, True, has_card))
    if round_.mode == Mode.SHORTAGE:
        wanted = [_norm(d) for d in round_.shortage_degrees or []]
        results.append(
            Criterion(
                "shortage_degree",
                _norm(q.degree_name) in wanted,
                list(round_.shortage_degrees),
                q.degree_name,
            )
        )
    return results


def check_candidate(round_, user) -> list[Criterion]:
    """`check` against the qualifications in the user's profile now."""
    return check(round_, Qualifications.of(user))


def is_eligible(results: list[Criterion] | list[dict]) -> bool:
    return all((r["met"] if isinstance(r, dict) else r.met) for r in results)


def describe(c: Criterion | dict) -> str:
    """One sentence, in the reader's language, saying what is required and what the candidate has."""
    c = c if isinstance(c, dict) else c.to_dict()
    code, req, act = c["code"], c["required"], c["actual"]
    if code == "education_level":
        return _(
            "Education: at least %(req)s (yours: %(act)s)", req=education_label(req), act=education_label(act)
        )
    if code == "field_of_study":
        return _(
            "Field of study: one of %(req)s (yours: %(act)s)", req=", ".join(req), act=act or _("not given")
        )
    if code == "min_gpa":
        return _("GPA at least %(req)s (yours: %(act)s)", req=req, act=act or _("not given"))
    if code == "age":
        lo, hi = req
        act_s = act if act is not None else _("birth date not given")
        if lo is not None and hi is not None:
            return _("Age %(lo)s–%(hi)s years on the closing date (yours: %(act)s)", lo=lo, hi=hi, act=act_s)
        if lo is not None:
            return _("Age at least %(lo)s years on the closing date (yours: %(act)s)", lo=lo, act=act_s)
        return _("Age at most %(hi)s years on the closing date (yours: %(act)s)", hi=hi, act=act_s)
    if code == "internal_employee":
        return _("A BMA temporary or permanent employee (internal round)")
    if code == "service_years":
        return _(
            "At least %(req)s years of BMA service on the closing date (yours: %(act)s)", req=req, act=act
        )
    if code == "disability_registration":
        return _("A disability registration card (บัตรประจำตัวคนพิการ)")
    if code == "shortage_degree":
        return _(
            "A degree on the round's shortage list: %(req)s (yours: %(act)s)",
            req=", ".join(req),
            act=act or _("not given"),
        )
    return code


def requirements(round_) -> list[Criterion]:
    """The round's criteria on their own (nobody's qualifications), for the announcement."""
    return check(round_, Qualifications(birth_date=None, education_level=None))


def describe_requirement(c: Criterion | dict) -> str:
    """What a criterion asks for, in the reader's language, without anyone's own values."""
    c = c if isinstance(c, dict) else c.to_dict()
    code, req = c["code"], c["required"]
    if code == "education_level":
        return _("Education: at least %(req)s", req=education_label(req))
    if code == "field_of_study":
        return _("Field of study: one of %(req)s", req=", ".join(req))
    if code == "min_gpa":
        return _("GPA at least %(req)s", req=req)
    if code == "age":
        lo, hi = req
        if lo is not None and hi is not None:
            return _("Age %(lo)s–%(hi)s years on the closing date", lo=lo, hi=hi)
        if lo is not None:
            return _("Age at least %(lo)s years on the closing date", lo=lo)
        return _("Age at most %(hi)s years on the closing date", hi=hi)
    if code == "service_years":
        return _("At least %(req)s years of BMA service on the closing date", req=req)
    if code == "shortage_degree":
        return _("A degree on the round's shortage list: %(req)s", req=", ".join(req))
    return describe(c)
