"""A panel member who declared a conflict of interest for the candidate sees nothing of that
interview's scores: not in the `join` state, not in the events the panel hears live (a real
client against the running server), not on their interview list, not in the score sheet PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db, socketio
from app.interviews import chairing, scoring
from app.interviews.models import ConflictDeclaration
from tests.factories.panels import build, score_and_submit
from tests.support.live_client import LiveClients, logged_in_cookie, wait_for

NS = "/panel"
LIVE_EVENTS = ("progress", "all_submitted", "finalized", "chair_changed")


def _socket(app, make, user):
    return socketio.test_client(app, namespace=NS, flask_test_client=make.client_for(app, user))


def _call(sock, event, data):
    return sock.emit(event, data, namespace=NS, callback=True)


def _score_everyone_but(s, recused, *, finalize=True):
    """Every scoring member but `recused` scores and submits; the chair finalizes."""
    for n, user in enumerate(u for u in s.everyone if u.id != recused.id):
        score_and_submit(s, user, str(20 + n), "15")
    if finalize:
        chairing.finalize(s.interview, s.chair)


@pytest.fixture
def s(db, make):
    """A chair and three members (quorum 3): one member may recuse and the panel still scores."""
    return build(make, members=3, quorum=3)


def test_a_recused_member_is_refused_the_score_sheet_and_sees_no_final_score(s, make, app):
    a, b, _c = s.members
    scoring.declare(s.interview, b, True, "ญาติของผู้สมัคร")
    _score_everyone_but(s, b)
    url = f"/panel/interviews/{s.interview.id}/score-sheet.pdf"

    refused = make.client_for(app, b, lang="th").get(url)
    assert refused.status_code == 403
    assert not refused.data.startswith(b"%PDF")
    for allowed in (s.chair, a, s.hr):  # the rest of the panel and HR still get it
        got = make.client_for(app, allowed).get(url)
        assert got.status_code == 200 and got.data.startswith(b"%PDF")

    final = scoring.num(scoring.get_interview(s.interview.id).final_score)
    home = make.client_for(app, b).get("/panel").get_data(as_text=True)
    assert s.application.number in home and f"· {final}" not in home
    assert f"· {final}" in make.client_for(app, a).get("/panel").get_data(as_text=True)


def test_the_join_state_of_a_recused_member_carries_no_other_points_nor_the_final(s, make, app):
    a, b, _c = s.members
    scoring.declare(s.interview, b, True, "ญาติของผู้สมัคร")
    _score_everyone_but(s, b)
    iv = {"interview_id": s.interview.id}

    state = _call(_socket(app, make, b), "join", iv)["state"]
    assert state["recused"] is True and state["all_submitted"] is True
    assert state["others"] is None and state["interview"]["final_score"] is None
    assert state["chairs"] is False and "side_by_side" not in state and "progress" not in state

    seen = _call(_socket(app, make, a), "join", iv)["state"]  # a member who did not recuse
    assert seen["recused"] is False and len(seen["others"]) == 2
    assert seen["interview"]["final_score"] is not None


def test_a_recused_chair_gets_neither_progress_nor_side_by_side(db, make, app):
    s = build(make, members=3, quorum=3)
    scoring.declare(s.interview, s.chair, True, "บิดาของผู้สมัคร")
    for n, user in enumerate(s.members):
        score_and_submit(s, user, str(21 + n), "14")
    state = _call(_socket(app, make, s.chair), "join", {"interview_id": s.interview.id})["state"]
    assert state["recused"] is True and state["chairs"] is False
    assert state["others"] is None and "side_by_side" not in state and "progress" not in state
    page = make.client_for(app, s.chair).get(f"/panel/interviews/{s.interview.id}").get_data(as_text=True)
    assert 'id="panel-finalize"' not in page  # no chair's tools on the recused chair's page


@pytest.fixture
def live(db, make, live_server):
    """The same panel, its four people logged in over HTTP: plain ids, as the server owns the
    database from here on."""
    s = build(make, members=3, quorum=3)
    who = {"chair": s.chair, "a": s.members[0], "b": s.members[1], "c": s.members[2]}
    cookies = {name: logged_in_cookie(live_server, u.email, make.PASSWORD) for name, u in who.items()}
    info = {
        "iv": {"interview_id": s.interview.id},
        "criteria": [cr.id for cr in s.criteria],
        "b_id": who["b"].id,
    }
    clients = LiveClients(live_server, NS, LIVE_EVENTS)
    db.session.remove()
    info["open"] = lambda name: clients.open(cookies[name])
    yield info
    clients.close_all()


def test_a_member_who_recuses_after_joining_hears_nothing_more_of_the_scores(live):
    iv, (knowledge, communication) = live["iv"], live["criteria"]
    chair, watcher, recusing, other = (live["open"](n) for n in ("chair", "a", "b", "c"))
    for client in (chair, watcher, recusing, other):
        assert client.call("join", iv)["ok"]
    # b's page was open (joined) before b declared a conflict.
    declared = recusing.call("declare", {**iv, "has_conflict": True, "note": "ญาติของผู้สมัคร"})
    assert declared["ok"] and declared["state"]["recused"] is True

    for client in (chair, watcher, other):  # the rest declare no conflict, score and submit live
        assert client.call("declare", {**iv, "has_conflict": False})["ok"]
        assert client.call("score", {**iv, "criterion_id": knowledge, "points": "22", "seq": 1})["ok"]
        assert client.call("score", {**iv, "criterion_id": communication, "points": "16", "seq": 2})["ok"]
        assert client.call("submit", iv)["ok"]
    done = chair.call("finalize", {**iv, "confirmed": True})
    assert done["ok"], done

    assert wait_for(lambda: watcher.events("finalized") and other.events("all_submitted"))
    final = watcher.events("finalized")[0]["final_score"]
    assert final and final == done["state"]["interview"]["final_score"]
    assert wait_for(lambda: any(p["members"] for p in chair.events("progress")))
    # Everything the panel heard, b heard none of (the same server, the same moments).
    assert recusing.events("finalized") == [] and recusing.events("all_submitted") == []
    assert recusing.events("progress") == []
    again = recusing.call("join", iv)["state"]
    assert again["others"] is None and again["interview"]["final_score"] is None
    db.session.remove()
    assert db.session.scalar(
        select(ConflictDeclaration.has_conflict).where(ConflictDeclaration.user_id == live["b_id"])
    )
