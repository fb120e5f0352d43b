"""Live panel scoring of Part C interviews: the services (independence, conflicts, quorum and
substitutes, idempotent scores, finalization and its scaling, audited corrections, refusals),
the panel's pages and documents, the score sheet PDF, and the /panel Socket.IO flow through
Flask-SocketIO's test client."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.applications.models import Document
from app.audit.services import entries_for
from app.common.clock import frozen_at
from app.common.errors import ValidationFailed
from app.extensions import db as _db
from app.extensions import socketio
from app.interviews import booking, chairing, scoreboard, scoring
from app.interviews.models import CriterionScore, Interview, MemberSubmission, PanelMember
from app.scores.models import StageScore
from app.uploads import services as uploads
from tests.factories.panels import bangkok_midday, build, refused, score_and_submit
from tests.support.database import IS_POSTGRES

NS = "/panel"


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def s(db, make):
    return build(make)


# ---- services: declaring, scoring, independence ------------------------------------------------


def test_a_member_declares_before_scoring_and_a_conflict_recuses(s, make):
    a, b = s.members
    err = refused(scoring.DeclareFirst, scoring.record_score, s.interview, a, s.knowledge.id, "20", 1)
    assert "conflict of interest" in err.message and err.code == "declare_first"
    assert _db.session.query(CriterionScore).count() == 0

    scoring.declare(s.interview, a, False)
    ack = scoring.record_score(s.interview, a, s.knowledge.id, "20.5", 1)
    assert ack == {"ok": True, "criterion_id": s.knowledge.id, "points": "20.5", "seq": 1, "stale": False}
    assert _db.session.get(Interview, s.interview.id).status == "scoring"  # left the waiting list

    scoring.declare(s.interview, b, True, "ผู้สมัครเป็นญาติ (my cousin)")
    err = refused(scoring.Recused, scoring.record_score, s.interview, b, s.knowledge.id, "10", 1)
    assert err.code == "recused"
    progress = scoreboard.progress(s.interview)
    assert [m["user_id"] for m in progress["members"]] == [s.chair.id, a.id]
    assert progress["recused"] == [{"user_id": b.id, "name": b.full_name_th, "role": "member"}]
    assert progress["quorum"] == {"required": 3, "scoring": 2, "met": False}

    outsider = s.spare[0]
    err = refused(scoring.NotAMember, scoring.record_score, s.interview, outsider, s.knowledge.id, "10", 1)
    assert err.status_code == 403


def test_the_chair_sees_progress_but_never_points_and_members_see_others_only_at_the_end(s):
    a, b = s.members
    scoring.declare(s.interview, a, False)
    scoring.record_score(s.interview, a, s.knowledge.id, "27", 1)
    progress = scoreboard.progress(s.interview)
    rows = {m["user_id"]: m for m in progress["members"]}
    assert rows[a.id]["state"] == "scoring" and (rows[a.id]["scored"], rows[a.id]["of"]) == (1, 2)
    assert rows[b.id]["state"] == "not_started" and rows[b.id]["declared"] is False
    assert all(
        set(m) == {"user_id", "name", "role", "declared", "state", "scored", "of"}
        for m in progress["members"]
    )  # no points, no totals
    chair_state = scoreboard.state_for(s.interview, s.chair, "en")
    assert chair_state["side_by_side"] is None and chair_state["others"] is None
    assert chair_state["scores"] == {} and chair_state["total"] is None
    refused(scoring.NotReady, scoreboard.side_by_side, s.interview)

    b_view = scoreboard.member_view(s.interview, b)
    assert b_view["others"] is None and b_view["scores"] == {}
    scoring.record_score(s.interview, a, s.communication.id, "15", 2)
    scoring.submit_scores(s.interview, a)
    score_and_submit(s, b, "20", "10")
    assert scoreboard.member_view(s.interview, b)["others"] is None  # the chair has not submitted
    b_state = scoreboard.state_for(s.interview, b, "en")
    assert b_state["others"] is None and "side_by_side" not in b_state
    assert b_state["scores"] == {
        str(s.knowledge.id): {"points": "20", "seq": 1},
        str(s.communication.id): {"points": "10", "seq": 2},
    }

    score_and_submit(s, s.chair, "25", "15")
    b_view = scoreboard.member_view(s.interview, b)
    assert b_view["all_submitted"] is True
    others = {m["user_id"]: m for m in b_view["others"]}
    assert set(others) == {s.chair.id, a.id}
    assert others[a.id]["points"] == {str(s.knowledge.id): "27", str(s.communication.id): "15"}
    assert others[a.id]["total"] == "42"


def test_scores_are_idempotent_by_seq_and_every_change_is_audited(s):
    a = s.members[0]
    scoring.declare(s.interview, a, False)
    assert scoring.record_score(s.interview, a, s.knowledge.id, "10", 3)["stale"] is False
    again = scoring.record_score(s.interview, a, s.knowledge.id, "10", 3)  # a re-send
    assert again == {"ok": True, "criterion_id": s.knowledge.id, "points": "10", "seq": 3, "stale": False}
    older = scoring.record_score(s.interview, a, s.knowledge.id, "5", 2)  # late, out of order
    assert older["stale"] is True and older["points"] == "10" and older["seq"] == 3
    newer = scoring.record_score(s.interview, a, s.knowledge.id, 12.5, 4)
    assert newer["points"] == "12.5"
    cleared = scoring.record_score(s.interview, a, s.knowledge.id, None, 5)
    assert cleared["points"] is None
    rows = _db.session.scalars(select(CriterionScore)).all()
    assert len(rows) == 1 and rows[0].points is None and rows[0].seq == 5
    changes = [e for e in entries_for("interviews", s.interview.id) if e.action == "interview.score"]
    assert [(e.before["points"], e.after["points"]) for e in changes] == [
        (None, "10.00"),
        ("10.00", "12.50"),
        ("12.50", None),
    ]
    assert all(e.actor_id == a.id for e in changes)


@pytest.mark.parametrize(
    "points, message",
    [
        ("31", "go from 0 to 30"),
        (-1, "go from 0 to 30"),
        ("10.25", "steps of 0.5"),
        ("abc", "must be a number"),
        (True, "must be a number"),
        ("NaN", "must be a number"),
    ],
)
def test_points_out_of_range_or_off_the_half_point_steps_are_refused(s, points, message):
    a = s.members[0]
    scoring.declare(s.interview, a, False)
    err = refused(scoring.BadScore, scoring.record_score, s.interview, a, s.knowledge.id, points, 1)
    assert message in err.message and err.code == "bad_score"
    assert _db.session.query(CriterionScore).count() == 0


def test_other_refusals_bad_seq_unknown_criterion_and_too_early(s, make):
    a = s.members[0]
    scoring.declare(s.interview, a, False)
    assert (
        refused(scoring.BadScore, scoring.record_score, s.interview, a, s.knowledge.id, "1", 0).field == "seq"
    )
    other = build(make)
    assert (
        refused(scoring.BadScore, scoring.record_score, s.interview, a, other.knowledge.id, "1", 1).field
        == "criterion_id"
    )
    with frozen_at(s.slot.starts_at - timedelta(minutes=20)):
        assert (
            refused(scoring.NotOpen, scoring.record_score, s.interview, a, s.knowledge.id, "1", 1).code
            == "not_open"
        )
    s.interview.status = "no_show"
    _db.session.commit()
    refused(scoring.NotAllowed, scoring.record_score, s.interview, a, s.knowledge.id, "1", 1)


def test_submitting_needs_every_criterion_then_scores_are_locked(s):
    a = s.members[0]
    scoring.declare(s.interview, a, False)
    scoring.record_score(s.interview, a, s.knowledge.id, "25", 1)
    err = refused(scoring.Incomplete, scoring.submit_scores, s.interview, a)
    assert "Communication" in err.message and "Knowledge" not in err.message
    scoring.record_score(s.interview, a, s.communication.id, "17.5", 2)
    first = scoring.submit_scores(s.interview, a)
    assert first == {"ok": True, "submitted": True, "total": "42.5", "all_submitted": False}
    assert scoring.submit_scores(s.interview, a)["total"] == "42.5"  # idempotent
    assert _db.session.query(MemberSubmission).count() == 1
    err = refused(scoring.AlreadySubmitted, scoring.record_score, s.interview, a, s.knowledge.id, "30", 3)
    assert err.code == "submitted"
    refused(scoring.AlreadySubmitted, scoring.declare, s.interview, a, True, "late")
    assert [
        e.after["total"]
        for e in entries_for("interviews", s.interview.id)
        if e.action == "interview.submit_scores"
    ] == ["42.50"]


# ---- quorum, substitutes, finalization --------------------------------------------------------


def test_a_recusal_breaks_the_quorum_until_the_chair_names_a_substitute(s):
    a, b = s.members
    sub = s.spare[0]
    scoring.declare(s.interview, b, True, "เคยเป็นผู้บังคับบัญชาของผู้สมัคร")
    score_and_submit(s, a, "20", "15")
    score_and_submit(s, s.chair, "22", "16")
    assert scoring.all_submitted(s.interview)  # everyone scoring has submitted …
    err = refused(scoring.NotReady, chairing.finalize, s.interview, s.chair)
    assert "quorum" in err.message  # … but two are fewer than the quorum of three

    refused(scoring.Forbidden, chairing.name_substitute, s.interview, a, sub)
    chairing.name_substitute(s.interview, s.chair, sub)
    assert scoring.role_of(s.interview, sub) == "substitute"
    assert not scoring.all_submitted(s.interview)  # the substitute scores independently too
    assert scoreboard.member_view(s.interview, sub)["others"] is None
    err = refused(scoring.NotReady, chairing.finalize, s.interview, s.chair)
    assert sub.full_name_th in err.message
    score_and_submit(s, sub, "24", "14")
    chairing.finalize(s.interview, s.chair)
    # totals 35, 38, 38 (chair first, then a, then the substitute): mean 37 of 50 -> 74 of 100
    assert s.interview.final_score == Decimal("74.00")


def test_finalize_scales_the_mean_to_the_stage_and_writes_the_part_c_score(s):
    a, b = s.members
    score_and_submit(s, s.chair, "25", "15.5")  # 40.5
    score_and_submit(s, a, "26", "15")  # 41
    refused(scoring.NotReady, chairing.finalize, s.interview, s.chair)
    score_and_submit(s, b, "24", "16.5")  # 40.5
    view = scoreboard.side_by_side(s.interview, "en")
    assert [m["total"] for m in view["members"]] == ["40.5", "41", "40.5"]
    assert view["aggregate"] == "40.67" and view["spread"] == "0.5"
    assert view["spread_flag"] is False and view["part_c_score"] == "81.33"
    assert view["criteria"][0]["title"] == "Knowledge for the job"

    refused(scoring.Forbidden, chairing.finalize, s.interview, a)
    chairing.finalize(s.interview, s.chair)
    iid, chair_id = s.interview.id, s.chair.id
    _db.session.expire_all()
    interview = _db.session.get(Interview, iid)
    assert interview.status == "finalized" and interview.final_score == Decimal("81.33")
    assert interview.finalized_by_id == chair_id and interview.finalized_at is not None
    stage = _db.session.scalar(select(StageScore))
    assert (stage.stage_kind, stage.score, stage.max_score) == ("part_c", Decimal("81.33"), Decimal("100.00"))
    assert stage.source == "interview" and stage.source_ref == f"interview:{interview.id}"
    assert stage.passed is True and stage.entered_by_id == chair_id
    audit = next(e for e in entries_for("interviews", interview.id) if e.action == "interview.finalize")
    assert audit.after["final_score"] == "81.33" and audit.after["aggregate_method"] == "mean"

    # Locked: nobody scores, submits, or finalizes again.
    err = refused(scoring.Finalized, scoring.record_score, interview, a, s.knowledge.id, "1", 9)
    assert err.code == "finalized"
    refused(scoring.Finalized, chairing.finalize, interview, s.chair)
    refused(scoring.Finalized, scoring.declare, interview, a, True, "x")


def test_median_panels_and_the_spread_flag(db, make):
    s = build(make, aggregate="median", spread="10")
    a, b = s.members
    score_and_submit(s, s.chair, "10", "10")  # 20
    score_and_submit(s, a, "25", "15")  # 40
    score_and_submit(s, b, "28", "18")  # 46
    view = scoreboard.side_by_side(s.interview)
    assert view["aggregate_method"] == "median" and view["aggregate"] == "40"
    assert view["spread"] == "26" and view["spread_flag"] is True
    assert view["criterion_spread"] == {str(s.knowledge.id): "18", str(s.communication.id): "8"}
    chairing.finalize(s.interview, s.chair)
    assert s.interview.final_score == Decimal("80.00")


def test_a_correction_needs_the_chair_and_a_reason_and_is_audited_before_and_after(s):
    a, b = s.members
    for user, k, c in ((s.chair, "20", "10"), (a, "20", "10"), (b, "20", "10")):
        score_and_submit(s, user, k, c)
    refused(scoring.NotAllowed, chairing.correct_final_score, s.interview, s.chair, "70", "x")
    chairing.finalize(s.interview, s.chair)
    assert s.interview.final_score == Decimal("60.00")

    refused(scoring.Forbidden, chairing.correct_final_score, s.interview, a, "70", "typo")
    assert (
        refused(ValidationFailed, chairing.correct_final_score, s.interview, s.chair, "70", "  ").field
        == "reason"
    )
    assert (
        refused(ValidationFailed, chairing.correct_final_score, s.interview, s.chair, "101", "typo").field
        == "score"
    )
    assert (
        refused(ValidationFailed, chairing.correct_final_score, s.interview, s.chair, "70.123", "typo").field
        == "score"
    )
    chairing.correct_final_score(
        s.interview, s.chair, "70.5", "กรรมการคนที่ 2 บันทึกคะแนนผิดช่อง ตรวจกับแบบฟอร์มกระดาษแล้ว"
    )
    iid, chair_id, chair_name = s.interview.id, s.chair.id, s.chair.full_name_th
    _db.session.expire_all()
    interview = _db.session.get(Interview, iid)
    assert interview.final_score == Decimal("70.50")
    stage = _db.session.scalar(select(StageScore))
    assert stage.score == Decimal("70.50") and "ตรวจกับแบบฟอร์มกระดาษ" in stage.note
    entry = next(e for e in entries_for("interviews", interview.id) if e.action == "interview.correct_score")
    assert entry.before == {"final_score": "60.00"} and entry.actor_id == chair_id
    assert entry.after["final_score"] == "70.50" and "ผิดช่อง" in entry.after["reason"]
    fixes = scoreboard.corrections(interview)
    assert [(f["before"], f["after"], f["by"]) for f in fixes] == [("60", "70.5", chair_name)]


def test_a_recused_chair_cannot_finalize(db, make):
    s = build(make, members=3)
    scoring.declare(s.interview, s.chair, True, "ญาติของผู้สมัคร")
    for user in s.members:
        score_and_submit(s, user, "20", "10")
    err = refused(scoring.Recused, chairing.finalize, s.interview, s.chair)
    assert err.code == "recused"


# ---- pages, documents, score sheet ----------------------------------------------------------


def test_my_interviews_lists_today_and_upcoming_for_panel_members_only(s, make, app):
    a = s.members[0]
    later = build(make, starts_in=timedelta(days=3), status="confirmed")
    later.panel.members.append(PanelMember(user_id=a.id, role="member"))
    _db.session.commit()
    with frozen_at(s.slot.starts_at + timedelta(minutes=1)):  # "today" is the slot's day
        page = make.client_for(app, a).get("/panel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    today, upcoming = html.split(">Upcoming<")
    assert s.candidate.full_name_th in today and s.application.number in today
    assert later.application.number in upcoming and later.application.number not in today
    assert f'id="waiting-{s.panel.id}"' in html  # the live waiting list of today's panel
    assert s.application.number not in make.client_for(app, s.spare[0]).get("/panel").get_data(as_text=True)
    assert make.client_for(app, s.candidate).get("/panel").status_code == 403
    assert make.client_for(app, s.hr).get("/panel").status_code == 403


def test_the_scoring_page_shows_the_application_the_declaration_and_the_rubric(s, make, app):
    page = make.client_for(app, s.members[0]).get(f"/panel/interviews/{s.interview.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Conflict of interest" in html and "Knowledge for the job" in html
    assert f'id="points-{s.knowledge.id}"' in html and 'step="0.5"' in html
    assert "Full" in html and s.application.number in html
    assert 'id="panel-chair"' not in html  # chair tools only for the chair
    chair_html = (
        make.client_for(app, s.chair).get(f"/panel/interviews/{s.interview.id}").get_data(as_text=True)
    )
    assert 'id="panel-chair"' in chair_html and s.spare[0].full_name_th in chair_html
    assert make.client_for(app, s.spare[0]).get(f"/panel/interviews/{s.interview.id}").status_code == 403
    assert make.client_for(app, s.spare[0]).get("/panel/interviews/999999").status_code == 404


def test_panel_members_see_the_candidates_documents_unless_recused(s, make, app):
    a, b = s.members
    stored = uploads.store(png_bytes(), "ปริญญาบัตร.png")
    doc = Document(
        owner_id=s.candidate.id,
        application_id=s.application.id,
        kind="degree",
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )
    other = build(make)
    stranger_doc = Document(
        owner_id=other.candidate.id,
        application_id=other.application.id,
        kind="degree",
        original_name="x.png",
        stored_name=uploads.store(png_bytes(), "x.png").stored_name,
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )
    _db.session.add_all([doc, stranger_doc])
    _db.session.commit()
    url = f"/panel/interviews/{s.interview.id}/documents/{doc.id}"
    page = make.client_for(app, a).get(f"/panel/interviews/{s.interview.id}")
    assert url in page.get_data(as_text=True)
    got = make.client_for(app, a).get(url)
    assert got.status_code == 200 and got.data == png_bytes()
    assert got.headers["Cache-Control"] == "private, no-store"
    assert make.client_for(app, s.hr).get(url).status_code == 200
    assert make.client_for(app, s.spare[0]).get(url).status_code == 403
    assert (
        make.client_for(app, a)
        .get(f"/panel/interviews/{s.interview.id}/documents/{stranger_doc.id}")
        .status_code
        == 404
    )

    scoring.declare(s.interview, b, True, "คู่สมรสของผู้สมัคร")
    assert make.client_for(app, b).get(url).status_code == 403
    recused_page = make.client_for(app, b).get(f"/panel/interviews/{s.interview.id}")
    assert "not shown to a member who declared a conflict" in recused_page.get_data(as_text=True)


def test_the_score_sheet_after_everyone_submitted_for_the_panel_and_hr(s, make, app, tmp_path):
    a, b = s.members
    url = f"/panel/interviews/{s.interview.id}/score-sheet.pdf"
    score_and_submit(s, a, "25", "15")
    assert make.client_for(app, s.chair).get(url).status_code == 409  # points still secret
    score_and_submit(s, s.chair, "22", "18.5")
    score_and_submit(s, b, "28", "17")
    chairing.finalize(s.interview, s.chair)
    chairing.correct_final_score(s.interview, s.chair, "83", "คำนวณใหม่ตามมติคณะกรรมการ")
    for user in (s.chair, a, s.hr):
        got = make.client_for(app, user).get(url)
        assert got.status_code == 200 and got.data.startswith(b"%PDF")
        assert got.headers["Content-Type"] == "application/pdf"
    assert make.client_for(app, s.spare[0]).get(url).status_code == 403
    assert make.client_for(app, make.hr(make.agency())).get(url).status_code == 403
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages)
    assert s.application.number in text and "83" in text
    (tmp_path / "sheet.pdf").write_bytes(got.data)


# ---- the /panel socket ----------------------------------------------------------------------


def connect(app, make, user):
    return socketio.test_client(app, namespace=NS, flask_test_client=make.client_for(app, user))


def events(sock, name):
    return [e["args"][0] for e in sock.get_received(NS) if e["name"] == name]


def call(sock, event, data):
    return sock.emit(event, data, namespace=NS, callback=True)


def test_only_panel_users_connect(app, make, s):
    assert not socketio.test_client(app, namespace=NS).is_connected(NS)
    assert not connect(app, make, s.candidate).is_connected(NS)
    assert not connect(app, make, s.hr).is_connected(NS)
    outsider = connect(app, make, s.spare[0])
    assert outsider.is_connected(NS)
    denied = call(outsider, "join", {"interview_id": s.interview.id})
    assert denied["ok"] is False and denied["error"] == "forbidden"


def test_the_panel_scores_live_to_a_finalized_part_c_score(app, make, s, db):
    a, b = s.members
    iv = {"interview_id": s.interview.id}
    chair, ma, mb = connect(app, make, s.chair), connect(app, make, a), connect(app, make, b)
    joined = call(chair, "join", iv)
    assert joined["ok"] and joined["state"]["role"] == "chair"
    assert joined["state"]["progress"]["quorum"]["met"] is True
    state = call(ma, "join", iv)["state"]
    assert state["role"] == "member" and state["declaration"] is None
    assert [c["title"] for c in state["criteria"]] == ["Knowledge for the job", "Communication"]
    assert state["criteria"][0]["descriptors"][0] == {"points": 30, "text": "Full"}
    call(mb, "join", iv)

    early = call(ma, "score", {**iv, "criterion_id": s.knowledge.id, "points": "20", "seq": 1})
    assert early["ok"] is False and early["error"] == "declare_first"
    bad = call(ma, "declare", {**iv, "has_conflict": "no"})
    assert bad["ok"] is False and bad["error"] == "validation_failed"
    declared = call(ma, "declare", {**iv, "has_conflict": False, "note": ""})
    assert declared["ok"] and declared["state"]["declaration"] == {"has_conflict": False, "note": ""}
    chair.get_received(NS)
    ack = call(ma, "score", {**iv, "criterion_id": s.knowledge.id, "points": 27.5, "seq": 1})
    assert ack == {"ok": True, "criterion_id": s.knowledge.id, "points": "27.5", "seq": 1, "stale": False}
    db.session.remove()
    assert db.session.scalar(select(CriterionScore.points)) == Decimal("27.50")  # before the ack
    progress = events(chair, "progress")
    assert progress and progress[-1]["members"][1]["state"] == "scoring"
    assert "points" not in progress[-1]["members"][1]  # the chair sees who, never how much
    assert events(mb, "progress") == []  # members get no progress at all
    refused_type = call(ma, "score", {**iv, "criterion_id": "knowledge", "points": 1, "seq": 2})
    assert refused_type["error"] == "validation_failed"
    over = call(ma, "score", {**iv, "criterion_id": s.knowledge.id, "points": 31, "seq": 2})
    assert over["ok"] is False and over["error"] == "bad_score"

    call(ma, "score", {**iv, "criterion_id": s.communication.id, "points": 15, "seq": 3})
    incomplete = call(mb, "submit", iv)
    assert incomplete["ok"] is False and incomplete["error"] == "declare_first"
    assert call(ma, "submit", iv)["state"]["submitted"] is True
    assert call(mb, "join", iv)["state"]["others"] is None

    for sock, _user, k, c in ((mb, b, 24, 14), (chair, s.chair, 26, 16)):
        call(sock, "declare", {**iv, "has_conflict": False})
        call(sock, "score", {**iv, "criterion_id": s.knowledge.id, "points": k, "seq": 1})
        call(sock, "score", {**iv, "criterion_id": s.communication.id, "points": c, "seq": 2})
    early_final = call(chair, "finalize", {**iv, "confirmed": True})
    assert early_final["ok"] is False and early_final["error"] == "not_ready"
    ma.get_received(NS)
    call(mb, "submit", iv)
    assert events(ma, "all_submitted") == []
    after = call(chair, "submit", iv)
    assert after["state"]["side_by_side"]["part_c_score"] == "81.67"  # (42.5+38+42)/3 of 50
    assert events(ma, "all_submitted") == [{"interview_id": s.interview.id}]
    others = call(ma, "join", iv)["state"]["others"]
    assert {o["user_id"] for o in others} == {s.chair.id, b.id}

    assert call(ma, "finalize", {**iv, "confirmed": True})["error"] == "forbidden"
    # Finalizing locks the scores: the page sends it only once the chair confirmed in its dialog.
    assert call(chair, "finalize", iv)["error"] == "not_confirmed"
    final = call(chair, "finalize", {**iv, "confirmed": True})
    assert final["ok"] and final["state"]["interview"]["final_score"] == "81.67"
    assert events(mb, "finalized")[-1] == {
        "interview_id": s.interview.id,
        "final_score": "81.67",
        "corrected": False,
    }
    no_reason = call(chair, "correct", {**iv, "score": "85", "reason": ""})
    assert no_reason["ok"] is False and no_reason["error"] == "validation_failed"
    fixed = call(chair, "correct", {**iv, "score": "85", "reason": "แก้ไขตามมติที่ประชุม"})
    assert fixed["ok"] and fixed["state"]["corrections"][0]["after"] == "85"
    db.session.remove()
    stage = db.session.scalar(select(StageScore))
    assert stage.score == Decimal("85.00") and stage.source == "interview"


def test_the_chair_names_a_substitute_over_the_socket(app, make, s, db):
    a, b = s.members
    iv = {"interview_id": s.interview.id}
    mb = connect(app, make, b)
    call(mb, "declare", {**iv, "has_conflict": True, "note": "อดีตผู้ใต้บังคับบัญชา"})
    chair = connect(app, make, s.chair)
    assert call(chair, "join", iv)["state"]["progress"]["quorum"]["met"] is False
    assert call(connect(app, make, a), "substitute", {**iv, "user_id": s.spare[0].id})["error"] == "forbidden"
    named = call(chair, "substitute", {**iv, "user_id": s.spare[0].id})
    assert named["ok"] and named["state"]["progress"]["quorum"]["met"] is True
    sub = connect(app, make, s.spare[0])
    assert call(sub, "join", iv)["state"]["role"] == "substitute"


def test_the_waiting_list_hears_of_a_check_in(app, make, db):
    with frozen_at(bangkok_midday()):
        _waiting_list_hears_of_a_check_in(app, make)


def _waiting_list_hears_of_a_check_in(app, make):
    s = build(make, starts_in=timedelta(minutes=10), status="confirmed")
    chair = connect(app, make, s.chair)
    waiting = call(chair, "waiting", {"panel_id": s.panel.id})
    assert waiting["ok"] and waiting["candidates"] == []
    outsider = connect(app, make, s.spare[0])
    assert call(outsider, "waiting", {"panel_id": s.panel.id})["error"] == "forbidden"

    booking.check_in_for_interview(s.interview, s.candidate)  # the candidate's own page
    heard = events(chair, "candidate_waiting")
    assert heard and heard[0]["interview_id"] == s.interview.id
    assert heard[0]["application_number"] == s.application.number
    assert (
        call(chair, "waiting", {"panel_id": s.panel.id})["candidates"][0]["name"] == s.candidate.full_name_th
    )

    member = connect(app, make, s.members[0])
    call(member, "join", {"interview_id": s.interview.id})
    call(member, "declare", {"interview_id": s.interview.id, "has_conflict": False})
    chair.get_received(NS)
    call(
        member,
        "score",
        {"interview_id": s.interview.id, "criterion_id": s.knowledge.id, "points": 10, "seq": 1},
    )
    assert events(chair, "candidate_left") == [{"interview_id": s.interview.id, "panel_id": s.panel.id}]


# ---- concurrency (PostgreSQL: several connections at the same instant) -----------------------


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite serializes writers itself")
def test_simultaneous_scores_and_submits_of_one_member_end_consistent(app, s):
    """Two devices of one member race: re-sent and out-of-order scores, then two submits at once.
    The highest seq wins, each change is audited once, and there is one submission whose total
    matches the stored points."""
    a = s.members[0]
    scoring.declare(s.interview, a, False)
    iid, uid, k, c = s.interview.id, a.id, s.knowledge.id, s.communication.id
    _db.session.remove()
    barrier = threading.Barrier(8)

    def in_own_session(fn):
        def run(*args):
            with app.app_context():
                interview = _db.session.get(Interview, iid)
                user = _db.session.get(type(s.chair), uid)
                barrier.wait()
                try:
                    return fn(interview, user, *args)
                finally:
                    _db.session.remove()

        return run

    sends = [
        (k, "10", 1),
        (k, "12", 2),
        (k, "12", 2),
        (k, "11", 1),
        (c, "5", 3),
        (c, "6", 4),
        (c, "6", 4),
        (k, "14", 5),
    ]
    score = in_own_session(lambda iv, u, cid, pts, seq: scoring.record_score(iv, u, cid, pts, seq))
    with ThreadPoolExecutor(8) as pool:
        acks = list(pool.map(lambda args: score(*args), sends))
    assert all(ack["ok"] for ack in acks)
    stored = {
        r.criterion_id: (r.points, r.seq)
        for r in _db.session.scalars(select(CriterionScore).where(CriterionScore.interview_id == iid))
    }
    assert stored == {k: (Decimal("14.00"), 5), c: (Decimal("6.00"), 4)}
    changes = [e.after["seq"] for e in entries_for("interviews", iid) if e.action == "interview.score"]
    assert len(changes) == len(set(changes))  # a repeat is never audited twice

    submit = in_own_session(lambda iv, u: scoring.submit_scores(iv, u))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: submit(), range(8)))
    assert {r["total"] for r in results} == {"20"}
    assert _db.session.query(MemberSubmission).count() == 1
