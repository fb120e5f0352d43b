"""Forms the GOV.UK way, read in Thai (issue 16): WTForms' own messages in Thai, the error summary
at the top linking to each field in error, dates typed with a Buddhist Era or Christian Era year,
and error pages that say what happened in Thai."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.common import national_id as nid
from app.common.thai import parse_date, typed_date
from tests.support.reading import page

NID = nid.complete("110170012345")


def registration(**overrides) -> dict:
    data = {
        "first_name_th": "สมหญิง",
        "last_name_th": "ใจดี",
        "first_name_en": "Somying",
        "last_name_en": "Jaidee",
        "national_id": NID,
        "birth_date": "02/04/2539",
        "email": "somying@example.com",
        "phone": "0812345678",
        "password": "strong-pass-2026",
        "password_confirm": "strong-pass-2026",
    }
    data.update(overrides)
    return data


def summary_links(html: str) -> list[tuple[str, str]]:
    """(target id, text) of each link of the error summary."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary on the page"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', box.group(0))


def test_an_empty_registration_is_answered_in_thai_with_a_summary_linking_each_field(client_th, db):
    resp = client_th.post("/accounts/register", data={})
    assert resp.status_code == 422
    html = page(resp)
    assert "This field is required." not in html and "Not a valid" not in html
    assert "พบข้อผิดพลาด" in html  # "There is a problem"
    links = summary_links(html)
    targets = [target for target, _text in links]
    assert targets[:2] == ["first_name_th", "last_name_th"]
    assert {"national_id", "birth_date", "email", "password"} <= set(targets)
    for target, text in links:
        assert re.search(r"[\u0e00-\u0e7f]", text), f"the summary's line for {target} is not Thai: {text}"
        assert f'id="{target}"' in html  # the link leads to a field of the page
        assert f'id="{target}-error"' in html  # and the same message sits at the field
    assert "ต้องกรอกช่องนี้" in html  # WTForms' "This field is required." in Thai
    assert ("first_name_th", "ชื่อ (ภาษาไทย): ต้องกรอกช่องนี้") in links  # the summary names the field
    assert db.session.scalar(select(User)) is None


def test_a_birth_date_typed_in_the_buddhist_era_is_stored_as_the_date_it_is(client_th, db):
    resp = client_th.post("/accounts/register", data=registration(birth_date="2/4/2539"))
    assert resp.status_code == 200, page(resp)
    assert db.session.scalar(select(User)).birth_date == date(1996, 4, 2)


def test_an_impossible_date_is_refused_at_its_field_in_thai(client_th, db):
    resp = client_th.post("/accounts/register", data=registration(birth_date="31/02/2539"))
    assert resp.status_code == 422
    html = page(resp)
    [(target, text)] = summary_links(html)
    assert target == "birth_date" and text.endswith("กรุณากรอกวันที่ที่มีอยู่จริงในรูปแบบ วัน/เดือน/ปี เช่น 15/01/2539")
    assert 'id="birth_date-error"' in html and 'value="31/02/2539"' in html  # what was typed stays
    assert db.session.scalar(select(User)) is None


def test_the_date_field_says_both_eras_are_accepted(client_th):
    html = page(client_th.get("/accounts/register"))
    assert "ใช้ปีพุทธศักราช (2539) หรือคริสต์ศักราช (1996) ก็ได้" in html
    assert 'aria-describedby="birth_date-hint' in html


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("15/01/2539", date(1996, 1, 15)),
        ("15/1/1996", date(1996, 1, 15)),
        ("15.01.2539", date(1996, 1, 15)),
        ("15-01-2539", date(1996, 1, 15)),
        ("15 01 2539", date(1996, 1, 15)),
        ("2539-01-15", date(1996, 1, 15)),  # a browser's picker with a B.E. year typed into it
        ("1996-01-15", date(1996, 1, 15)),
        ("29/02/2567", date(2024, 2, 29)),  # 2567 B.E. is the leap year 2024
        (" 1/12/2400 ", date(2400, 12, 1)),  # 2400 itself is read as C.E.: B.E. starts above
    ],
)
def test_dates_are_read_as_people_type_them(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["", "15/13/2539", "29/02/2568", "2539", "tomorrow", "15/01/39"])
def test_what_is_not_a_date_is_refused(typed):
    with pytest.raises(ValueError):
        parse_date(typed)


def test_a_date_is_written_back_in_the_readers_era():
    assert typed_date(date(1996, 1, 15), "th") == "15/01/2539"
    assert typed_date(date(1996, 1, 15), "en") == "15/01/1996"


def test_the_not_found_page_speaks_thai(client_th):
    resp = client_th.get("/no-such-page")
    assert resp.status_code == 404
    html = page(resp)
    assert "ไม่พบหน้าที่ท่านต้องการ" in html
    assert "The requested URL was not found" not in html  # Werkzeug's English description
