"""A candidate's home says what's next: after logging in they land on a page that gives, per
application, the next step with its date and the button that does it (through the HTTP client,
in English and in Thai)."""

from __future__ import annotations

from datetime import timedelta

from app.applications.models import ApplicationStatus
from app.audit.models import AuditEntry
from app.common import clock
from app.common.clock import now
from app.exams import sittings
from app.exams.models import Seat
from app.extensions import db as _db
from app.merit import offers
from app.recruitment.models import RoundStatus
from tests.factories import exams as eh
from tests.factories import interviews as ih
from tests.factories.merit import owner_hr, published_list
from tests.support.reading import page


def home(client, make, user) -> str:
    resp = make.login(client, user)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")  # lands on the home page
    return page(client.get("/"))


def section(html: str, heading: str) -> str:
    """The card of one application (from its heading to the next card)."""
    start = html.index(heading)
    end = html.find('<article class="card next-step', start)
    return html[start : end if end != -1 else None]


def seated(make, starts_in, mode="synchronized"):
    """An approved applicant seated in their round's Part A sitting."""
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, mode=mode, starts_in=starts_in)
    round_ = make.round_(sitting.agency, status=RoundStatus.IN_PROGRESS)
    app_ = make.application(round_)
    sitting.round_id = round_.id
    _db.session.commit()
    sittings.seat_round_candidates(sitting, hr, "R", 30)
    return app_, sitting


def test_a_submitted_application_asks_for_the_missing_documents_by_the_closing_date(client, make):
    round_ = make.round_(make.agency())
    app_ = make.application(round_, status=ApplicationStatus.SUBMITTED)

    html = home(client, make, app_.candidate)

    assert "What's next for you" in html
    card = section(html, round_.title_en)
    assert "Now:" in card and "Upload the 3 documents still missing by" in card
    assert f'href="/applications/{app_.id}"' in card and "Upload documents" in card


def test_a_test_ahead_gives_its_time_the_check_in_opening_and_the_ticket(client, make):
    app_, sitting = seated(make, timedelta(days=2))
    card = section(home(client, make, app_.candidate), app_.round.title_en)
    assert "Next:" in card and "Check in from" in card and "room and seat R1 / 1" in card
    assert f'href="/exams/sittings/{sitting.id}/ticket.pdf"' in card


def test_when_check_in_is_open_the_action_is_check_in(client, make):
    app_, sitting = seated(make, timedelta(minutes=10))
    card = section(home(client, make, app_.candidate), app_.round.title_en)
    assert "Now:" in card and "Check in now for" in card
    assert f'href="/exams/sittings/{sitting.id}/check-in"' in card


def test_an_open_window_test_offers_enter_the_exam(client, make):
    app_, sitting = seated(make, timedelta(minutes=-5), mode="window")
    seat = _db.session.query(Seat).filter_by(application_id=app_.id).one()
    eh.check_in(app_.candidate, seat)

    card = section(home(client, make, app_.candidate), app_.round.title_en)
    assert "is open now: enter the exam" in card
    assert f'href="/exams/sittings/{sitting.id}/test"' in card and "Enter the exam" in card


def test_a_scheduled_interview_asks_to_confirm_by_the_move_deadline(client, db, make):
    clock.set_now(ih.NOW)  # the interview builders' week (conftest puts the clock back)
    w, ivs = ih.scheduled_interviews(db, make, n=1)
    app_ = ivs[0].application
    card = section(home(client, make, app_.candidate), app_.round.title_en)
    assert "Interview on" in card and "confirm the time or choose another by" in card
    assert 'href="/interviews"' in card and "Confirm or move" in card


def test_an_offer_asks_for_an_answer_by_its_deadline_then_says_when_to_report_in(client, make):
    ml = published_list(make, size=1)
    offer = offers.call_next(ml, owner_hr(make, ml), 1, position_id=ml.round.position_id)[0]
    cand = offer.entry.candidate

    card = section(home(client, make, cand), ml.round.title_en)
    assert "Now:" in card and "You have been offered the post: answer by" in card
    assert 'href="/offers"' in card and "Answer the offer" in card
    assert "You are number 1 on Merit list" in card  # the place on the list, further down

    offer.status, offer.start_date, offer.responded_at = (
        "accepted",
        (now() + timedelta(days=20)).date(),
        now(),
    )
    _db.session.commit()
    card = section(page(client.get("/")), ml.round.title_en)
    assert "You accepted the offer: report in on" in card


