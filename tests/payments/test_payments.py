"""Application fees as candidates and HR use them: the slip (page, QR image, Thai PDF), the bank
statement import (a match marks paid and confirms the held seat; a wrong amount, an unknown
reference, a duplicate, a second payment and an unreadable line are listed, never applied; the
same file twice is refused), payments by hand and refunds by the stated rules, all audited."""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import refresh

from app.booking.models import BookingStatus
from app.payments import services as payments
from app.payments import thaiqr
from app.payments.models import LineOutcome, Payment, PaymentStatus, StatementLine
from tests.support.reading import audit_count, page, pdf_pages


def _slip(app, make, application, lang="en"):
    c = make.client_for(app, application.candidate, lang=lang)
    return c, c.get(f"/applications/{application.id}/payment")


def _import(client, data: bytes, name="kbank-20261206.csv"):
    return client.post(
        "/hr/payments/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_candidate_gets_a_slip_with_reference_and_thai_qr(app, db, make):
    w = make.booking.world(make, fee="350")
    a = make.application(w.round)
    c, resp = _slip(app, make, a)
    assert resp.status_code == 200
    payment = db.session.query(Payment).one()
    text = page(resp)
    assert payment.reference in text and "350.00" in text and "Awaiting payment" in text
    assert payment.reference == thaiqr.reference_of(a.number, a.id)
    svg = c.get(f"/applications/{a.id}/payment/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    # the QR's payload: tag 30 with the biller, ref1 = the reference, ref2 = the round, the amount
    parsed = thaiqr.parse(payments.slip(payment).qr_payload)
    assert parsed["30"]["02"] == payment.reference and parsed["30"]["03"] == thaiqr.round_reference(
        w.round.code
    )
    assert parsed["54"] == "350.00" and parsed["01"] == "12"
    pdf = c.get(f"/applications/{a.id}/payment/slip.pdf")
    assert pdf.mimetype == "application/pdf"
    (first,) = pdf_pages(pdf.data)
    assert "เงินค่าธรรมเนียมการสมัครสอบ" in first and payment.reference in first and "350.00 บาท" in first
    assert audit_count(db, "payment.open") == 1
    # nobody else's slip
    other = make.client_for(app, make.candidate())
    assert other.get(f"/applications/{a.id}/payment").status_code == 403


def test_the_application_page_shows_the_fee_and_the_link_in_thai(app, db, make):
    w = make.booking.world(make, fee="350")
    a = make.application(w.round)
    c = make.client_for(app, a.candidate, lang="th")
    refresh()  # (the requests share the test's app context, where Flask-Babel keeps the locale)
    text = page(c.get(f"/applications/{a.id}"))
    assert "ค่าธรรมเนียมการสมัคร" in text and "350.00" in text and "ใบแจ้งชำระเงิน" in text


def test_statement_import_matches_lists_and_never_applies_mismatches(app, db, make):
    w = make.booking.world(make, fee="350", seats=(5,), accessible=(0,))
    paid, short, twice = (make.application(w.round) for _ in range(3))
    refs = {}
    for a in (paid, short, twice):
        _slip(app, make, a)
        refs[a.id] = payments.payment_of(a).reference
    # the first candidate holds a seat until they pay
    from app.booking import availability
    from app.booking import services as booking

    held = booking.book(paid, paid.candidate, w.sittings[0])
    assert held.status == BookingStatus.HELD and held.seat_id is None
    hr = make.client_for(app, w.hr)
    data = make.booking.statement_csv(
        ("06/12/2569", "10:15:00", refs[paid.id], "X", "350.00", "ผู้ชำระ หนึ่ง", "T001"),
        ("06/12/2569", "10:16:00", refs[short.id], "X", "300.00", "ผู้ชำระ สอง", "T002"),
        ("06/12/2569", "10:17:00", "ZZ9999999", "X", "350.00", "ใครก็ไม่รู้", "T003"),
        ("06/12/2569", "10:18:00", refs[twice.id], "X", "350.00", "ผู้ชำระ สาม", "T004"),
        ("06/12/2569", "10:19:00", refs[twice.id], "X", "350.00", "ผู้ชำระ สาม", "T005"),
        ("06/12/2569", "10:18:00", refs[twice.id], "X", "350.00", "ผู้ชำระ สาม", "T004"),
        ("31/02/2569", "25:00", refs[short.id], "X", "abc", "", "T006"),
    )
    resp = _import(hr, data)
    text = page(resp)
    assert resp.status_code == 200 and "2 payments matched, 5 lines need a look" in text
    outcomes = [line.outcome for line in db.session.query(StatementLine).order_by(StatementLine.line_no)]
    assert outcomes == [
        LineOutcome.MATCHED,
        LineOutcome.WRONG_AMOUNT,
        LineOutcome.UNKNOWN_REFERENCE,
        LineOutcome.MATCHED,
        LineOutcome.ALREADY_PAID,
        LineOutcome.DUPLICATE,
        LineOutcome.INVALID,
    ]
    for label in (
        "Amount differs from the fee",
        "Unknown reference",
        "Duplicate: already imported",
        "Application already paid: refund the second payment",
        "Line could not be read",
    ):
        assert label in text
    db.session.expire_all()
    assert payments.payment_of(paid).status == PaymentStatus.PAID
    assert payments.payment_of(short).status == PaymentStatus.PENDING  # listed, not applied
    assert payments.payment_of(twice).status == PaymentStatus.PAID
    # the Buddhist-Era date, Bangkok time → UTC
    assert payments.payment_of(paid).paid_at.isoformat() == "2026-12-06T03:15:00+00:00"
    # the payment confirmed the held seat: the exam seat exists now
    held = availability.booking_of(paid)
    assert held.status == BookingStatus.CONFIRMED and held.seat_id is not None
    assert audit_count(db, "payment.paid") == 2 and audit_count(db, "statement.import") == 1
    # the same file again: refused, nothing applied twice
    again = _import(hr, data)
    assert "was already imported" in page(again)
    assert audit_count(db, "payment.paid") == 2
    # a later file with the same transaction: a duplicate, listed
    _import(
        hr,
        make.booking.statement_csv(
            ("06/12/2569", "10:15:00", refs[paid.id], "X", "350.00", "ผู้ชำระ หนึ่ง", "T001")
        ),
        "next.csv",
    )
    last = db.session.query(StatementLine).order_by(StatementLine.id.desc()).first()
    assert last.outcome == LineOutcome.DUPLICATE


def test_a_file_without_the_required_columns_is_refused_naming_it(app, db, make):
    w = make.booking.world(make, fee="100")
    hr = make.client_for(app, w.hr)
    resp = hr.post(
        "/hr/payments/import",
        data={"file": (io.BytesIO(b"Date,Whatever\n1,2\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "bad.csv, line 1: no column for time, ref1, amount" in page(resp)
    th = make.client_for(app, w.hr, lang="th")
    refresh()
    resp = th.post(
        "/hr/payments/import",
        data={"file": (io.BytesIO(b"Date,Whatever\n1,2\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert "bad.csv" in page(resp) and "ไม่มีคอลัมน์" in page(resp)


def test_hr_of_another_agency_cannot_match_or_see_payments(app, db, make):
    w = make.booking.world(make, fee="100")
    a = make.application(w.round)
    _slip(app, make, a)
    ref = payments.payment_of(a).reference
    stranger = make.hr(make.agency())
    c = make.client_for(app, stranger)
    _import(c, make.booking.statement_csv(("2026-12-06", "09:00", ref, "", "100.00", "x", "Q1")))
    assert db.session.query(StatementLine).one().outcome == LineOutcome.UNKNOWN_REFERENCE
    assert payments.payment_of(a).status == PaymentStatus.PENDING
    assert c.get(f"/hr/payments/{payments.payment_of(a).id}").status_code == 403


def test_payment_by_hand_and_refund_by_the_rules(app, db, make):
    w = make.booking.world(make, fee="200")
    a = make.application(w.round)
    _slip(app, make, a)
    p = payments.payment_of(a)
    hr = make.client_for(app, w.hr)
    resp = hr.post(f"/hr/payments/{p.id}/paid", data={"reason": "x"})
    assert resp.status_code == 422 and payments.payment_of(a).status == PaymentStatus.PENDING
    resp = hr.post(
        f"/hr/payments/{p.id}/paid", data={"reason": "Counter receipt 0042 checked"}, follow_redirects=True
    )
    assert "The payment has been recorded." in page(resp)
    db.session.expire_all()
    assert p.status == PaymentStatus.PAID
    resp = hr.post(f"/hr/payments/{p.id}/refund", data={"rule": "changed_my_mind"})
    assert resp.status_code == 422 and p.status == PaymentStatus.PAID
    resp = hr.post(
        f"/hr/payments/{p.id}/refund",
        data={"rule": "paid_twice", "note": "second transfer"},
        follow_redirects=True,
    )
    assert "The refund has been recorded." in page(resp)
    db.session.expire_all()
    assert (p.status, p.refund_rule) == (PaymentStatus.REFUNDED, "paid_twice")
    assert audit_count(db, "payment.refund") == 1 and audit_count(db, "payment.paid") == 1


def test_hr_sets_the_fee_and_it_freezes_once_paid(app, db, make):
    w = make.booking.world(make)
    hr = make.client_for(app, w.hr)
    resp = hr.post(f"/hr/rounds/{w.round.id}/fee", data={"amount": "-5", "pay_within_days": "3"})
    assert resp.status_code == 422
    resp = hr.post(
        f"/hr/rounds/{w.round.id}/fee", data={"amount": "450", "pay_within_days": "5"}, follow_redirects=True
    )
    assert "Current fee: 450.00 baht, due within 5 days." in page(resp)
    assert payments.fee_of(w.round).amount == Decimal("450.00")
    a = make.application(w.round)
    _slip(app, make, a)
    payments.record_payment_by_hand(payments.payment_of(a), w.hr, "Receipt 1 at the counter")
    resp = hr.post(f"/hr/rounds/{w.round.id}/fee", data={"amount": "500", "pay_within_days": "5"})
    assert resp.status_code == 409 and payments.fee_of(w.round).amount == Decimal("450.00")
    assert audit_count(db, "fee.set") == 1


def test_hr_seating_skips_unpaid_applications_of_a_round_with_a_fee(app, db, make):
    from app.exams import sittings

    w = make.booking.world(make, fee="100")
    # a round without booking: HR seats from the approved applications, but only the paid ones
    db.session.delete(
        db.session.query(__import__("app.booking.models", fromlist=["BookingPolicy"]).BookingPolicy).one()
    )
    db.session.commit()
    paid, _unpaid = make.application(w.round), make.application(w.round)
    _slip(app, make, paid)
    payments.record_payment_by_hand(payments.payment_of(paid), w.hr, "Receipt 7 at the counter")
    result = sittings.seat_round_candidates(w.sittings[0], w.hr)
    assert (result.seated, result.unpaid) == (1, 1)
    assert [s.application_id for s in w.sittings[0].seats] == [paid.id]
