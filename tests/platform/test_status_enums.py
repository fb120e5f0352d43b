"""The status and kind codes of recruitment, agencies, applications and accounts are `enum.StrEnum`s: each
member is the stored string, so columns, JSON, forms and templates see the same text as before."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from flask import render_template_string
from sqlalchemy import text

from app.accounts.models import EducationLevel, EmploymentType, Role
from app.agencies.models import AgencyKind
from app.applications.models import AccommodationStatus, ApplicationStatus, DocumentKind
from app.recruitment.models import Accommodation, Mode, RoundStatus, StageKind

ENUMS = (
    Mode,
    RoundStatus,
    StageKind,
    Accommodation,
    AgencyKind,
    ApplicationStatus,
    AccommodationStatus,
    DocumentKind,
    Role,
    EmploymentType,
)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_members_are_their_stored_strings_and_all_lists_them_in_order(enum):
    assert issubclass(enum, StrEnum)
    assert tuple(m.value for m in enum) == enum.ALL  # ALL is not a member itself
    for member in enum:
        assert member == member.value and str(member) == member.value
        assert f"{member}" == member.value and json.dumps(member) == json.dumps(member.value)
        assert enum(member.value) is member


def test_a_round_stores_and_shows_the_plain_codes(app, db, make):
    agency = make.agency()
    round_ = make.round_(agency, mode=Mode.SELECTION_EXAM, status=RoundStatus.OPEN)
    round_.accommodations_offered = [Accommodation.EXTRA_TIME, Accommodation.LARGE_TEXT]
    db.session.commit()
    stored = db.session.execute(
        text("SELECT mode, status, accommodations_offered FROM rounds WHERE id = :i"), {"i": round_.id}
    ).one()
    assert (stored.mode, stored.status) == ("selection_exam", "open")
    offered = stored.accommodations_offered
    assert (json.loads(offered) if isinstance(offered, str) else offered) == ["extra_time", "large_text"]
    assert agency.kind in AgencyKind.ALL
    db.session.expire_all()
    assert round_.mode == Mode.SELECTION_EXAM and round_.mode in Mode.ALL
    assert (
        render_template_string("{{ m }}|{{ s }}", m=Mode.SELECTION_EXAM, s=RoundStatus.OPEN)
        == "selection_exam|open"
    )


def test_education_levels_are_their_stored_strings_in_rank_order(app):
    assert issubclass(EducationLevel, StrEnum)
    assert tuple(m.value for m in EducationLevel) == EducationLevel.ORDER
    assert EducationLevel.rank(EducationLevel.VOCATIONAL) == EducationLevel.rank("upper_secondary") == 1
    assert EducationLevel.rank(None) == EducationLevel.rank("unknown") == -1
    assert (
        render_template_string("{{ e }}|{{ r }}", e=EducationLevel.MASTER, r=Role.HR_OFFICER)
        == "master|hr_officer"
    )
