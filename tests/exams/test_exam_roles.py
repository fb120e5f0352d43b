"""Roles scoped to their work around the online test: HR of the sitting's agency assigns the
proctors, a proctor acts only on the sittings assigned to them (the dashboard and every /proctor
event), and HR seats only people who applied to one of its agency's rounds, without learning
anyone else's name."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.audit.models import AuditEntry
from app.common.clock import now
from app.exams import sitting_control, sittings, starting
from app.exams.models import Attempt, Seat, SittingProctor
from app.extensions import socketio
from tests.factories import exams as eh

PROCTOR_NS = "/proctor"


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def audit_actions(db, sitting) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "sittings", AuditEntry.object_id == str(sitting.id))
            .order_by(AuditEntry.id)
        )
    )


def assigned_ids(db, sitting) -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(SittingProctor.user_id).where(SittingProctor.sitting_id == sitting.id))
    )


@pytest.fixture
def hall(db, make):
    """A started synchronized sitting with one candidate taking the test."""
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    return dict(sitting=sitting, hr=hr, cand=cand, seat=seat, attempt=attempt)


# ---- HR assigns the proctors ------------------------------------------------------------------


def test_hr_assigns_and_removes_a_proctor_on_the_sitting_page_and_both_are_audited(app, db, make, hall):
    sitting, hr = hall["sitting"], hall["hr"]
    proctor = make.user("proctor", agency=sitting.agency, first_name_th="อรุณ", last_name_th="เฝ้าระวัง")
    c = make.client_for(app, hr)
    page = text(c.get(f"/hr/sittings/{sitting.id}"))
    assert "No proctor is assigned yet." in page and "อรุณ เฝ้าระวัง" in page  # offered in the form

    proctor_page = make.client_for(app, proctor)
    assert proctor_page.get(f"/proctor/sittings/{sitting.id}").status_code == 403
    assert sitting.title("en") not in text(proctor_page.get("/proctor/sittings"))

    done = c.post(f"/hr/sittings/{sitting.id}/proctors", data={"user_id": proctor.id}, follow_redirects=True)
    assert done.status_code == 200 and "อรุณ เฝ้าระวัง now proctors this sitting." in text(done)
    assert assigned_ids(db, sitting) == [proctor.id]
    assert proctor_page.get(f"/proctor/sittings/{sitting.id}").status_code == 200
    assert f"/proctor/sittings/{sitting.id}" in text(proctor_page.get("/proctor/sittings"))

    gone = c.post(f"/hr/sittings/{sitting.id}/proctors/{proctor.id}/remove", follow_redirects=True)
    assert "The proctor no longer proctors this sitting." in text(gone)
    assert assigned_ids(db, sitting) == []
    assert proctor_page.get(f"/proctor/sittings/{sitting.id}").status_code == 403
    assert audit_actions(db, sitting)[-2:] == ["sitting.proctor_assign", "sitting.proctor_unassign"]


def test_only_a_proctor_of_the_agency_can_be_assigned_and_only_by_its_hr(app, db, make, hall):
    sitting, hr = hall["sitting"], hall["hr"]
    c = make.client_for(app, hr, lang="th")
    for wrong in (
        make.user("proctor", agency=make.agency()),  # another agency's proctor
        make.candidate(),  # not a proctor
        make.hr(sitting.agency),  # HR, not a proctor
    ):
        resp = c.post(f"/hr/sittings/{sitting.id}/proctors", data={"user_id": wrong.id})
        assert resp.status_code == 422
    with pytest.raises(Exception) as err:  # the service's own check, for callers other than the form
        sittings.assign_proctor(sitting, hr, make.user("proctor", agency=make.agency()))
    assert err.value.code == "validation_failed"
    db.session.rollback()

    proctor = make.user("proctor", agency=sitting.agency)
    outsider_hr = make.client_for(app, make.hr(make.agency()))
    assert (
        outsider_hr.post(f"/hr/sittings/{sitting.id}/proctors", data={"user_id": proctor.id}).status_code
        == 403
    )
    assert make.client_for(app, proctor).post(
        f"/hr/sittings/{sitting.id}/proctors", data={"user_id": proctor.id}
    ).status_code in (302, 403)  # a proctor cannot assign themself (login/role guard)
    assert assigned_ids(db, sitting) == []
    make.proctor(sitting, proctor)
    twice = c.post(f"/hr/sittings/{sitting.id}/proctors", data={"user_id": proctor.id})
    assert twice.status_code == 422 and assigned_ids(db, sitting) == [proctor.id]


# ---- a proctor acts only where assigned --------------------------------------------------------


def _proctor_socket(app, make, user):
    return socketio.test_client(app, namespace=PROCTOR_NS, flask_test_client=make.client_for(app, user))


def test_every_proctor_event_is_refused_on_a_sitting_the_proctor_is_not_assigned_to(app, db, make, hall):
    sitting, seat, attempt = hall["sitting"], hall["seat"], hall["attempt"]
    deadline = attempt.deadline
    # Same agency, proctor role, assigned to another sitting of the agency — but not this one.
    other_sitting = sitting_control.create_sitting(
        hall["hr"],
        exam=sitting.exam,
        agency_id=sitting.agency_id,
        title_th="อีกรอบ",
        starts_at=now() + timedelta(days=1),
    )
    stranger = make.proctor(other_sitting)
    sock = _proctor_socket(app, make, stranger)
    sid = {"sitting_id": sitting.id}
    reason = {"reason": "ทดสอบสิทธิ์"}
    attempts = {
        "watch": sid,
        "start": sid,
        "announce": {**sid, "message": "ประกาศ"},
        "extend": {**sid, "seat_ids": "all", "seconds": 600, **reason},
        "pause": {**sid, **reason},
        "resume": {**sid, **reason},
        "force_submit": {**sid, "seat_id": seat.id, **reason, "confirmed": True},
        "give_back": {**sid, "seat_id": seat.id, **reason},
    }
    for event, payload in attempts.items():
        ack = sock.emit(event, payload, namespace=PROCTOR_NS, callback=True)
        assert ack["ok"] is False and ack["error"] == "forbidden", (event, ack)
        assert ack["message"] == "You do not proctor this sitting."
    refresh()  # (the requests share the test's app context, where Flask-Babel keeps the locale)
    th = socketio.test_client(
        app, namespace=PROCTOR_NS, flask_test_client=make.client_for(app, stranger, lang="th")
    )
    ack_th = th.emit("extend", attempts["extend"], namespace=PROCTOR_NS, callback=True)
    assert ack_th["error"] == "forbidden" and ack_th["message"] == "ท่านไม่ได้เป็นกรรมการคุมสอบของรอบสอบนี้"
    refresh()
    db.session.expire_all()
    stored = db.session.get(Attempt, attempt.id)
    assert stored.deadline == deadline and stored.status == "in_progress"
    assert db.session.get(type(sitting), sitting.id).status == "started"
    # The sitting assigned to them still works.
    ok = sock.emit("watch", {"sitting_id": other_sitting.id}, namespace=PROCTOR_NS, callback=True)
    assert ok["ok"] is True


def test_an_assigned_proctor_acts_and_loses_the_sitting_when_hr_removes_them(app, db, make, hall):
    sitting, hr = hall["sitting"], hall["hr"]
    proctor = make.proctor(sitting)
    sock = _proctor_socket(app, make, proctor)
    sid = {"sitting_id": sitting.id}
    assert sock.emit("watch", sid, namespace=PROCTOR_NS, callback=True)["ok"]
    ack = sock.emit(
        "extend",
        {**sid, "seat_ids": "all", "seconds": 300, "reason": "ไฟดับ"},
        namespace=PROCTOR_NS,
        callback=True,
    )
    assert ack == {"ok": True, "changed": [hall["seat"].id]}

    sittings.unassign_proctor(sitting, hr, proctor.id)
    refused = sock.emit(
        "extend",
        {**sid, "seat_ids": "all", "seconds": 300, "reason": "อีกครั้ง"},
        namespace=PROCTOR_NS,
        callback=True,
    )
    assert refused["ok"] is False and refused["error"] == "forbidden"
    # HR of the agency keeps its access without an assignment.
    hr_sock = _proctor_socket(app, make, hr)
    assert hr_sock.emit("watch", sid, namespace=PROCTOR_NS, callback=True)["ok"]


def test_a_proctor_moved_to_another_agency_loses_the_assigned_sitting(app, db, make, hall):
    sitting = hall["sitting"]
    proctor = make.proctor(sitting)
    proctor.agency_id = make.agency().id
    db.session.commit()
    assert make.client_for(app, proctor).get(f"/proctor/sittings/{sitting.id}").status_code == 403


# ---- HR seats only its agency's applicants ------------------------------------------------------


@pytest.fixture
def open_sitting(db, make):
    eh.bank(per_band=1)
    exam = eh.exam()
    agency = make.agency()
    hr = make.hr(agency)
    sitting = sittings.schedule_sitting(
        hr, None, exam, title_th="ภาค ก เปิด", starts_at=now() + timedelta(days=1)
    )
    return sitting, hr


def _seat_count(db, sitting) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Seat).where(Seat.sitting_id == sitting.id))


def test_hr_cannot_seat_someone_who_never_applied_to_its_agency_nor_learn_their_name(
    app, db, make, open_sitting
):
    sitting, hr = open_sitting
    stranger = make.candidate()
    elsewhere = make.candidate()
    make.application(make.round_(make.agency()), elsewhere)  # another agency's applicant
    withdrawn = make.candidate()
    make.application(make.round_(sitting.agency), withdrawn, status=ApplicationStatus.WITHDRAWN)
    c = make.client_for(app, hr)
    url = f"/hr/sittings/{sitting.id}/seats"
    for person in (stranger, elsewhere, withdrawn):
        resp = c.post(url, data={"national_id": person.national_id, "room": "1", "seat": "1"})
        page = text(resp)
        assert resp.status_code == 422
        assert "only your agency's applicants can be seated" in page
        i = page.find(person.last_name_th)
        assert i < 0, page[i - 300 : i + 100]
    # The same words whether or not an account exists: the refusal tells nothing.
    unknown = c.post(url, data={"national_id": make.national_id(), "room": "1", "seat": "1"})
    assert unknown.status_code == 422 and "only your agency's applicants can be seated" in text(unknown)
    refresh()  # (the requests share the test's app context, where Flask-Babel keeps the locale)
    th = make.client_for(app, hr, lang="th").post(
        url, data={"national_id": stranger.national_id, "room": "1", "seat": "1"}
    )
    assert th.status_code == 422 and "only your agency's applicants" not in text(th)
    assert stranger.last_name_th not in text(th)
    assert _seat_count(db, sitting) == 0


def test_hr_seats_its_own_agency_applicant_by_national_id(app, db, make, open_sitting):
    sitting, hr = open_sitting
    applicant = make.candidate()
    make.application(make.round_(sitting.agency), applicant)
    ok = make.client_for(app, hr).post(
        f"/hr/sittings/{sitting.id}/seats",
        data={"national_id": applicant.national_id, "room": "301", "seat": "A-1"},
        follow_redirects=True,
    )
    assert f"{applicant.full_name_th} has been seated in room 301, seat A-1." in text(ok)
    assert _seat_count(db, sitting) == 1
