"""The /exam protocol with a real python-socketio client against a running server (websocket
transport over loopback): disconnects, reconnects, re-sent answers, a second device, the
deadline, and the sweeper submitting for a candidate nobody is connected as."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.common import clock
from app.exams import jobs, sitting_control, starting
from app.exams.models import Attempt, AttemptAnswer
from app.extensions import db
from tests.factories import exams as eh
from tests.support.live_client import LiveClients, logged_in_cookie, wait_for

EVENTS = ("superseded", "time_up", "time", "warning", "announcement", "started")


@pytest.fixture
def running(db, make, live_server):
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    info = dict(
        sitting_id=sitting.id,
        attempt_id=attempt.id,
        form=attempt.form,
        cookie=logged_in_cookie(live_server, cand.email, make.PASSWORD),
        deadline=attempt.deadline,
    )
    db.session.remove()
    clients = LiveClients(live_server, "/exam", EVENTS)
    info["new_client"] = lambda: clients.open(info["cookie"])
    yield info
    clients.close_all()


def stored_answers(attempt_id):
    db.session.remove()
    return {
        a.index: (a.choice, a.seq) for a in db.session.query(AttemptAnswer).filter_by(attempt_id=attempt_id)
    }


def test_disconnect_reconnect_and_resend_stores_each_answer_once(running):
    first = running["new_client"]()
    assert first.call("join", {"sitting_id": running["sitting_id"]})["ok"]
    choices = [q["choice_order"][0] for q in running["form"]]
    acked = {}
    for i in range(3):
        ack = first.call("answer", {"index": i, "choice": choices[i], "seq": i + 1})
        assert ack["ok"]
        acked[i] = ack
    first.drop()  # the network drops mid-test

    # While offline the page kept answers 3 and 4 (never acknowledged); it also re-sends
    # answer 2, whose ack it may have missed. After reconnecting it re-joins and re-sends.
    second = running["new_client"]()
    state = second.call("join", {"sitting_id": running["sitting_id"]})["state"]
    assert state["answers"] == {str(i): choices[i] for i in range(3)}
    assert 0 < state["remaining_seconds"] <= 30 * 60
    for i, seq in ((2, 3), (3, 4), (4, 5)):
        assert second.call("answer", {"index": i, "choice": choices[i], "seq": seq})["ok"]
    assert stored_answers(running["attempt_id"]) == {i: (choices[i], i + 1) for i in range(5)}


def test_a_second_device_takes_over_and_the_first_is_told(running):
    first = running["new_client"]()
    first.call("join", {"sitting_id": running["sitting_id"]})
    second = running["new_client"]()
    assert second.call("join", {"sitting_id": running["sitting_id"]})["ok"]
    assert wait_for(lambda: first.events("superseded"))
    assert wait_for(lambda: not first.client.connected)
    assert second.call("answer", {"index": 0, "choice": running["form"][0]["choice_order"][1], "seq": 1})[
        "ok"
    ]


def test_answer_after_the_deadline_is_refused_and_nothing_stored(running):
    c = running["new_client"]()
    c.call("join", {"sitting_id": running["sitting_id"]})
    clock.set_now(running["deadline"] + timedelta(seconds=1))
    try:
        ack = c.call("answer", {"index": 0, "choice": running["form"][0]["choice_order"][0], "seq": 1})
    finally:
        clock.set_now(None)
    assert ack["ok"] is False and ack["error"] == "time_up"
    assert stored_answers(running["attempt_id"]) == {}


def test_the_sweeper_submits_with_nobody_connected_and_a_returning_candidate_sees_it(running):
    c = running["new_client"]()
    c.call("join", {"sitting_id": running["sitting_id"]})
    c.call("answer", {"index": 0, "choice": running["form"][0]["choice_order"][0], "seq": 1})
    c.close()
    with clock.frozen_at(running["deadline"] + timedelta(seconds=2)):
        assert jobs.tick()["submitted"] == [running["attempt_id"]]
    db.session.remove()
    attempt = db.session.get(Attempt, running["attempt_id"])
    assert attempt.status == "submitted" and attempt.submitted_by == "deadline"
    back = running["new_client"]()
    state = back.call("join", {"sitting_id": running["sitting_id"]})["state"]
    assert state["status"] == "submitted" and float(state["result"]["max_score"]) == 6


def test_a_connected_candidate_is_told_time_is_up(running):
    c = running["new_client"]()
    c.call("join", {"sitting_id": running["sitting_id"]})
    with clock.frozen_at(running["deadline"] + timedelta(seconds=2)):
        jobs.tick()
    assert wait_for(lambda: c.events("time_up"))
    assert c.events("time_up")[0]["status"] == "submitted"
