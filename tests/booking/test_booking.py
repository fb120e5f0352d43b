"""Seat booking as candidates and HR use it: booking a numbered seat in a centre's room, the
accessible seats of the disability track, "full" with the next free sittings, moving and
cancelling until the cut-off, holds released by the scheduler's job with the waiting list offered
the seat in order, HR moving a candidate with a reason, and the ticket naming centre, room, seat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import availability, holds, policy
from app.booking import services as booking
from app.booking.models import Booking, BookingStatus, WaitlistEntry
from app.centres.models import SittingRoom
from app.common import clock
from app.common.errors import NotAllowed
from app.exams.models import Seat
from app.jobs_runner import default_jobs
from app.notifications.models import OutboxEmail
from app.recruitment.models import Accommodation, Mode
from tests.support.reading import audit_count, page, pdf_pages


def _counters(sitting_id):
    from app.extensions import db

    db.session.expire_all()
    return [
        (sr.regular_booked, sr.accessible_booked)
        for sr in db.session.query(SittingRoom).filter_by(sitting_id=sitting_id)
    ]


def _emails(db, to):
    """The subjects of the emails queued for `to` (in the candidate's language, Thai)."""
    return [
        m.subject for m in db.session.query(OutboxEmail).filter_by(to_address=to).order_by(OutboxEmail.id)
    ]


def test_candidate_books_a_numbered_seat_and_the_ticket_names_centre_room_and_seat(app, db, make):
    w = make.booking.world(make, seats=(2, 3), accessible=(0, 0), sittings=2)
    a = make.application(w.round)
    c = make.client_for(app, a.candidate)
    text = page(c.get(f"/applications/{a.id}/booking"))
    assert "Sitting 1" in text and "Sitting 2" in text and w.venue.name_th in text
    resp = c.post(
        f"/applications/{a.id}/booking", data={"sitting_id": w.sittings[0].id}, follow_redirects=True
    )
    text = page(resp)
    assert "Your seat has been booked." in text and "room 301, seat 1" in text and "Confirmed" in text
    b = availability.booking_of(a)
    assert (b.status, b.seat_no) == (BookingStatus.CONFIRMED, 1)
    seat = db.session.get(Seat, b.seat_id)
    assert (seat.sitting_id, seat.room, seat.seat_number) == (w.sittings[0].id, "301", "1")
    assert _counters(w.sittings[0].id) == [(1, 0), (0, 0)]
    pdf = c.get(f"/exams/sittings/{w.sittings[0].id}/ticket.pdf")
    first = "\n".join(pdf_pages(pdf.data))
    assert w.venue.name_th in first and "301" in first and "สนามสอบ" in first
    assert audit_count(db, "booking.book") == 1
    assert _emails(db, a.candidate.email) == [f"จองที่นั่งสอบแล้ว: {a.number}"]
    # a second booking is refused: one seat per application
    resp = c.post(f"/applications/{a.id}/booking", data={"sitting_id": w.sittings[1].id})
    assert resp.status_code == 409 and "move it instead" in page(resp)


def test_a_full_sitting_says_so_and_offers_the_next_sittings_with_seats(app, db, make):
    w = make.booking.world(make, seats=(1,), accessible=(0,), sittings=2)
    first, second = make.application(w.round), make.application(w.round)
    booking.book(first, first.candidate, w.sittings[0])
    c = make.client_for(app, second.candidate)
    resp = c.post(f"/applications/{second.id}/booking", data={"sitting_id": w.sittings[0].id})
    text = page(resp)
    assert resp.status_code == 409 and "This sitting is full" in text
    assert "These sittings still have seats:" in text and "Book Sitting 2" in text
    assert "Join the waiting list of Sitting 1" in text
    assert availability.booking_of(second) is None and _counters(w.sittings[0].id) == [(1, 0)]


def test_the_disability_track_gets_accessible_seats_in_rooms_providing_its_accommodations(app, db, make):
    from app.applications.models import AccommodationRequest

    w = make.booking.world(make, seats=(10, 4), accessible=(0, 2), mode=Mode.DISABILITY)
    w.rooms[1].provides = [Accommodation.SCREEN_READER]
    db.session.commit()
    # (the copy on the sitting is what counts: attached before the change, still 2 accessible seats)
    a = make.application(w.round, disability_type="การมองเห็น")
    a.accommodations.append(AccommodationRequest(kind=Accommodation.SCREEN_READER, status="approved"))
    db.session.commit()
    (choice,) = availability.sitting_choices(a)
    assert choice.free == 2  # only the accessible seats of the room with a screen reader
    b = booking.book(a, a.candidate, w.sittings[0])
    assert (
        b.accessible
        and b.seat_no == 1
        and db.session.get(SittingRoom, b.sitting_room_id).room_id == w.rooms[1].id
    )
    other = make.application(w.round, disability_type="การเคลื่อนไหว")
    b2 = booking.book(other, other.candidate, w.sittings[0])
    third = make.application(w.round, disability_type="การได้ยิน")
    with pytest.raises(booking.SittingFull):
        booking.book(third, third.candidate, w.sittings[0])
    assert b2.seat_no == 2 and _counters(w.sittings[0].id) == [(0, 0), (0, 2)]


def test_move_and_cancel_until_the_cut_off_free_the_old_seat(app, db, make):
    w = make.booking.world(make, seats=(2,), accessible=(0,), sittings=2)
    a = make.application(w.round)
    c = make.client_for(app, a.candidate)
    booking.book(a, a.candidate, w.sittings[0])
    resp = c.post(
        f"/applications/{a.id}/booking/move", data={"sitting_id": w.sittings[1].id}, follow_redirects=True
    )
    assert "Your seat has been moved." in page(resp)
    b = availability.booking_of(a)
    assert b.sitting_id == w.sittings[1].id and b.moves == 1
    assert _counters(w.sittings[0].id) == [(0, 0)] and _counters(w.sittings[1].id) == [(1, 0)]
    assert db.session.query(Seat).filter_by(candidate_id=a.candidate_id).one().sitting_id == w.sittings[1].id
    clock.set_now(policy.policy_of(w.round.id).change_cutoff_at + timedelta(minutes=1))
    resp = c.post(f"/applications/{a.id}/booking/cancel", data={"confirm": "yes"})
    assert resp.status_code == 409 and "can no longer be moved or cancelled" in page(resp)
    clock.set_now(None)
    # Cancelling asks first, saying what it does; the seat stays meanwhile.
    asked = c.post(f"/applications/{a.id}/booking/cancel")
    assert asked.status_code == 200 and "Cancel your seat?" in page(asked)
    assert "released for someone else" in page(asked) and "not refunded" in page(asked)
    assert _counters(w.sittings[1].id) == [(1, 0)]
    resp = c.post(f"/applications/{a.id}/booking/cancel", data={"confirm": "yes"}, follow_redirects=True)
    assert "Your seat has been cancelled." in page(resp)
    assert _counters(w.sittings[1].id) == [(0, 0)] and db.session.query(Seat).count() == 0
    assert audit_count(db, "booking.move") == 1 and audit_count(db, "booking.cancel") == 1


def test_unpaid_holds_are_released_by_the_job_and_offered_to_the_waiting_list_in_order(app, db, make):
    w = make.booking.world(make, seats=(1,), accessible=(0,), fee="300", hold_hours=24)
    holder, first, second = (make.application(w.round) for _ in range(3))
    b = booking.book(holder, holder.candidate, w.sittings[0])
    assert b.status == BookingStatus.HELD and b.hold_reason == "payment"
    c2, c3 = make.client_for(app, first.candidate), make.client_for(app, second.candidate)
    for c, a in ((c2, first), (c3, second)):
        resp = c.post(
            f"/applications/{a.id}/booking/waitlist",
            data={"sitting_id": w.sittings[0].id},
            follow_redirects=True,
        )
        assert "You are on the waiting list." in page(resp)
    # before the deadline nothing moves
    job = next(j for j in default_jobs() if j.name == "hold-expiry")
    assert job.fn() == {"released": 0, "offered": 0, "withdrawn": 0}
    clock.set_now(b.held_until + timedelta(seconds=1))
    assert job.fn() == {"released": 1, "offered": 1, "withdrawn": 0}
    db.session.expire_all()
    assert availability.booking_of(holder).status == BookingStatus.RELEASED
    offer = availability.booking_of(first)
    assert (offer.status, offer.hold_reason, offer.seat_no) == (BookingStatus.HELD, "offer", 1)
    assert availability.booking_of(second) is None
    assert [e.status for e in db.session.query(WaitlistEntry).order_by(WaitlistEntry.id)] == [
        "offered",
        "waiting",
    ]
    assert f"ที่นั่งที่กันไว้ของท่านถูกปล่อยแล้ว: {holder.number}" in _emails(db, holder.candidate.email)
    assert f"มีที่นั่งสอบว่างสำหรับท่าน: {first.number}" in _emails(db, first.candidate.email)
    assert audit_count(db, "booking.release") == 1 and audit_count(db, "booking.offer") == 1
    # running the job again changes nothing
    assert job.fn() == {"released": 0, "offered": 0, "withdrawn": 0}
    # the first on the list does not pay in time either: the seat passes to the second
    clock.set_now(offer.held_until + timedelta(seconds=1))
    assert job.fn() == {"released": 1, "offered": 1, "withdrawn": 0}
    db.session.expire_all()
    assert availability.booking_of(second).status == BookingStatus.HELD
    assert _counters(w.sittings[0].id) == [(1, 0)]


def test_an_offered_seat_without_a_fee_is_confirmed_by_the_candidate(app, db, make):
    w = make.booking.world(make, seats=(1,), accessible=(0,))
    holder, waiting = make.application(w.round), make.application(w.round)
    booking.book(holder, holder.candidate, w.sittings[0])
    booking.join_waitlist(waiting, waiting.candidate, w.sittings[0])
    booking.cancel(holder, holder.candidate)
    offer = availability.booking_of(waiting)
    assert offer.status == BookingStatus.HELD and offer.hold_reason == "offer"
    c = make.client_for(app, waiting.candidate)
    resp = c.post(f"/applications/{waiting.id}/booking/confirm", follow_redirects=True)
    assert "Your seat is confirmed." in page(resp)
    db.session.expire_all()
    assert offer.status == BookingStatus.CONFIRMED and offer.seat_id is not None


def test_hr_sees_fill_rates_and_moves_a_candidate_with_a_reason(app, db, make):
    w = make.booking.world(make, seats=(4,), accessible=(1,), sittings=2)
    a = make.application(w.round)
    b = booking.book(a, a.candidate, w.sittings[0])
    hr = make.client_for(app, w.hr)
    text = page(hr.get(f"/hr/rounds/{w.round.id}/booking"))
    assert (
        "Fill by sitting" in text
        and "25%" in text
        and "Fill by test centre" in text
        and "Test School" in text
    )
    resp = hr.post(f"/hr/bookings/{b.id}/move", data={"sitting_id": w.sittings[1].id, "reason": ""})
    assert resp.status_code == 422 and availability.booking_of(a).sitting_id == w.sittings[0].id
    resp = hr.post(
        f"/hr/bookings/{b.id}/move",
        data={"sitting_id": w.sittings[1].id, "reason": "Room 301 is flooded"},
        follow_redirects=True,
    )
    assert "The candidate has been moved and told." in page(resp)
    db.session.expire_all()
    assert availability.booking_of(a).sitting_id == w.sittings[1].id
    assert f"เจ้าหน้าที่ย้ายที่นั่งสอบของท่าน: {a.number}" in _emails(db, a.candidate.email)
    assert audit_count(db, "booking.move") == 1


def test_hr_seating_is_off_for_a_booking_round_and_rooms_set_the_capacity(app, db, make):
    from app.exams import sittings

    w = make.booking.world(make, seats=(5, 7), accessible=(1, 0))
    make.application(w.round)
    with pytest.raises(NotAllowed):
        sittings.seat_round_candidates(w.sittings[0], w.hr)
    hr = make.client_for(app, w.hr)
    text = page(hr.get(f"/hr/sittings/{w.sittings[0].id}/rooms"))
    assert "Capacity 12 seats (1 accessible), 0 booked, 12 free." in text
    venue_page = page(hr.get(f"/hr/centres/{w.venue.id}"))
    assert "301" in venue_page and "302" in venue_page
    resp = hr.post(f"/hr/centres/{w.venue.id}", data={"code": "401", "seats": "3", "accessible_seats": "5"})
    assert resp.status_code == 422 and "Accessible seats are from 0 to the room's seats." in page(resp)


def test_booking_waits_for_approval_and_the_window(app, db, make):
    from app.applications.models import ApplicationStatus

    w = make.booking.world(make)
    a = make.application(w.round, status=ApplicationStatus.SUBMITTED)
    with pytest.raises(NotAllowed, match="once your application is approved"):
        booking.book(a, a.candidate, w.sittings[0])
    a.status = ApplicationStatus.APPROVED
    db.session.commit()
    clock.set_now(policy.policy_of(w.round.id).closes_at)
    with pytest.raises(NotAllowed, match="Booking closed"):
        booking.book(a, a.candidate, w.sittings[0])
    assert db.session.query(Booking).count() == 0


def test_a_withdrawn_application_gives_its_seat_back_to_the_waiting_list(app, db, make):
    from app.applications.models import ApplicationStatus

    w = make.booking.world(make, seats=(1,), accessible=(0,))
    leaving, waiting = make.application(w.round), make.application(w.round)
    booking.book(leaving, leaving.candidate, w.sittings[0])
    booking.join_waitlist(waiting, waiting.candidate, w.sittings[0])
    leaving.status = ApplicationStatus.WITHDRAWN  # as withdrawing (tested in tests/applications/) leaves it
    db.session.commit()
    assert holds.release_expired_holds() == {"released": 0, "offered": 0, "withdrawn": 1}
    db.session.expire_all()
    assert availability.booking_of(leaving).status == BookingStatus.CANCELLED
    assert db.session.query(Seat).filter_by(application_id=leaving.id).count() == 0
    assert availability.booking_of(waiting).status == BookingStatus.HELD
    assert _counters(w.sittings[0].id) == [(1, 0)]
