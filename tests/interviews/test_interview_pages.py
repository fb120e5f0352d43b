"""The Part C scheduling journeys through the HTTP client: HR sets up panels, rubric and slots,
schedules the round and downloads the daily PDF; candidates confirm, move, declare times they
cannot attend, download their invitation and check in — and the refusals on the way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.common import clock
from app.common.clock import BANGKOK
from app.extensions import db as _db
from app.interviews.models import (
    Interview,
    InterviewSlot,
    Panel,
    PanelMember,
    RubricCriterion,
    Unavailability,
)
from app.notifications.models import OutboxEmail
from app.recruitment.models import Mode, RoundStatus
from tests.factories.interviews import scored_applicant

UTC = UTC
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 2 November 2026, 09:00 in Bangkok
MONDAY = date(2026, 11, 9)

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def slot_form(panel_id: int, **over) -> dict:
    data = {
        "panel_id": panel_id,
        "start_date": MONDAY.isoformat(),
        "end_date": (MONDAY + timedelta(days=1)).isoformat(),
        "day_start": "09:00",
        "day_end": "11:00",
        "breaks": "10:00-10:15",
        "slot_minutes": 30,
        "weekdays": ["0", "1", "2", "3", "4"],
        "mode": "online",
        "meeting_link": "",
        "room": "",
    }
    data.update(over)
    return data


@pytest.fixture
def office(app, make):
    """An agency's HR, a round in progress with three passed candidates, three panel users."""
    agency = make.agency()
    hr = make.hr(agency)
    round_ = make.round_(agency, mode=Mode.SELECTION, status=RoundStatus.IN_PROGRESS)
    apps = [scored_applicant(make, round_) for _ in range(3)]
    judges = [make.user(Role.PANEL, first_name_th="กรรมการ", last_name_th=f"คนที่{i}") for i in range(1, 4)]
    return dict(agency=agency, hr=hr, round=round_, apps=apps, judges=judges, client=make.client_for(app, hr))


def _set_up(office) -> Panel:
    c, r = office["client"], office["round"]
    resp = c.post(
        f"/hr/rounds/{r.id}/interviews/panels",
        data={
            "name": "คณะกรรมการสัมภาษณ์ชุดที่ 1",
            "quorum": 3,
            "aggregate": "mean",
            "spread_threshold": "15",
            "mode": "online",
            "meeting_link": "https://meet.example.test/p1",
            "room": "",
        },
    )
    assert resp.status_code == 302
    panel = _db.session.scalar(select(Panel).where(Panel.round_id == r.id))
    for i, judge in enumerate(office["judges"]):
        resp = c.post(
            f"/hr/rounds/{r.id}/interviews/panels/{panel.id}/members",
            data={f"m{panel.id}-user_id": judge.id, f"m{panel.id}-role": "chair" if i == 0 else "member"},
        )
        assert resp.status_code == 302
    return panel


# ---- HR ---------------------------------------------------------------------------------


