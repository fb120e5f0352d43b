"""The /exam protocol with a real python-socketio client against a running server (websocket
transport over loopback): disconnects, reconnects, re-sent answers, a second device, the
deadline, and the sweeper submitting for a candidate nobody is connected as."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
import socketio as sio_client

from app.common import clock
from app.exams import jobs, services
from app.exams.models import Attempt, AttemptAnswer
from app.extensions import db

from . import exam_helpers as eh


def logged_in_cookie(base: str, email: str, password: str) -> str:
    http = requests.Session()
    r = http.post(f"{base}/accounts/login", data={"email": email, "password": password},
                  allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text[:300]
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class Candidate:
    """A test-side client that keeps events it receives."""

    def __init__(self, base: str, cookie: str):
        self.base, self.cookie = base, cookie
        self.client = sio_client.Client(reconnection=False)
        self.received: list[tuple[str, dict]] = []
        for name in ("superseded", "time_up", "time", "warning", "announcement", "started"):
            self.client.on(name, self._keep(name), namespace="/exam")

    def _keep(self, name):
        def handler(data=None):
            self.received.append((name, data))
        return handler

    def connect(self):
        self.client.connect(self.base, namespaces=["/exam"], transports=["websocket"],
                            headers={"Cookie": self.cookie}, wait_timeout=10)
        return self

    def call(self, event, data):
        return self.client.call(event, data, namespace="/exam", timeout=10)

    def events(self, name):
        return [d for n, d in self.received if n == name]

    def drop(self):
        """The network goes away: no goodbye to the server. (The client library then waits
        about 3 s for its reader thread; let it do that in the background.)"""
        threading.Thread(target=self.client.eio.disconnect, kwargs={"abort": True},
                         daemon=True).start()

    def close(self):
        if self.client.connected:
            self.drop()


def wait_for(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def running(db, make, live_server):
    eh.bank()
    exam = eh.exam(duration=30)
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    cand, seat = eh.seated(make, sitting)
    attempt = eh.check_in(cand, seat)
    services.start_sitting(sitting, hr)
    services.begin_if_due(attempt)
    info = dict(sitting_id=sitting.id, attempt_id=attempt.id, form=attempt.form,
                cookie=logged_in_cookie(live_server, cand.email, make.PASSWORD),
                deadline=attempt.deadline)
    db.session.remove()
    clients: list[Candidate] = []

    def new_client():
        c = Candidate(live_server, info["cookie"]).connect()
        clients.append(c)
        return c

    info["new_client"] = new_client
    yield info
    for c in clients:
        c.close()


def stored_answers(attempt_id):
    db.session.remove()
    return {a.index: (a.choice, a.seq) for a in db.session.query(AttemptAnswer).filter_by(
        attempt_id=attempt_id)}


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
    assert stored_answers(running["attempt_id"]) == {
        i: (choices[i], i + 1) for i in range(5)}


def test_a_second_device_takes_over_and_the_first_is_told(running):
    first = running["new_client"]()
    first.call("join", {"sitting_id": running["sitting_id"]})
    second = running["new_client"]()
    assert second.call("join", {"sitting_id": running["sitting_id"]})["ok"]
    assert wait_for(lambda: first.events("superseded"))
    assert wait_for(lambda: not first.client.connected)
    assert second.call("answer", {"index": 0, "choice": running["form"][0]["choice_order"][1],
                                  "seq": 1})["ok"]


def test_answer_after_the_deadline_is_refused_and_nothing_stored(running):
    c = running["new_client"]()
    c.call("join", {"sitting_id": running["sitting_id"]})
    clock.set_now(running["deadline"] + timedelta(seconds=1))
    try:
        ack = c.call("answer", {"index": 0, "choice": running["form"][0]["choice_order"][0],
                                "seq": 1})
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
