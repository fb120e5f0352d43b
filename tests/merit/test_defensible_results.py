"""Results that stand up to an appeal (issue 12): lists wait for the round's stages, a recorded
score changes only by a correction the approver sees, a published list is withdrawn by two
people, and the audit chain is checked against its anchors."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete, select, text, update

from app.audit.models import AuditAnchor, AuditEntry
from app.audit.services import _digest, anchor, verify_chain
from app.common.clock import now
from app.merit import digest, generation, offers, workflow
from app.merit.models import MeritList, Offer, OfferStatus
from app.notifications.models import OutboxEmail
from app.scores import recording
from app.scores.models import ScoreCorrection, StageScore
from tests.factories.merit import scored_round, team
from tests.support.reading import audit_count, page_text

# ---- lifecycle gates ----------------------------------------------------------------------


def test_no_list_while_the_window_is_open_and_hr_sees_why_in_words(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    round_.closes_at = now() + timedelta(days=30)  # still taking applications
    db.session.commit()
    c = make.client_for(app, make.hr(agency))
    page = page_text(c.get(f"/hr/rounds/{round_.id}/lists"))
    assert "the application window is still open until" in page
    resp = c.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit", "tie_break": ""})
    assert resp.status_code == 409
    assert "This list cannot be produced yet: the application window is still open" in page_text(resp)
    assert db.session.scalar(select(MeritList.id)) is None


def test_the_refusal_says_why_in_thai(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    round_.closes_at = now() + timedelta(days=30)
    db.session.commit()
    th = make.client_for(app, make.hr(agency), lang="th")
    resp = th.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit", "tie_break": ""})
    assert resp.status_code == 409 and "ยังจัดทำบัญชีนี้ไม่ได้" in page_text(resp)


def test_the_merit_list_waits_for_every_stage_of_every_candidate(app, db, make):
    agency, round_, (a1, a2, a3) = scored_round(
        db, make, [(150, 150, 80), (150, 150, None), (150, None, None)]
    )
    c = make.client_for(app, make.hr(agency))
    resp = c.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit", "tie_break": ""})
    assert resp.status_code == 409
    body = page_text(resp)
    assert "1 candidates have no Part B score" in body
    assert "1 candidates have no Part C score" in body  # a3 waits for Part B first


def test_approval_and_publication_check_the_gates_again(app, db, make):
    agency, round_, (a1, a2) = scored_round(db, make, [(150, 150, 80), (150, 160, 70)])
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    # A score corrected after the draft was prepared: the draft no longer shows it.
    recording.correct_stage_score(a1, "part_c", 90, actor=officer, reason="panel sheet misread")
    resp = make.client_for(app, approver).post(
        f"/hr/lists/{ml.id}/approve",
        data={"confirm": "yes", "approve-changes_seen": "y"},
        follow_redirects=True,
    )
    assert "scores were entered or corrected after this version was prepared" in page_text(resp)
    db.session.expire_all()
    assert ml.status == "draft"


# ---- provenance: a correction reaches the approver and the canonical content ---------------


def test_a_correction_shows_on_the_approvers_page_and_in_the_canonical_content(app, db, make):
    agency, round_, (a1, a2) = scored_round(db, make, [(150, 150, 55), (150, 160, 70)])
    officer, approver, _other = team(make, agency)
    # The panel's finalized Part C of a1 (55): plain entry cannot replace it.
    db.session.execute(
        update(StageScore)
        .where(StageScore.application_id == a1.id, StageScore.stage_kind == "part_c")
        .values(source="interview", source_ref="interview:7")
    )
    db.session.commit()
    c = make.client_for(app, officer)
    refused = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={"stage_kind": "part_c", "application_number": a1.number, "score": "100"},
    )
    assert refused.status_code == 422 and "(Interview panel)" in page_text(refused)
    c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={
            "stage_kind": "part_c",
            "application_number": a1.number,
            "score": "100",
            "reason": "appeal upheld by the committee",
        },
    )
    ml = generation.generate_list(round_, officer)

    page = page_text(make.client_for(app, approver).get(f"/hr/lists/{ml.id}"))
    assert "correction of a score from Interview panel" in page
    assert "55.00 → 100.00" in page and "appeal upheld by the committee" in page
    assert officer.display_name("en") in page
    with_no_tick = make.client_for(app, approver).post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"})
    assert with_no_tick.status_code == 422
    workflow.approve(ml, approver, changes_seen=True)
    seen = (
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "merit_list.approve"))
        .one()
        .after["manual_changes_seen"]
    )
    assert {
        "application": a1.number,
        "stage": "part_c",
        "kind": "correction",
        "before": "55.00",
        "after": "100.00",
    }.items() <= next(s for s in seen if s["kind"] == "correction").items()
    workflow.publish(ml, officer)

    content = json.loads(digest.canonical_content(ml))
    assert content["format"] == "bma-recruit/merit-list/2"
    first = next(e for e in content["entries"] if e["application_number"] == a1.number)
    fix = db.session.scalars(select(ScoreCorrection)).one()
    assert first["scores"]["part_c"] == "100.00"
    assert first["sources"]["part_c"] == f"correction:correction:{fix.id}"
    assert fix.source_before == "interview" and fix.source_ref_before == "interview:7"
    assert digest.content_matches(ml)


def test_a_list_of_format_1_still_verifies(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    ml.content_format = "bma-recruit/merit-list/1"  # as lists published before sources
    db.session.commit()
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, officer)
    content = json.loads(digest.canonical_content(ml))
    assert content["format"] == "bma-recruit/merit-list/1"
    assert "sources" not in content["entries"][0] and digest.content_matches(ml)


# ---- withdrawal ---------------------------------------------------------------------------


def test_withdrawal_by_two_people_withdraws_open_offers_and_keeps_appointments(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 160, 70), (150, 170, 60)])
    officer, approver, other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, officer)
    called = offers.call_next(ml, officer, 2, position_id=round_.position_id)
    accepted, pending = called
    accepted.status = OfferStatus.ACCEPTED
    accepted.entry.status = "appointed"
    db.session.commit()

    c = make.client_for(app, approver)
    assert (
        c.post(f"/hr/lists/{ml.id}/withdraw", data={"confirm": "yes", "withdraw-reason": " "}).status_code
        == 422
    )
    c.post(f"/hr/lists/{ml.id}/withdraw", data={"confirm": "yes", "withdraw-reason": "คะแนนภาค ข ผิดทั้งรอบ"})
    same = c.post(f"/hr/lists/{ml.id}/withdraw/confirm", data={"confirm": "yes"}, follow_redirects=True)
    assert "You requested this withdrawal, so you cannot confirm it" in page_text(same)
    # The database refuses it too.
    db.session.expire_all()
    assert ml.status == "published"
    make.client_for(app, other).post(f"/hr/lists/{ml.id}/withdraw/confirm", data={"confirm": "yes"})
    db.session.expire_all()
    assert ml.status == "cancelled" and ml.cancelled_by_id == other.id
    assert db.session.get(Offer, pending.id).status == OfferStatus.WITHDRAWN
    assert db.session.get(Offer, accepted.id).status == OfferStatus.ACCEPTED
    mail = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.dedupe_key == f"offer-withdrawn:{pending.id}")
    ).one()
    assert "คะแนนภาค ข ผิดทั้งรอบ" in mail.body_text
    public = make.client_for(app)
    body = page_text(public.get(f"/verify/list/{ml.digest}"))
    assert "withdrawn on" in body and "คะแนนภาค ข ผิดทั้งรอบ" in body
    assert "This list was withdrawn on" in page_text(public.get(f"/lists/{ml.id}"))
    assert digest.content_matches(ml)
    assert audit_count(db, "offer.withdraw") == 1
    anchors = db.session.scalars(select(AuditAnchor).where(AuditAnchor.object_id == str(ml.id))).all()
    assert [a.reason for a in anchors] == ["merit_list.publish", "merit_list.withdraw"]


def test_the_database_refuses_a_withdrawal_confirmed_by_its_requester(app, db, make):
    import pytest
    from sqlalchemy.exc import IntegrityError

    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(MeritList)
            .where(MeritList.id == ml.id)
            .values(withdrawal_requested_by_id=approver.id, cancelled_by_id=approver.id)
        )
        db.session.flush()
    db.session.rollback()


# ---- audit anchoring ----------------------------------------------------------------------


def _drop_audit_triggers(db):
    """The attacker with database rights: the append-only triggers are gone (tests build the
    schema with create_all, which has none; on a migrated database they would be dropped)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
    else:
        for verb in ("update", "delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}"))


