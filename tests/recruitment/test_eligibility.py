"""Eligibility: the rules themselves (eligibility.check, without the database) and how a
candidate is told, in words, which criteria of a round they meet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.accounts.models import EducationLevel, EmploymentType
from app.applications.models import Application
from app.recruitment import eligibility
from app.recruitment.eligibility import Qualifications
from app.recruitment.models import Mode, RoundStatus

# 10:00 in Bangkok on 1 June 2026; the factories' windows are relative to it.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


@pytest.fixture
def english(app):
    """A request in English, for calling the label helpers directly."""
    with app.test_request_context("/?lang=en"):
        yield


# ---- eligibility as the candidate sees it -------------------------------------------------


def test_eligible_candidate_sees_every_criterion_met_and_can_apply(client, make):
    r = make.round_(
        make.agency(),
        min_education_level=EducationLevel.BACHELOR,
        min_gpa=Decimal("2.50"),
        min_age=18,
        max_age=35,
    )
    make.login(client, make.candidate(birth_date=date(1995, 1, 15), gpa=Decimal("3.10")))
    text = client.get(f"/rounds/{r.id}").text
    assert "Check my eligibility" in text
    assert "✓" in text and "✗" not in text
    assert "Met:</strong> Education: at least Bachelor&#39;s degree (yours: Bachelor&#39;s degree)" in text
    assert "Met:</strong> GPA at least 2.50 (yours: 3.10)" in text
    assert "Met:</strong> Age 18–35 years on the closing date (yours: 31)" in text
    assert "You meet every criterion of this round." in text
    assert f'href="/rounds/{r.id}/apply"' in text


INELIGIBLE = {
    "education too low": (
        dict(min_education_level=EducationLevel.BACHELOR),
        dict(education_level=EducationLevel.UPPER_SECONDARY),
        "Education: at least Bachelor&#39;s degree (yours: Upper secondary (M.6))",
    ),
    "GPA too low": (
        dict(min_gpa=Decimal("3.00")),
        dict(gpa=Decimal("2.75")),
        "GPA at least 3.00 (yours: 2.75)",
    ),
    "too old": (
        dict(min_age=18, max_age=35),
        dict(birth_date=date(1980, 5, 1)),
        "Age 18–35 years on the closing date (yours: 46)",
    ),
    "internal round, not an employee": (
        dict(mode=Mode.SELECTION_EXAM),
        dict(employment_type=EmploymentType.NONE),
        "A BMA temporary or permanent employee (internal round)",
    ),
    "internal round, too few years": (
        dict(mode=Mode.SELECTION_EXAM),
        dict(employment_type=EmploymentType.BMA_PERMANENT, bma_service_start=date(2023, 1, 1)),
        "At least 5 years of BMA service on the closing date (yours: 3)",
    ),
    "disability track without a card": (
        dict(mode=Mode.DISABILITY),
        dict(disability_card_no=""),
        "A disability registration card (บัตรประจำตัวคนพิการ)",
    ),
    "shortage track without a listed degree": (
        dict(mode=Mode.SHORTAGE, shortage_degrees=["แพทยศาสตรบัณฑิต"]),
        dict(degree_name="วิศวกรรมศาสตรบัณฑิต"),
        "A degree on the round&#39;s shortage list: แพทยศาสตรบัณฑิต (yours: วิศวกรรมศาสตรบัณฑิต)",
    ),
}


@pytest.mark.parametrize("case", list(INELIGIBLE), ids=list(INELIGIBLE))
def test_ineligible_candidate_is_told_why_in_words(client, make, case):
    round_fields, profile, sentence = INELIGIBLE[case]
    r = make.round_(make.agency(), **round_fields)
    make.login(client, make.candidate(**profile))
    text = client.get(f"/rounds/{r.id}").text
    assert f'<span class="mark" aria-hidden="true">✗</span><strong>Not met:</strong> {sentence}' in text
    assert "You do not meet every criterion of this round." in text
    assert "You cannot apply because you do not meet every criterion marked ✗ above." in text
    assert f"/rounds/{r.id}/apply" not in text
    assert "Update my qualifications" in text


def test_eligible_candidate_is_told_when_the_round_is_closed_or_already_applied(client, make, db):
    agency = make.agency()
    closed = make.round_(agency, status=RoundStatus.CLOSED)
    applied = make.round_(agency)
    cand = make.candidate()
    db.session.add(Application(number="X-00001", round_id=applied.id, candidate_id=cand.id))
    db.session.commit()
    make.login(client, cand)
    text = client.get(f"/rounds/{closed.id}").text
    assert "This round is not accepting applications now." in text
    assert f"/rounds/{closed.id}/apply" not in text
    text = client.get(f"/rounds/{applied.id}").text
    assert "You have already applied to this round (application X-00001)." in text
    assert f"/rounds/{applied.id}/apply" not in text


def test_staff_are_not_offered_the_eligibility_check(client, make):
    agency = make.agency()
    r = make.round_(agency)
    make.login(client, make.hr(make.agency()))
    text = client.get(f"/rounds/{r.id}").text
    assert "Only candidate accounts can apply to a round." in text


# ---- eligibility rules themselves --------------------------------------------------------


class _R:
    """A round as eligibility.check sees it, without the database."""

    def __init__(self, mode=Mode.COMPETITIVE_EXAM, closes_at=datetime(2026, 6, 30, 9, 30, tzinfo=UTC), **kw):
        self.mode, self.closes_at = mode, closes_at
        self.min_education_level = kw.get("min_education_level")
        self.fields_of_study = kw.get("fields_of_study", [])
        self.min_gpa = kw.get("min_gpa")
        self.min_age, self.max_age = kw.get("min_age"), kw.get("max_age")
        self.min_service_years = kw.get("min_service_years")
        self.requires_disability_registration = kw.get("requires_disability_registration", False)
        self.shortage_degrees = kw.get("shortage_degrees", [])


def _q(**kw) -> Qualifications:
    base = dict(
        birth_date=date(1995, 1, 15),
        education_level=EducationLevel.BACHELOR,
        field_of_study="วิศวกรรมโยธา",
        degree_name="วิศวกรรมศาสตรบัณฑิต",
        gpa=Decimal("3.10"),
    )
    base.update(kw)
    return Qualifications(**base)


def _by_code(results) -> dict:
    return {c.code: c for c in results}


def test_no_criteria_means_everyone_is_eligible():
    assert eligibility.check(_R(), _q()) == []
    assert eligibility.is_eligible([])


def test_education_is_ordered_and_missing_education_fails(english):
    r = _R(min_education_level=EducationLevel.HIGH_VOCATIONAL)
    assert eligibility.is_eligible(eligibility.check(r, _q(education_level=EducationLevel.MASTER)))
    assert eligibility.is_eligible(eligibility.check(r, _q(education_level=EducationLevel.HIGH_VOCATIONAL)))
    assert not eligibility.is_eligible(eligibility.check(r, _q(education_level=EducationLevel.VOCATIONAL)))
    missing = eligibility.check(r, _q(education_level=None))[0]
    assert not missing.met
    assert eligibility.describe(missing) == (
        "Education: at least High vocational certificate (yours: not given)"
    )


def test_field_of_study_ignores_case_and_spacing():
    r = _R(fields_of_study=["Civil  Engineering", "วิศวกรรมโยธา"])
    assert _by_code(eligibility.check(r, _q(field_of_study=" civil engineering ")))["field_of_study"].met
    assert not _by_code(eligibility.check(r, _q(field_of_study="Law")))["field_of_study"].met


def test_gpa_boundary_and_missing_gpa(english):
    r = _R(min_gpa=Decimal("2.50"))
    assert eligibility.check(r, _q(gpa=Decimal("2.50")))[0].met
    assert not eligibility.check(r, _q(gpa=Decimal("2.49")))[0].met
    missing = eligibility.check(r, _q(gpa=None))[0]
    assert not missing.met and eligibility.describe(missing) == "GPA at least 2.50 (yours: not given)"


def test_age_is_counted_on_the_closing_date_in_bangkok(english):
    # Closes 30 June 2026 23:30 in Bangkok (16:30 UTC): a birthday that day counts.
    r = _R(max_age=35, closes_at=datetime(2026, 6, 30, 16, 30, tzinfo=UTC))
    turns_36_that_day = _q(birth_date=date(1990, 6, 30))
    turns_36_next_day = _q(birth_date=date(1990, 7, 1))
    assert not eligibility.check(r, turns_36_that_day)[0].met
    assert eligibility.check(r, turns_36_next_day)[0].met
    # 17:30 UTC is already 1 July in Bangkok
    r_late = _R(max_age=35, closes_at=datetime(2026, 6, 30, 17, 30, tzinfo=UTC))
    assert not eligibility.check(r_late, turns_36_next_day)[0].met
    young = eligibility.check(_R(min_age=18), _q(birth_date=date(2010, 1, 1)))[0]
    assert not young.met
    assert eligibility.describe(young) == "Age at least 18 years on the closing date (yours: 16)"
    unknown = eligibility.check(_R(max_age=35), _q(birth_date=None))[0]
    assert not unknown.met and "birth date not given" in eligibility.describe(unknown)


def test_internal_rounds_need_an_employee_with_enough_service():
    r = _R(mode=Mode.SELECTION_EXAM, min_service_years=5)
    ok = _q(employment_type=EmploymentType.BMA_TEMPORARY, bma_service_start=date(2021, 6, 30))
    assert eligibility.is_eligible(eligibility.check(r, ok))
    short = _q(employment_type=EmploymentType.BMA_TEMPORARY, bma_service_start=date(2021, 7, 1))
    res = _by_code(eligibility.check(r, short))
    assert res["internal_employee"].met and not res["service_years"].met
    assert res["service_years"].actual == 4
    civil_servant = _q(employment_type=EmploymentType.BMA_CIVIL_SERVANT, bma_service_start=date(2000, 1, 1))
    res = _by_code(eligibility.check(r, civil_servant))
    assert not res["internal_employee"].met and not res["service_years"].met
    # a selection exam without an explicit figure still asks for 5 years
    default = _by_code(eligibility.check(_R(mode=Mode.SELECTION_EXAM), short))
    assert default["service_years"].required == 5


def test_disability_and_shortage_tracks():
    disability = _R(mode=Mode.DISABILITY)
    assert not eligibility.is_eligible(eligibility.check(disability, _q(disability_card_no="  ")))
    assert eligibility.is_eligible(eligibility.check(disability, _q(disability_card_no="1234")))
    flagged = _R(requires_disability_registration=True)
    assert eligibility.check(flagged, _q())[0].code == "disability_registration"
    shortage = _R(mode=Mode.SHORTAGE, shortage_degrees=["แพทยศาสตรบัณฑิต", "Doctor of Medicine"])
    assert eligibility.is_eligible(eligibility.check(shortage, _q(degree_name="doctor of  medicine")))
    assert not eligibility.is_eligible(eligibility.check(shortage, _q()))


def test_results_survive_a_json_round_trip_and_describe_the_requirement_alone(english):
    r = _R(min_age=20, min_gpa=Decimal("2.00"))
    stored = [c.to_dict() for c in eligibility.check(r, _q(gpa=Decimal("1.90")))]
    assert not eligibility.is_eligible(stored)
    assert eligibility.describe(stored[0]) == "GPA at least 2.00 (yours: 1.90)"
    reqs = [eligibility.describe_requirement(c) for c in eligibility.requirements(r)]
    assert reqs == ["GPA at least 2.00", "Age at least 20 years on the closing date"]


def test_vocational_certificate_counts_as_upper_secondary():
    E = EducationLevel
    assert E.rank(E.VOCATIONAL) == E.rank(E.UPPER_SECONDARY)
    assert E.rank(E.HIGH_VOCATIONAL) > E.rank(E.VOCATIONAL)
    assert E.rank(None) < E.rank(E.LOWER_SECONDARY)
