"""The admission ticket a candidate brings to the door: the exam number (the application's), the
photograph from the application, room and seat, the rules of the day and the organisation's
emblem, read back from the PDF the candidate downloads."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from app.exams import sitting_control, sittings
from app.exams.models import Seat
from app.recruitment.models import RoundStatus
from tests.factories import applications as ah
from tests.factories import exams as eh
from tests.support.reading import pdf_pages


def images_on_first_page(pdf: bytes) -> int:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return len(page.images)


def download(client, make, cand, sitting) -> bytes:
    assert make.login(client, cand).status_code == 302
    resp = client.get(f"/exams/sittings/{sitting.id}/ticket.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return resp.data


def round_sitting(db, make):
    """An approved applicant of a round whose Part A sitting HR seated in one go."""
    eh.bank()
    exam = eh.exam(duration=30)
    agency = make.agency()
    hr = make.hr(agency)
    round_ = make.round_(agency, status=RoundStatus.IN_PROGRESS)
    app_ = make.application(round_)
    sitting, _hr = eh.sitting(make, exam, starts_in=timedelta(days=2))
    sitting.agency_id, sitting.round_id = agency.id, round_.id
    db.session.commit()
    sittings.seat_round_candidates(sitting, hr, "ห้อง 3", 30)
    return app_, sitting


def test_the_ticket_prints_the_exam_number_room_seat_and_rules(client, db, make):
    app_, sitting = round_sitting(db, make)
    seat = db.session.query(Seat).filter_by(application_id=app_.id).one()

    text = " ".join(pdf_pages(download(client, make, app_.candidate, sitting)))

    assert "เลขประจำตัวสอบ" in text and app_.number in text
    assert "ห้อง 3" in text and seat.room in text
    assert "เลขที่นั่งสอบ" in text and seat.seat_number in text
    assert "ข้อปฏิบัติของผู้เข้าสอบ" in text and "เข้าสอบด้วยบัญชีของตนเองเท่านั้น" in text
    assert " - " not in text.split("เลขประจำตัวสอบ")[1][:20]  # the number, not the old dash


def test_the_ticket_carries_the_photo_from_the_application(client, db, make, app):
    app_, sitting = round_sitting(db, make)
    without = download(client, make, app_.candidate, sitting)
    assert "ติดรูปถ่าย" in pdf_pages(without)[0]  # the empty frame to stick a photo in
    assert images_on_first_page(without) == 1  # the emblem only

    ah.photo_document(app_)
    with_photo = client.get(f"/exams/sittings/{sitting.id}/ticket.pdf").data
    assert "ติดรูปถ่าย" not in pdf_pages(with_photo)[0]
    assert images_on_first_page(with_photo) == 2  # the emblem and the photograph


def test_without_an_emblem_configured_the_ticket_still_prints(client, db, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "ORG_EMBLEM_PATH", "")
    app_, sitting = round_sitting(db, make)
    pdf = download(client, make, app_.candidate, sitting)
    assert images_on_first_page(pdf) == 0 and app_.number in pdf_pages(pdf)[0]


def test_a_seat_given_one_by_one_keeps_the_application_and_its_number(client, db, make):
    """HR seats one applicant by national ID in an agency-wide Part A sitting (no round): the
    seat carries the application, so the ticket has its number instead of "-"."""
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(days=2))
    round_ = make.round_(sitting.agency)
    app_ = make.application(round_)
    seat = sittings.seat_candidate(sitting, hr, app_.candidate.national_id, "B2", "17")
    assert seat.application_id == app_.id

    text = pdf_pages(download(client, make, app_.candidate, sitting))[0]
    assert app_.number in text and "B2" in text and "17" in text


def test_an_older_seat_without_its_application_finds_it(client, db, make):
    """Seats stored before the fix (and the demo's) have no application: the ticket finds the
    candidate's application to a round of the sitting's agency."""
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, _hr = eh.sitting(make, exam, starts_in=timedelta(days=2))
    app_ = make.application(make.round_(sitting.agency))
    cand = app_.candidate
    seat = sitting_control.add_seat(sitting, cand, room="101", seat_number="A1")
    assert seat.application_id is None
    assert app_.number in pdf_pages(download(client, make, cand, sitting))[0]