def test_the_home_page_says_whats_next_in_thai(client_th, make):
    round_ = make.round_(make.agency())
    app_ = make.application(round_, status=ApplicationStatus.SUBMITTED)
    html = home(client_th, make, app_.candidate)
    assert "สิ่งที่ต้องทำต่อไป" in html and "อัปโหลดเอกสาร" in html
    assert "What's next" not in html and "Upload the" not in html


def test_a_candidate_with_nothing_yet_is_pointed_to_the_open_rounds(client, make):
    html = home(client, make, make.candidate())
    assert "You have no applications yet" in html


def announce(client, make, round_, reason="ตามประกาศรับสมัคร", **dates):
    """HR announces the round's results dates on its page, typed as people write them."""
    make.login(client, make.hr(round_.agency))
    data = {"reason": reason, **dates}
    return client.post(f"/hr/rounds/{round_.id}/results-dates", data=data)


def test_a_submitted_test_says_by_when_results_are_announced_then_when_they_were(app, client_th, db, make):
    round_ = make.round_(make.agency(), status=RoundStatus.IN_PROGRESS)
    app_ = make.application(round_)
    attempt = eh.exam_attempt(db, make, app_.candidate, round_=round_, application=app_)
    sitting = attempt.seat.sitting
    sitting.exam.results_policy, sitting.exam.is_part_a = "after_publication", True
    db.session.commit()

    resp = announce(client_th, make, round_, part_a="15/03/2570", part_c="30/04/2570")
    assert resp.status_code == 302
    stages = {s.kind: s.results_announced_on for s in round_.stages}
    assert stages["part_a"].isoformat() == "2027-03-15" and stages["part_c"].isoformat() == "2027-04-30"
    client_th.post("/accounts/logout")

    card = section(home(client_th, make, app_.candidate), round_.title_th)
    assert "ประกาศผลภายในวันที่ 15 มีนาคม 2570" in card  # the Part A result, in B.E.
    assert "30 เมษายน 2570" in card  # the round's last stage (Part C), further down

    sitting.results_published_at = now()
    db.session.commit()
    card = section(page(client_th.get("/")), round_.title_th)
    assert "15 มีนาคม 2570" not in card  # the real date replaces the announced one
    assert f"ประกาศผล{sitting.exam.title_th} แล้ว" in card and str(now().year + 543) in card


def test_announcing_results_dates_needs_a_reason_and_a_real_date_said_in_thai(client_th, make):
    round_ = make.round_(make.agency(), status=RoundStatus.IN_PROGRESS)
    resp = announce(client_th, make, round_, reason="", part_b="31/02/2570")
    html = page(resp)
    assert resp.status_code == 422
    assert "กรุณากรอกวันที่ที่มีอยู่จริง" in html and "This field is required." not in html
    assert all(s.results_announced_on is None for s in round_.stages)

    round_.status = RoundStatus.COMPLETED
    _db.session.commit()
    resp = announce(client_th, make, round_, part_b="15/03/2570")
    assert resp.status_code == 409
    assert all(s.results_announced_on is None for s in round_.stages)


def test_the_announced_date_is_audited_with_its_reason_and_shown_on_the_announcement(client, make):
    round_ = make.round_(make.agency())
    assert announce(client, make, round_, reason="As in the notice", part_c="30/04/2027").status_code == 302
    entry = _db.session.query(AuditEntry).filter_by(action="round.results_dates").one()
    assert entry.after["part_c"] == "2027-04-30" and entry.after["reason"] == "As in the notice"
    html = page(client.get(f"/rounds/{round_.id}"))
    assert "Results announced by" in html and "30 April 2027" in html
