"""The /panel protocol with a real python-socketio client against the running server (websocket
over loopback): a member's connection drops mid-scoring, a new one re-sends what may not have
arrived with the same seq, and every score is stored once; the chair hears progress live."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.interviews import scoreboard, scoring
from app.interviews.models import CriterionScore, MemberSubmission
from tests.factories.panels import build
from tests.support.live_client import LiveClients, logged_in_cookie, wait_for

EVENTS = ("progress", "all_submitted", "finalized", "candidate_waiting")


@pytest.fixture
def running(db, make, live_server):
    s = build(make)
    info = dict(
        interview_id=s.interview.id,
        criteria=[c.id for c in s.criteria],
        member_id=s.members[0].id,
        member=logged_in_cookie(live_server, s.members[0].email, make.PASSWORD),
        chair=logged_in_cookie(live_server, s.chair.email, make.PASSWORD),
    )
    db.session.remove()
    clients = LiveClients(live_server, "/panel", EVENTS)
    info["new_client"] = lambda who: clients.open(info[who])
    yield info
    clients.close_all()


def stored(interview_id):
    db.session.remove()
    return {
        (r.user_id, r.criterion_id): (str(r.points), r.seq)
        for r in db.session.scalars(select(CriterionScore).where(CriterionScore.interview_id == interview_id))
    }


def score_entries(interview_id) -> int:
    return len(
        db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "interviews",
                AuditEntry.object_id == str(interview_id),
                AuditEntry.action == "interview.score",
            )
        ).all()
    )


def test_a_dropped_member_reconnects_and_resends_and_each_score_is_stored_once(running):
    iv = {"interview_id": running["interview_id"]}
    knowledge, communication = running["criteria"]
    chair = running["new_client"]("chair")
    assert chair.call("join", iv)["ok"]

    first = running["new_client"]("member")
    assert first.call("join", iv)["state"]["declaration"] is None
    assert first.call("declare", {**iv, "has_conflict": False})["ok"]
    ack = first.call("score", {**iv, "criterion_id": knowledge, "points": "22.5", "seq": 1})
    assert ack == {"ok": True, "criterion_id": knowledge, "points": "22.5", "seq": 1, "stale": False}
    assert wait_for(
        lambda: any(m["state"] == "scoring" for p in chair.events("progress") for m in p["members"])
    )
    first.drop()  # the member's wifi drops: the change to 24 (seq 2) never got its ack

    # The page kept seq 2 (knowledge 24) and seq 3 (communication 16) in localStorage. After
    # reconnecting it joins again and sends its outbox; a retry timer sends seq 2 once more, and
    # an old packet of seq 1 arrives last.
    second = running["new_client"]("member")
    state = second.call("join", iv)["state"]
    assert state["scores"] == {str(knowledge): {"points": "22.5", "seq": 1}}
    assert second.call("score", {**iv, "criterion_id": knowledge, "points": "24", "seq": 2})["stale"] is False
    assert second.call("score", {**iv, "criterion_id": communication, "points": 16, "seq": 3})["ok"]
    again = second.call("score", {**iv, "criterion_id": knowledge, "points": "24", "seq": 2})
    assert again == {"ok": True, "criterion_id": knowledge, "points": "24", "seq": 2, "stale": False}
    late = second.call("score", {**iv, "criterion_id": knowledge, "points": "22.5", "seq": 1})
    assert late["stale"] is True and late["points"] == "24"  # an old packet loses

    member = running["member_id"]
    assert stored(running["interview_id"]) == {
        (member, knowledge): ("24.00", 2),
        (member, communication): ("16.00", 3),
    }
    assert score_entries(running["interview_id"]) == 3  # 22.5, then 24, then 16: no repeats

    done = second.call("submit", iv)
    assert done["ok"] and done["state"]["submitted"] and done["state"]["total"] == "40"
    db.session.remove()
    assert db.session.scalar(select(MemberSubmission.total)) == 40
    assert wait_for(
        lambda: any(m["state"] == "submitted" for p in chair.events("progress") for m in p["members"])
    )


def test_a_member_refused_after_submitting_even_from_a_stale_device(running, make):
    iv = {"interview_id": running["interview_id"]}
    knowledge, communication = running["criteria"]
    phone = running["new_client"]("member")
    laptop = running["new_client"]("member")
    phone.call("join", iv)
    laptop.call("join", iv)
    phone.call("declare", {**iv, "has_conflict": False})
    phone.call("score", {**iv, "criterion_id": knowledge, "points": 20, "seq": 1})
    phone.call("score", {**iv, "criterion_id": communication, "points": 10, "seq": 2})
    assert phone.call("submit", iv)["ok"]
    late = laptop.call("score", {**iv, "criterion_id": knowledge, "points": 30, "seq": 3})
    assert late["ok"] is False and late["error"] == "submitted"
    assert stored(running["interview_id"])[(running["member_id"], knowledge)] == ("20.00", 1)
    interview = scoring.get_interview(running["interview_id"])
    assert scoreboard.member_view(interview, interview.slot.panel.members[1].user)["total"] == "30"
