"""Invitations to an interview: the .ics (calendar.py) and the emails queued with it
(invitations.py), once per version of the interview, none for a move that fails."""

from __future__ import annotations

import pytest

from app.common.clock import BANGKOK
from app.common.errors import Forbidden
from app.interviews import booking, calendar, invitations
from app.interviews.schedule import SlotTaken
from tests.factories.interviews import NOW, event_props, outbox, parse_ics, scheduled_interviews

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- invitations -------------------------------------------------------------------------


def test_ics_has_bangkok_time_stable_uid_and_sequence(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    me = a.application.candidate
    text = calendar.candidate_ics(a, me)
    lines = parse_ics(text)
    assert ("METHOD", {}, "REQUEST") in lines
    assert ("TZID", {}, "Asia/Bangkok") in lines  # the VTIMEZONE
    assert ("TZOFFSETTO", {}, "+0700") in lines
    ev = event_props(text)
    assert ev["DTSTART"] == ({"TZID": "Asia/Bangkok"}, "20261109T090000")
    assert ev["DTEND"] == ({"TZID": "Asia/Bangkok"}, "20261109T093000")
    assert ev["UID"][1] == f"interview-{a.id}@recruit.bangkok.go.th"
    assert ev["SEQUENCE"][1] == "0"
    assert ev["LOCATION"][1] == "https://meet.example.test/panel-1"
    assert me.national_id not in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    with pytest.raises(Forbidden):
        calendar.candidate_ics(a, b.application.candidate)
    target = booking.movable_slots(a)[0]
    booking.move_to_slot(a, me, target)
    moved = event_props(calendar.candidate_ics(a, me))
    assert moved["UID"][1] == ev["UID"][1] and moved["SEQUENCE"][1] == "1"
    assert moved["DTSTART"][1] == target.starts_at.astimezone(BANGKOK).strftime("%Y%m%dT%H%M%S")
    member = event_props(calendar.member_ics(a, w.members[1]))
    assert member["UID"] == ev["UID"] and a.application.number in member["SUMMARY"][1]


def test_long_thai_lines_are_folded_without_cutting_a_character(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    w.panel.name = "คณะกรรมการสัมภาษณ์ภาคค" * 8
    text = calendar.candidate_ics(a, a.application.candidate)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "คณะกรรมการสัมภาษณ์ภาคค" * 8 in event_props(text)["DESCRIPTION"][1].replace("\\n", "\n")


def test_emails_are_queued_once_per_change_with_the_invitation(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    mails = outbox(db)
    # two candidates + three members each
    assert len(mails) == 2 * (1 + 3)
    mine = [m for m in mails if m.to_address == a.application.candidate.email]
    assert [m.dedupe_key for m in mine] == [f"interview:{a.id}:v0:candidate"]
    att = mine[0].attachments[0]
    assert att["filename"] == f"interview-{a.id}.ics" and att["mimetype"].startswith("text/calendar")
    import base64

    assert "SEQUENCE:0" in base64.b64decode(att["content_b64"]).decode()
    # scheduling again queues nothing; a move queues the next version once
    w.schedule()
    invitations.send_invitations(a)  # same version: deduplicated
    assert len(outbox(db)) == 8
    booking.move_to_slot(a, a.application.candidate, booking.movable_slots(a)[0])
    new = [m for m in outbox(db) if ":v1:" in m.dedupe_key]
    assert len(new) == 4 and {m.dedupe_key for m in new} == {f"interview:{a.id}:v1:candidate"} | {
        f"interview:{a.id}:v1:member:{u.id}" for u in w.members
    }
    # emails go out in the recipient's language (Thai by default): "ได้เลื่อน" = "has been moved"
    assert "ได้เลื่อน" in next(m for m in new if m.dedupe_key.endswith("candidate")).body_text


def test_a_failed_move_queues_no_email(db, make):
    w, (a, b) = scheduled_interviews(db, make)
    before = len(outbox(db))
    with pytest.raises(SlotTaken):
        booking.move_to_slot(a, a.application.candidate, b.slot)
    assert len(outbox(db)) == before
