"""HR moves a booked interview (the candidate is told by email with a new .ics, audited with the
reason), and automatic scheduling gives the minimum notice and keeps the candidate's right to move."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.interviews import booking
from app.interviews.models import Interview
from tests.factories.interviews import MONDAY, NOW, World, audits, event_props, outbox, scheduled_interviews
from tests.support.reading import page_text

FROZEN_AT = NOW


def ics_of(mail) -> str:
    return base64.b64decode(mail.attachments[0]["content_b64"]).decode()


def test_hr_moves_a_booking_and_the_candidate_gets_the_new_time_with_a_new_invitation(app, db, make):
    w, (a, b) = scheduled_interviews(db, make)
    original_slot = a.slot_id
    c = make.client_for(app, w.hr)
    page = c.get(f"/hr/rounds/{w.round.id}/interviews")
    assert f"/hr/rounds/{w.round.id}/interviews/{a.id}/move" in page.get_data(as_text=True)

    form = c.get(f"/hr/rounds/{w.round.id}/interviews/{a.id}/move")
    choices = [int(v) for v in re.findall(r'<option value="(\d+)"', form.get_data(as_text=True))]
    assert b.slot_id not in choices and a.slot_id not in choices and choices
    target = choices[-1]

    refused = c.post(
        f"/hr/rounds/{w.round.id}/interviews/{a.id}/move", data={"slot_id": target, "reason": ""}
    )
    assert refused.status_code == 422 and db.session.get(Interview, a.id).slot_id != target

    done = c.post(
        f"/hr/rounds/{w.round.id}/interviews/{a.id}/move",
        data={"slot_id": target, "reason": "กรรมการติดภารกิจ"},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert f"The interview of {a.application.number} has moved to" in page_text(done)
    db.session.expire_all()
    moved = db.session.get(Interview, a.id)
    assert moved.slot_id == target and moved.moves == 1 and moved.status == "scheduled"

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "interview.hr_move")).one()
    assert entry.actor_id == w.hr.id and entry.after["reason"] == "กรรมการติดภารกิจ"
    assert entry.before["slot"] == original_slot and entry.after["slot"] == target

    mail = next(m for m in outbox(db) if m.dedupe_key == f"interview:{a.id}:v1:candidate")
    assert "กรรมการติดภารกิจ" in mail.body_text  # the reason, in the candidate's language
    props = event_props(ics_of(mail))
    assert props["SEQUENCE"][1] == "1"  # the calendar updates the same event
    assert props["UID"][1] == f"interview-{a.id}@recruit.bangkok.go.th"
    # It is a week away: the candidate may still move it, and is told so.
    assert "no longer" not in mail.body_text and "ไม่สามารถ" not in mail.body_text
    members = [m for m in outbox(db) if m.dedupe_key.startswith(f"interview:{a.id}:v1:member:")]
    assert len(members) == len(w.members)


def test_hr_cannot_move_into_a_taken_slot(app, db, make):
    w, (a, b) = scheduled_interviews(db, make)
    c = make.client_for(app, w.hr)
    resp = c.post(
        f"/hr/rounds/{w.round.id}/interviews/{a.id}/move", data={"slot_id": b.slot_id, "reason": "clash"}
    )
    assert resp.status_code == 422
    assert audits(db, "interview.hr_move") == 0


def test_automatic_scheduling_gives_the_minimum_notice(app, db, make):
    w = World(make, n=2)
    tomorrow = (NOW + timedelta(days=1)).date()
    w.slots(day=tomorrow)  # tomorrow morning: too soon
    w.slots(day=MONDAY)  # a week ahead
    report = w.schedule()
    assert len(report.placed) == 2
    assert all(slot.starts_at >= NOW + timedelta(days=3) for _n, slot in report.placed)
    assert report.earliest == NOW + timedelta(days=app.config["INTERVIEW_MIN_NOTICE_DAYS"])
    # Each candidate may still move, and the invitation says so.
    for iv in db.session.scalars(select(Interview)):
        assert booking.can_move(iv)
    mail = outbox(db)[0]
    assert "move it" in mail.body_text or "เลื่อน" in mail.body_text or "ย้าย" in mail.body_text


def test_with_only_slots_inside_the_notice_nobody_is_placed(app, db, make):
    w = World(make, n=1)
    w.slots(day=(NOW + timedelta(days=1)).date())
    report = w.schedule()
    assert report.placed == [] and len(report.unplaced) == 1
