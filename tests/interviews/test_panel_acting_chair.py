"""A chair who declares a conflict for a candidate may not decide their score: HR of the round's
agency names one of the scoring members to preside over that interview (finalize, correct,
name substitutes) in the chair's place. The service and its refusals, the audit and the email,
HR's page, the acting chair's scoring page and /panel state, and the score sheet."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.audit.services import entries_for
from app.common.errors import ValidationFailed
from app.extensions import db as _db
from app.extensions import socketio
from app.interviews import chairing, conflicts, scoring
from app.interviews.models import Interview
from tests.factories.interviews import outbox
from tests.factories.panels import build, refused, score_and_submit


@pytest.fixture
def s(db, make):
    """A chair and two members (quorum 3); the chair is related to the candidate."""
    setup = build(make)
    scoring.declare(setup.interview, setup.chair, True, "บุตรของผู้สมัคร")
    return setup


def test_nobody_presides_until_hr_names_an_acting_chair(s):
    a, b = s.members
    assert conflicts.chair_recused(s.interview)
    assert conflicts.chair_recusals(s.round) == [s.interview]
    for user in s.members:
        score_and_submit(s, user, "20", "15")
    assert refused(scoring.Recused, chairing.finalize, s.interview, s.chair).code == "recused"
    refused(scoring.Forbidden, chairing.finalize, s.interview, a)
    refused(scoring.Recused, chairing.name_substitute, s.interview, s.chair, s.spare[0])
    assert not scoring.is_chair(s.interview, a)


def test_only_hr_of_the_round_names_a_scoring_member(s, make):
    a, b = s.members
    other_hr = make.hr(make.agency())
    refused(scoring.Forbidden, chairing.name_acting_chair, s.interview, other_hr, a)
    refused(scoring.Forbidden, chairing.name_acting_chair, s.interview, a, a)
    err = refused(scoring.NotAllowed, chairing.name_acting_chair, s.interview, s.hr, s.spare[0])
    assert err.field == "user_id" and "does not score" in err.message
    err = refused(scoring.NotAllowed, chairing.name_acting_chair, s.interview, s.hr, s.chair)
    assert "does not score" in err.message  # the recused chair cannot preside over themselves
    err = refused(ValidationFailed, chairing.name_acting_chair, s.interview, s.hr, None)
    assert err.field == "user_id"
    scoring.declare(s.interview, b, True, "เคยเป็นผู้บังคับบัญชาของผู้สมัคร")
    refused(scoring.NotAllowed, chairing.name_acting_chair, s.interview, s.hr, b)
    assert s.interview.acting_chair_id is None


def test_hr_cannot_name_one_when_the_chair_is_not_recused(db, make):
    s = build(make)
    scoring.declare(s.interview, s.chair, False)
    err = refused(scoring.NotAllowed, chairing.name_acting_chair, s.interview, s.hr, s.members[0])
    assert "chair presides" in err.message
    assert conflicts.chair_recusals(s.round) == []


def test_the_acting_chair_names_a_substitute_finalizes_and_corrects(s, db):
    a, b = s.members
    sub = s.spare[0]
    chairing.name_acting_chair(s.interview, s.hr, a)
    assert scoring.is_chair(s.interview, a) and not scoring.is_chair(s.interview, s.chair)
    entry = next(e for e in entries_for("interviews", s.interview.id) if e.action == "interview.acting_chair")
    assert entry.actor_id == s.hr.id and entry.before == {"acting_chair": None}
    assert entry.after == {"acting_chair": a.id, "recused_chair": s.chair.id}
    mails = outbox(db, f"interview:{s.interview.id}:acting-chair:")
    assert [m.to_address for m in mails] == [a.email]
    assert s.application.number in mails[0].subject
    assert f"/panel/interviews/{s.interview.id}" in mails[0].body_text

    # Two scoring members are short of the quorum of three: the acting chair names a substitute.
    refused(scoring.Forbidden, chairing.name_substitute, s.interview, b, sub)
    chairing.name_substitute(s.interview, a, sub)
    score_and_submit(s, a, "25", "15")  # 40
    score_and_submit(s, b, "20", "10")  # 30
    score_and_submit(s, sub, "24", "14")  # 38
    refused(scoring.Recused, chairing.finalize, s.interview, s.chair)
    chairing.finalize(s.interview, a)
    iid = s.interview.id
    _db.session.expire_all()
    interview = _db.session.get(Interview, iid)
    # mean 36 of 50 -> 72 of 100
    assert interview.final_score == Decimal("72.00") and interview.finalized_by_id == a.id
    refused(scoring.Recused, chairing.correct_final_score, interview, s.chair, "70", "x")
    chairing.correct_final_score(interview, a, "73", "ทบทวนตามมติคณะกรรมการ")
    assert interview.final_score == Decimal("73.00")
    # Closed: HR names nobody else now.
    refused(scoring.NotAllowed, chairing.name_acting_chair, interview, s.hr, b)


def test_hr_replaces_an_acting_chair_who_then_declares_a_conflict(s, db):
    a, b = s.members
    chairing.name_acting_chair(s.interview, s.hr, a)
    refused(scoring.NotAllowed, chairing.name_acting_chair, s.interview, s.hr, a)  # already
    scoring.declare(s.interview, a, True, "พบภายหลังว่าเป็นญาติ")
    refused(scoring.Recused, chairing.finalize, s.interview, a)
    chairing.name_acting_chair(s.interview, s.hr, b)
    assert scoring.is_chair(s.interview, b) and not scoring.is_chair(s.interview, a)
    entry = [e for e in entries_for("interviews", s.interview.id) if e.action == "interview.acting_chair"][-1]
    assert entry.before == {"acting_chair": a.id} and entry.after["acting_chair"] == b.id


# ---- pages, /panel, score sheet ------------------------------------------------------------


def test_hr_names_the_acting_chair_on_the_rounds_interview_page(s, make, app):
    a, b = s.members
    hr = make.client_for(app, s.hr)
    url = f"/hr/rounds/{s.round.id}/interviews"
    html = hr.get(url).get_data(as_text=True)
    assert 'id="acting-chairs"' in html and s.chair.full_name_th in html
    assert "none yet: the score cannot be finalized" in html
    member = socketio.test_client(app, namespace="/panel", flask_test_client=make.client_for(app, a))
    assert (
        member.emit("join", {"interview_id": s.interview.id}, namespace="/panel", callback=True)["state"][
            "chairs"
        ]
        is False
    )
    post = f"/hr/rounds/{s.round.id}/interviews/{s.interview.id}/acting-chair"
    bad = hr.post(post, data={f"a{s.interview.id}-user_id": str(s.spare[0].id)})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    done = hr.post(post, data={f"a{s.interview.id}-user_id": str(a.id)})
    assert done.status_code == 302 and done.headers["Location"].endswith("#acting-chairs")
    page = hr.get(url).get_data(as_text=True)
    assert "presides over the interview of" in page and a.full_name_th in page
    assert _db.session.get(Interview, s.interview.id).acting_chair_id == a.id
    heard = [e["args"][0] for e in member.get_received("/panel") if e["name"] == "chair_changed"]
    assert heard == [{"interview_id": s.interview.id, "acting_chair_id": a.id}]
    member.disconnect(namespace="/panel")
    outsider = make.client_for(app, make.hr(make.agency()))
    assert outsider.post(post, data={f"a{s.interview.id}-user_id": str(b.id)}).status_code == 403


def test_the_acting_chairs_page_and_live_state_carry_the_chairs_tools(s, make, app):
    a, b = s.members
    chairing.name_acting_chair(s.interview, s.hr, a)
    page = make.client_for(app, a).get(f"/panel/interviews/{s.interview.id}")
    html = page.get_data(as_text=True)
    assert 'id="panel-chair"' in html and "acting chair for this candidate" in html
    assert '"chairs": true' in html
    chair_html = (
        make.client_for(app, s.chair).get(f"/panel/interviews/{s.interview.id}").get_data(as_text=True)
    )
    assert 'id="panel-chair"' not in chair_html

    sock = socketio.test_client(app, namespace="/panel", flask_test_client=make.client_for(app, a))
    ack = sock.emit("join", {"interview_id": s.interview.id}, namespace="/panel", callback=True)
    state = ack["state"]
    assert state["chairs"] is True and state["acting_chair"] is True and state["role"] == "member"
    assert state["progress"]["recused"][0]["user_id"] == s.chair.id
    sock.disconnect(namespace="/panel")


def test_the_score_sheet_names_the_acting_chair(s, make, app):
    a, b = s.members
    chairing.name_acting_chair(s.interview, s.hr, a)
    chairing.name_substitute(s.interview, a, s.spare[0])
    for user in (a, b, s.spare[0]):
        score_and_submit(s, user, "20", "15")
    chairing.finalize(s.interview, a)
    got = make.client_for(app, s.hr).get(f"/panel/interviews/{s.interview.id}/score-sheet.pdf")
    assert got.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages)
    assert s.application.number in text and "70" in text
