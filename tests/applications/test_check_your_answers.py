"""Applying in Thai the GOV.UK way (issue 16): the form leads to "check your answers", where every
answer and document can be changed and from where alone the application is submitted; the
confirmation says what happens next and which expected document is missing; withdrawing and HR's
decisions are confirmed first, naming what will happen, and refused unconfirmed."""

from __future__ import annotations

import io

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from app.applications.models import Application, ApplicationStatus, Document
from app.recruitment.models import Accommodation, Mode
from tests.factories.applications import pdf_bytes, post_apply
from tests.support.reading import page


@pytest.fixture(autouse=True)
def _thai():
    refresh()  # the requests share the test's app context, where Flask-Babel keeps the locale


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def round_(make):
    return make.round_(
        make.agency(), accommodations_offered=[Accommodation.EXTRA_TIME, Accommodation.LARGE_TEXT]
    )


def test_check_your_answers_in_thai_then_change_then_submit(app, db, make, round_):
    cand = make.candidate()
    c = make.client_for(app, cand, lang="th")
    form = page(c.get(f"/rounds/{round_.id}/apply"))
    assert ">ดำเนินการต่อ</button>" in form and ">ยื่นใบสมัคร</button>" not in form  # continue, not submit

    resp = c.post(
        f"/rounds/{round_.id}/apply",
        data={"extra_time": "25", "doc_id_card": [(io.BytesIO(pdf_bytes()), "บัตรประชาชน.pdf")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/rounds/{round_.id}/apply/check")
    check = page(c.get(f"/rounds/{round_.id}/apply/check"))
    assert "ตรวจสอบคำตอบก่อนยื่นใบสมัคร" in check
    assert "เวลาเพิ่ม (25%)" in check  # the accommodation asked for, in words
    assert "บัตรประชาชน.pdf" in check and "ยังไม่ได้แนบ" in check  # transcript, degree: expected, missing
    assert f'href="/rounds/{round_.id}/apply#accommodations"' in check
    assert 'href="/accounts/profile"' in check  # qualifications are changed in the profile
    assert count(db, Application) == 0
    doc = db.session.scalar(select(Document))
    assert doc.owner_id == cand.id and doc.application_id is None  # kept, not yet attached

    # "Change": back to the form, which shows the answers and the file already attached.
    again = page(c.get(f"/rounds/{round_.id}/apply"))
    assert 'value="25"' in again and "แนบแล้ว: บัตรประชาชน.pdf" in again
    c.post(
        f"/rounds/{round_.id}/apply",
        data={"extra_time": "50", "doc_transcript": [(io.BytesIO(pdf_bytes()), "transcript.pdf")]},
        content_type="multipart/form-data",
    )
    check = page(c.get(f"/rounds/{round_.id}/apply/check"))
    assert "เวลาเพิ่ม (50%)" in check and "บัตรประชาชน.pdf" in check and "transcript.pdf" in check

    # Submitting needs the declaration: the error is Thai, in the summary and at the field.
    refused = c.post(f"/rounds/{round_.id}/apply/check", data={})
    assert refused.status_code == 422
    assert '<a href="#declaration">' in page(refused) and "พบข้อผิดพลาด" in page(refused)
    assert count(db, Application) == 0

    done = c.post(f"/rounds/{round_.id}/apply/check", data={"declaration": "y"}, follow_redirects=True)
    app_ = db.session.scalar(select(Application))
    assert app_.status == ApplicationStatus.SUBMITTED
    assert sorted(d.original_name for d in app_.documents) == ["transcript.pdf", "บัตรประชาชน.pdf"]
    assert [(r.kind, r.requested_value) for r in app_.accommodations] == [("extra_time", 50)]
    html = page(done)
    assert "ยื่นใบสมัครแล้ว" in html and app_.number in html
    assert "ขั้นตอนต่อไป" in html and round_.agency.name_th in html
    assert "เอกสารที่ยังขาด" in html and "หนังสือรับรองคุณวุฒิ" in html  # the degree: expected, missing
    assert c.get(f"/rounds/{round_.id}/apply/check").status_code == 302  # the draft is gone


def test_a_refused_file_is_told_at_its_own_field_and_nothing_is_kept(app, db, make, round_):
    c = make.client_for(app, make.candidate(), lang="th")
    resp = c.post(
        f"/rounds/{round_.id}/apply",
        data={
            "doc_transcript": [(io.BytesIO(pdf_bytes()), "good.pdf")],
            "doc_degree": [(io.BytesIO(b"not a pdf at all"), "fake.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    html = page(resp)
    assert 'id="doc_degree-error"' in html and "fake.pdf" in html
    assert '<a href="#doc_degree">' in html  # the summary leads to the file input
    assert count(db, Document) == 0


def test_the_disability_round_asks_to_check_the_card_number_too(app, db, make):
    round_ = make.round_(make.agency(), mode=Mode.DISABILITY)
    c = make.client_for(app, make.candidate(disability_card_no="1-2345-67890"), lang="th")
    post = c.post(
        f"/rounds/{round_.id}/apply",
        data={"disability_type": "การเห็น", "disability_card_no": "1-2345-67890"},
        content_type="multipart/form-data",
    )
    assert post.status_code == 302
    check = page(c.get(f"/rounds/{round_.id}/apply/check"))
    assert "1-2345-67890" in check and f'href="/rounds/{round_.id}/apply#disability_card_no"' in check


def test_withdrawing_is_confirmed_first_and_refused_unconfirmed(app, db, make, round_):
    cand = make.candidate()
    c = make.client_for(app, cand, lang="th")
    assert post_apply(c, round_).status_code == 302
    app_ = db.session.scalar(select(Application))
    detail = page(c.get(f"/applications/{app_.id}"))
    assert "data-confirm" in detail and "ใบสมัคร " + app_.number in detail  # the dialog's words

    asked = c.post(f"/applications/{app_.id}/withdraw", data={"reason": "ติดธุระ"})
    assert asked.status_code == 200
    html = page(asked)
    assert "ถอนใบสมัครนี้หรือไม่" in html and f"ใบสมัคร {app_.number}" in html
    assert 'name="confirm" value="yes"' in html and 'name="reason" value="ติดธุระ"' in html
    db.session.expire_all()
    assert db.session.get(Application, app_.id).status == ApplicationStatus.SUBMITTED  # nothing done

    c.post(f"/applications/{app_.id}/withdraw", data={"reason": "ติดธุระ", "confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Application, app_.id).status == ApplicationStatus.WITHDRAWN


def test_hr_approval_is_confirmed_first(app, db, make, round_):
    cand = make.candidate()
    assert post_apply(make.client_for(app, cand, lang="th"), round_).status_code == 302
    app_ = db.session.scalar(select(Application))
    hr = make.client_for(app, make.hr(round_.agency), lang="th")
    asked = page(hr.post(f"/applications/{app_.id}/approve"))
    assert "อนุมัติใบสมัครนี้หรือไม่" in asked and cand.full_name_th in asked
    db.session.expire_all()
    assert db.session.get(Application, app_.id).status == ApplicationStatus.SUBMITTED
    hr.post(f"/applications/{app_.id}/approve", data={"confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Application, app_.id).status == ApplicationStatus.APPROVED