def _some_entries(db, make, n=5):
    agency = make.agency()
    for _i in range(n):
        make.hr(agency)
    from app.audit.services import record

    for i in range(n):
        record("test.step", object_type="test", object_id=i, after={"i": i})
    db.session.commit()


def test_verify_catches_a_deleted_tail_after_an_anchor(app, db, make):
    _some_entries(db, make)
    found = anchor("test")
    db.session.commit()
    assert verify_chain().ok and verify_chain().anchors_checked == 1
    _drop_audit_triggers(db)
    db.session.execute(delete(AuditEntry).where(AuditEntry.seq > found.seq - 2))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.anchor.id == found.id
    assert f"anchor #{found.id}" in report.reason and "were deleted" in report.reason
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "audit chain truncated" in result.output


def test_verify_catches_a_rehashed_edit_before_an_anchor(app, db, make):
    _some_entries(db, make)
    found = anchor("test")
    db.session.commit()
    _drop_audit_triggers(db)
    # Rewrite entry 2 and recompute every hash after it: the chain alone looks intact.
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    entries[1].after = {"i": 999}
    prev = entries[0].hash
    for e in entries[1:]:
        e.prev_hash = prev
        e.hash = _digest(e)
        prev = e.hash
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.first_broken.seq == found.seq
    assert "differs from anchor" in report.reason
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and f"seq={found.seq}" in result.output


def test_flask_audit_anchor_records_the_head(app, db, make):
    _some_entries(db, make, 3)
    result = app.test_cli_runner().invoke(args=["audit", "anchor", "--reason", "nightly"])
    assert result.exit_code == 0, result.output
    a = db.session.scalars(select(AuditAnchor)).one()
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (a.seq, a.hash, a.reason) == (last.seq, last.hash, "nightly")
    assert f"seq={a.seq} hash={a.hash}" in result.output
    ok = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "1 anchors matched" in ok.output
