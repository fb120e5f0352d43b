"""Irreversible steps on a result list are confirmed first, naming what will happen, and offered
only to who may take them (issue 16); the server refuses an unconfirmed step."""

from __future__ import annotations

import pytest
from flask_babel import refresh

from app.accounts.models import User
from app.extensions import db as _db
from app.merit.models import ListStatus, MeritList
from tests.support.reading import page


@pytest.fixture(autouse=True)
def _thai():
    refresh()  # the requests share the test's app context, where Flask-Babel keeps the locale


def status_of(ml) -> str:
    _db.session.expire_all()
    return _db.session.get(MeritList, ml.id).status


def test_the_preparer_and_an_officer_are_not_offered_approval_an_approver_is(app, make):
    ml = make.merit.published_list(make, status=ListStatus.DRAFT)
    preparer = _db.session.get(User, ml.prepared_by_id)
    html = page(make.client_for(app, preparer, lang="th").get(f"/hr/lists/{ml.id}"))
    assert "อนุมัติบัญชีนี้</button>" not in html and 'data-refusal="approve"' in html
    officer = make.hr(ml.round.agency)
    html = page(make.client_for(app, officer, lang="th").get(f"/hr/lists/{ml.id}"))
    assert "อนุมัติบัญชีนี้</button>" not in html and 'data-refusal="approve"' in html
    approver = make.hr(ml.round.agency, approver=True)
    html = page(make.client_for(app, approver, lang="th").get(f"/hr/lists/{ml.id}"))
    assert "อนุมัติบัญชีนี้</button>" in html and 'data-confirm-title="อนุมัติบัญชีนี้หรือไม่"' in html


def test_cancelling_a_list_asks_first_and_an_unconfirmed_post_changes_nothing(app, make):
    ml = make.merit.published_list(make, status=ListStatus.APPROVED)
    c = make.client_for(app, make.hr(ml.round.agency), lang="th")
    asked = c.post(f"/hr/lists/{ml.id}/cancel", data={"cancel-reason": "รอบนี้ยกเลิก"})
    assert asked.status_code == 200
    html = page(asked)
    assert "ยกเลิกบัญชีนี้หรือไม่" in html and "ไม่สามารถอนุมัติ ประกาศ หรือใช้ได้อีก" in html
    assert 'name="cancel-reason" value="รอบนี้ยกเลิก"' in html and 'name="confirm" value="yes"' in html
    assert f'href="/hr/lists/{ml.id}"' in html  # "No, go back"
    assert status_of(ml) == ListStatus.APPROVED

    c.post(f"/hr/lists/{ml.id}/cancel", data={"cancel-reason": "รอบนี้ยกเลิก", "confirm": "yes"})
    assert status_of(ml) == ListStatus.CANCELLED


def test_publishing_asks_first_naming_that_it_cannot_be_undone(app, make):
    ml = make.merit.published_list(make, status=ListStatus.APPROVED)
    c = make.client_for(app, make.hr(ml.round.agency), lang="th")
    html = page(c.get(f"/hr/lists/{ml.id}"))
    assert 'data-confirm-title="ประกาศบัญชีนี้หรือไม่"' in html and "ยกเลิกการประกาศไม่ได้" in html
    asked = page(c.post(f"/hr/lists/{ml.id}/publish"))
    assert "ประกาศบัญชีนี้หรือไม่" in asked and "ใช่ ประกาศบัญชี" in asked
    assert status_of(ml) == ListStatus.APPROVED