def test_hr_sets_up_panel_rubric_slots_and_schedules_the_round(office, make):
    c, r, apps = office["client"], office["round"], office["apps"]
    page = c.get(f"/hr/rounds/{r.id}/interviews")
    assert page.status_code == 200 and "No panel yet." in text(page)

    panel = _set_up(office)
    page = text(c.get(f"/hr/rounds/{r.id}/interviews"))
    assert "คณะกรรมการสัมภาษณ์ชุดที่ 1" in page and "กรรมการ คนที่1" in page
    assert panel.quorum == 3 and len(panel.members) == 3
    assert (
        _db.session.scalar(
            select(PanelMember.user_id).where(PanelMember.panel_id == panel.id, PanelMember.role == "chair")
        )
        == office["judges"][0].id
    )

    # a second chair is refused, next to the field
    extra = make.user(Role.PANEL)
    resp = c.post(
        f"/hr/rounds/{r.id}/interviews/panels/{panel.id}/members",
        data={f"m{panel.id}-user_id": extra.id, f"m{panel.id}-role": "chair"},
    )
    assert resp.status_code == 409 and "The panel already has a chair." in text(resp)

    # the standard rubric, then a criterion with a bad code
    assert c.post(f"/hr/rounds/{r.id}/interviews/rubric/default").status_code == 302
    page = text(c.get(f"/hr/rounds/{r.id}/interviews"))
    assert "ความรู้ที่ใช้ในการปฏิบัติงาน" in page or "Knowledge for the job" in page
    assert len(_db.session.scalars(select(RubricCriterion)).all()) == 5
    resp = c.post(
        f"/hr/rounds/{r.id}/interviews/rubric/criteria",
        data={"code": "Bad Code", "title_th": "ภาวะผู้นำ", "max_points": "10", "descriptors": ""},
    )
    assert resp.status_code == 422 and "lower-case letters" in text(resp)
    resp = c.post(
        f"/hr/rounds/{r.id}/interviews/rubric/criteria",
        data={
            "code": "leadership",
            "title_th": "ภาวะผู้นำ",
            "title_en": "Leadership",
            "max_points": "10",
            "descriptors": "10 | นำทีมได้ดี | Leads well\n5 | พอใช้ | Fair",
        },
    )
    assert resp.status_code == 302
    lead = _db.session.scalar(select(RubricCriterion).where(RubricCriterion.code == "leadership"))
    assert lead.descriptors[0] == {"points": 10, "th": "นำทีมได้ดี", "en": "Leads well"}

    # slots: a bad break is refused; then two days of 09:00-11:00 with a break
    resp = c.post(f"/hr/rounds/{r.id}/interviews/slots", data=slot_form(panel.id, breaks="noon"))
    assert resp.status_code == 422 and "Write each break as 12:00-13:00." in text(resp)
    resp = c.post(f"/hr/rounds/{r.id}/interviews/slots", data=slot_form(panel.id))
    assert resp.status_code == 302
    slots = _db.session.scalars(select(InterviewSlot).order_by(InterviewSlot.starts_at)).all()
    assert len(slots) == 6  # 09:00, 09:30, 10:15 on each day
    assert slots[2].starts_at.astimezone(BANGKOK).strftime("%H:%M") == "10:15"
    page = text(c.get(f"/hr/rounds/{r.id}/interviews"))
    assert "6 slots created" in page and "6 slots, 6 free." in page
    assert "Schedule of 9 November 2026 (PDF)" in page

    # automatic scheduling shows its report; a candidate who failed is named
    failed = scored_applicant(make, r, passed=False)
    resp = c.post(f"/hr/rounds/{r.id}/interviews/auto-schedule", data={"accommodation_extra_minutes": 15})
    body = text(resp)
    assert resp.status_code == 200 and "3 candidates placed, 0 could not be placed." in body
    assert all(a.number in body for a in apps) and failed.number in body
    ivs = _db.session.scalars(select(Interview).order_by(Interview.id)).all()
    assert [iv.application_id for iv in ivs] == [a.id for a in apps]
    assert (
        _db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == apps[0].candidate.email))
        is not None
    )

    # the schedule table and the daily PDF
    page = text(c.get(f"/hr/rounds/{r.id}/interviews"))
    assert "3 interviews, by time" in page and apps[0].number in page
    pdf = c.get(f"/hr/rounds/{r.id}/interviews/panels/{panel.id}/schedule-{MONDAY}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert c.get(f"/hr/rounds/{r.id}/interviews/panels/{panel.id}/schedule-x.pdf").status_code == 404

    # once a candidate is booked in it, a slot cannot be cancelled; a free one can
    resp = c.post(f"/hr/rounds/{r.id}/interviews/slots/{ivs[0].slot_id}/cancel")
    assert resp.status_code == 409 and "holds this slot" in text(resp)
    free = next(s for s in slots if s.interview is None)
    assert c.post(f"/hr/rounds/{r.id}/interviews/slots/{free.id}/cancel").status_code == 302
    assert _db.session.get(InterviewSlot, free.id).cancelled


def test_unplaced_candidates_are_reported_with_the_reason(office):
    c, r = office["client"], office["round"]
    panel = _set_up(office)
    c.post(
        f"/hr/rounds/{r.id}/interviews/slots",
        data=slot_form(panel.id, end_date=MONDAY.isoformat(), day_end="10:00", breaks=""),
    )
    resp = c.post(f"/hr/rounds/{r.id}/interviews/auto-schedule", data={"accommodation_extra_minutes": 15})
    body = text(resp)
    assert "2 candidates placed, 1 could not be placed." in body
    assert office["apps"][2].number in body and "No free slot is left." in body


def test_panel_not_ready_is_refused_with_the_problem(office):
    c, r = office["client"], office["round"]
    c.post(
        f"/hr/rounds/{r.id}/interviews/panels",
        data={
            "name": "ชุดที่ 2",
            "quorum": 3,
            "aggregate": "mean",
            "spread_threshold": "15",
            "mode": "onsite",
            "meeting_link": "",
            "room": "ห้อง 301",
        },
    )
    page = text(c.get(f"/hr/rounds/{r.id}/interviews"))
    assert "The panel has no chair." in page
    resp = c.post(f"/hr/rounds/{r.id}/interviews/auto-schedule", data={"accommodation_extra_minutes": 15})
    assert resp.status_code == 409 and "is not ready" in text(resp)


def test_other_agency_and_candidates_are_refused(app, office, make):
    r = office["round"]
    panel = _set_up(office)
    stranger = make.client_for(app, make.hr(make.agency()))
    assert stranger.get(f"/hr/rounds/{r.id}/interviews").status_code == 403
    assert (
        stranger.post(
            f"/hr/rounds/{r.id}/interviews/panels",
            data={"name": "x", "quorum": 3, "aggregate": "mean", "spread_threshold": 15, "mode": "online"},
        ).status_code
        == 403
    )
    assert stranger.post(f"/hr/rounds/{r.id}/interviews/slots", data=slot_form(panel.id)).status_code == 403
    assert (
        stranger.get(f"/hr/rounds/{r.id}/interviews/panels/{panel.id}/schedule-{MONDAY}.pdf").status_code
        == 403
    )
    assert _db.session.scalar(select(InterviewSlot)) is None
    cand = make.client_for(app, office["apps"][0].candidate)
    assert cand.get(f"/hr/rounds/{r.id}/interviews").status_code == 403
    # a panel of one round is not reachable through another round of the same agency
    other_round = make.round_(office["agency"], mode=Mode.SELECTION)
    assert (
        office["client"]
        .post(
            f"/hr/rounds/{other_round.id}/interviews/panels/{panel.id}/members",
            data={f"m{panel.id}-user_id": make.user(Role.PANEL).id},
        )
        .status_code
        == 404
    )


# ---- candidates -------------------------------------------------------------------------


@pytest.fixture
def scheduled(app, office, make):
    panel = _set_up(office)
    office["client"].post(f"/hr/rounds/{office['round'].id}/interviews/slots", data=slot_form(panel.id))
    office["client"].post(
        f"/hr/rounds/{office['round'].id}/interviews/auto-schedule", data={"accommodation_extra_minutes": 15}
    )
    ivs = _db.session.scalars(select(Interview).order_by(Interview.id)).all()
    clients = [make.client_for(app, a.candidate) for a in office["apps"]]
    return dict(office, panel=panel, ivs=ivs, clients=clients)


def test_candidate_sees_confirms_and_downloads_the_invitation(scheduled):
    me, other = scheduled["clients"][0], scheduled["clients"][1]
    iv, theirs = scheduled["ivs"][0], scheduled["ivs"][1]
    page = text(me.get("/interviews"))
    assert "My interviews" in page and "9 November 2026, 09:00–09:30" in page
    assert "https://meet.example.test/p1" in page and "Confirm this time" in page
    assert scheduled["apps"][1].number not in page  # only my own

    resp = me.post(f"/interviews/{iv.id}/confirm", follow_redirects=True)
    assert "is confirmed" in text(resp) and "Confirm this time" not in text(resp)
    assert _db.session.get(Interview, iv.id).status == "confirmed"

    # someone else's interview: refused
    assert other.post(f"/interviews/{iv.id}/confirm").status_code == 403
    assert other.get(f"/interviews/{iv.id}/invitation.ics").status_code == 403
    assert other.get(f"/interviews/{iv.id}/move").status_code == 403
    assert _db.session.get(Interview, theirs.id).status == "scheduled"

    ics = me.get(f"/interviews/{iv.id}/invitation.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    body = ics.get_data(as_text=True)
    assert f"UID:interview-{iv.id}@recruit.bangkok.go.th" in body
    assert "DTSTART;TZID=Asia/Bangkok:20261109T090000" in body


def test_candidate_moves_to_a_free_slot_until_the_cut_off(scheduled):
    me = scheduled["clients"][0]
    iv, theirs = scheduled["ivs"][0], scheduled["ivs"][1]
    page = me.get(f"/interviews/{iv.id}/move")
    assert page.status_code == 200
    free = _db.session.scalars(
        select(InterviewSlot).where(~InterviewSlot.interview.has()).order_by(InterviewSlot.starts_at)
    ).all()
    assert len(free) == 3
    assert "10 November 2026, 09:00–09:30" in text(page)

    # someone else's slot: refused, stays put
    resp = me.post(f"/interviews/{iv.id}/move", data={"slot_id": theirs.slot_id})
    assert resp.status_code == 409 and "Someone has just taken that slot" in text(resp)
    resp = me.post(f"/interviews/{iv.id}/move", data={})
    assert resp.status_code == 422 and "Choose a slot." in text(resp)

    resp = me.post(f"/interviews/{iv.id}/move", data={"slot_id": free[-1].id}, follow_redirects=True)
    assert "Your interview has moved to" in text(resp)
    moved = _db.session.get(Interview, iv.id)
    assert moved.slot_id == free[-1].id and moved.moves == 1 and moved.status == "confirmed"
    assert (
        _db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.dedupe_key == f"interview:{iv.id}:v1:candidate")
        )
        is not None
    )

    # within 48 hours of the interview: no more moves
    clock.set_now(moved.slot.starts_at - timedelta(hours=47))
    page = text(me.get(f"/interviews/{iv.id}/move"))
    assert "The time can no longer be changed." in page
    resp = me.post(f"/interviews/{iv.id}/move", data={"slot_id": free[0].id})
    assert resp.status_code == 409 and "Moves closed 48 hours before your interview." in text(resp)
    assert _db.session.get(Interview, iv.id).slot_id == free[-1].id
    assert "Choose another time" not in text(me.get("/interviews"))


