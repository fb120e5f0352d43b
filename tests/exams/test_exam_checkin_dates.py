"""Check-in in Thai with the birth date as Thai people write it (issue 16): a Buddhist Era year is
the same birth date, never a mismatch reported on the national-ID field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.common.thai import be_year
from app.exams.models import Seat
from app.extensions import db as _db
from tests.factories import exams as eh
from tests.support.reading import page


@pytest.fixture
def seated(make):
    eh.bank()
    exam = eh.exam(duration=30, policy="after_publication")
    sitting, _hr = eh.sitting(make, exam, starts_in=timedelta(minutes=10))
    cand, seat = eh.seated(make, sitting)
    return sitting, cand, seat


def form(cand, birth: str) -> dict:
    return {"national_id_last4": cand.national_id[-4:], "birth_date": birth, "accept_rules": "y"}


@pytest.mark.parametrize("style", ["d/m/BE", "d/m/CE", "picker BE", "picker CE"])
def test_check_in_accepts_the_birth_year_in_either_era(app, make, seated, style):
    sitting, cand, seat = seated
    b = cand.birth_date
    typed = {
        "d/m/BE": f"{b.day}/{b.month}/{be_year(b)}",
        "d/m/CE": f"{b.day:02d}/{b.month:02d}/{b.year}",
        "picker BE": f"{be_year(b)}-{b.month:02d}-{b.day:02d}",
        "picker CE": b.isoformat(),
    }[style]
    c = make.client_for(app, cand, lang="th")
    resp = c.post(f"/exams/sittings/{sitting.id}/check-in", data=form(cand, typed))
    assert resp.status_code == 302, page(resp)
    _db.session.expire_all()
    assert _db.session.get(Seat, seat.id).checked_in_at is not None


def test_a_birth_date_that_is_not_a_date_is_told_at_the_birth_date_in_thai(app, make, seated):
    sitting, cand, seat = seated
    c = make.client_for(app, cand, lang="th")
    resp = c.post(f"/exams/sittings/{sitting.id}/check-in", data=form(cand, "31/02/2539"))
    assert resp.status_code == 422
    html = page(resp)
    assert 'id="birth_date-error"' in html and 'id="national_id_last4-error"' not in html
    assert "กรุณากรอกวันที่ที่มีอยู่จริง" in html and '<a href="#birth_date">' in html
    _db.session.expire_all()
    assert _db.session.get(Seat, seat.id).checked_in_at is None


def test_the_check_in_page_shows_the_birth_date_hint_in_thai(app, make, seated):
    sitting, cand, _seat = seated
    html = page(make.client_for(app, cand, lang="th").get(f"/exams/sittings/{sitting.id}/check-in"))
    assert "ใช้ปีพุทธศักราช (2539) หรือคริสต์ศักราช (1996) ก็ได้" in html
    assert 'type="date"' not in html  # a text box: browsers' pickers take C.E. years only