def test_candidate_declares_times_they_cannot_attend(app, scheduled, make):
    me = scheduled["clients"][0]
    app_ = scheduled["apps"][0]
    prefix = f"u{app_.id}-"
    resp = me.post(
        f"/interviews/applications/{app_.id}/unavailable",
        data={prefix + "starts_at": "2026-11-09T12:00", prefix + "ends_at": "2026-11-09T08:00"},
    )
    assert resp.status_code == 422 and "The end must be after the start." in text(resp)
    resp = me.post(
        f"/interviews/applications/{app_.id}/unavailable",
        data={
            prefix + "starts_at": "2026-11-09T08:00",
            prefix + "ends_at": "2026-11-09T12:00",
            prefix + "note": "ติดธุระ",
        },
        follow_redirects=True,
    )
    assert "has been recorded" in text(resp)
    row = _db.session.scalar(select(Unavailability))
    assert row.starts_at == datetime(2026, 11, 9, 1, 0, tzinfo=UTC)  # 08:00 Bangkok
    # it clashes with the interview already set: the page says so
    assert "falls in a time you declared" in text(resp)
    other = scheduled["clients"][1]
    assert (
        other.post(
            f"/interviews/applications/{app_.id}/unavailable",
            data={prefix + "starts_at": "2026-11-09T08:00", prefix + "ends_at": "2026-11-09T12:00"},
        ).status_code
        == 403
    )
    assert other.post(f"/interviews/unavailable/{row.id}/withdraw").status_code == 403
    assert me.post(f"/interviews/unavailable/{row.id}/withdraw").status_code == 302
    assert _db.session.scalar(select(Unavailability)) is None

    # a candidate not yet scheduled can declare too, and sees why nothing is set
    newcomer = scored_applicant(make, scheduled["round"])
    c = make.client_for(app, newcomer.candidate)
    page = text(c.get("/interviews"))
    assert "your interview is not scheduled yet" in page and "Times I cannot attend" in page


def test_candidate_checks_in_on_the_day(scheduled):
    me = scheduled["clients"][0]
    iv = scheduled["ivs"][0]
    start = iv.slot.starts_at
    clock.set_now(start - timedelta(hours=1))
    assert "Check in now" not in text(me.get("/interviews"))
    resp = me.post(f"/interviews/{iv.id}/check-in", follow_redirects=True)
    assert "Check-in opens 30 minutes before your interview." in text(resp)
    assert _db.session.get(Interview, iv.id).status == "scheduled"
    clock.set_now(start - timedelta(minutes=10))
    assert "Check in now" in text(me.get("/interviews"))
    assert scheduled["clients"][1].post(f"/interviews/{iv.id}/check-in").status_code == 403
    resp = me.post(f"/interviews/{iv.id}/check-in", follow_redirects=True)
    assert "You have checked in." in text(resp)
    checked = _db.session.get(Interview, iv.id)
    assert checked.status == "checked_in" and checked.checked_in_at == start - timedelta(minutes=10)
    from app.interviews.schedule import waiting_candidates

    assert waiting_candidates(scheduled["panel"], MONDAY) == [checked]


def test_pages_need_the_right_role(app, scheduled, make):
    judge = make.client_for(app, scheduled["judges"][0])
    assert judge.get("/interviews").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/interviews").status_code == 302  # to the login page
