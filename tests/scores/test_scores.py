"""Stage scores as HR records them: by hand, from a CSV file, and pulled from the online Part A
test (or a valid Part A certificate); what is stored and audited, and what is refused."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.applications.models import ApplicationStatus
from app.audit.models import AuditEntry
from app.common.clock import now
from app.common.errors import NotAllowed, ValidationFailed
from app.exams.models import Certificate
from app.recruitment.models import Mode
from app.scores import csv_import, part_a, recording, results
from app.scores.models import ScoreCorrection, StageScore
from tests.factories.applications import approved_application, round_with_applicants
from tests.factories.exams import exam_attempt
from tests.support.reading import audit_count, page_text

# ---- helpers (also used by test_merit_lists.py) ------------------------------------------


# ---- entering one score ------------------------------------------------------------------


def test_hr_enters_and_corrects_a_part_b_score_on_the_scores_page(app, db, make):
    agency, round_, (a1, a2, _a3) = round_with_applicants(db, make)
    hr = make.hr(agency)
    c = make.client_for(app, hr)

    page = c.get(f"/hr/rounds/{round_.id}/scores?stage=part_b")
    assert page.status_code == 200
    body = page_text(page)
    assert "Stage scores" in body and a1.number in body and "No score yet" in body

    resp = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={
            "stage_kind": "part_b",
            "application_number": a1.number,
            "score": "150",
            "note": "paper Part B",
        },
        follow_redirects=True,
    )
    body = page_text(resp)
    assert resp.status_code == 200
    assert f"Score of {a1.number} recorded: 150.00 / 200.00 (pass)" in body
    row = results.scores_of(a1)["part_b"]
    assert (row.score, row.max_score, row.passed, row.source, row.entered_by_id) == (
        Decimal("150.00"),
        Decimal("200.00"),
        True,
        "hr_entry",
        hr.id,
    )

    # Typing another score over it is refused, saying why: a recorded score changes only by a
    # correction with a reason.
    refused = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={"stage_kind": "part_b", "application_number": a1.number, "score": "119.99"},
    )
    assert refused.status_code == 422
    assert (
        f"Application {a1.number} already has a score at this stage: 150.00 (Entered by HR). "
        "It cannot be overwritten; changing it is a correction, with the reason." in page_text(refused)
    )
    db.session.expire_all()
    assert results.scores_of(a1)["part_b"].score == Decimal("150.00")

    # Correct it below the pass mark (60% of 200 = 120), with the reason: before and after kept.
    resp = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={
            "stage_kind": "part_b",
            "application_number": a1.number,
            "score": "119.99",
            "reason": "page 3 counted twice",
        },
        follow_redirects=True,
    )
    assert f"Score of {a1.number} corrected: 150.00 → 119.99." in page_text(resp)
    db.session.expire_all()
    row = results.scores_of(a1)["part_b"]
    assert row.score == Decimal("119.99") and row.passed is False
    assert row.source == "correction" and row.note == "page 3 counted twice"
    fix = db.session.scalars(select(ScoreCorrection)).one()
    assert (fix.score_before, fix.score_after, fix.source_before, fix.reason, fix.corrected_by_id) == (
        Decimal("150.00"),
        Decimal("119.99"),
        "hr_entry",
        "page 3 counted twice",
        hr.id,
    )
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "stage_score.correct").order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.before["score"] == "150.00" and entry.after["score"] == "119.99"
    assert entry.after["reason"] == "page 3 counted twice" and entry.actor_id == hr.id
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 1

    # Exactly the pass mark passes.
    recording.record_stage_score(a2, "part_b", "120", source="hr_entry", actor=hr)
    assert results.scores_of(a2)["part_b"].passed is True
    # Recording the same value again writes no new audit entry.
    before = audit_count(db, "stage_score.record")
    recording.record_stage_score(a2, "part_b", Decimal("120.00"), source="hr_entry", actor=hr)
    assert audit_count(db, "stage_score.record") == before


def test_losing_the_race_to_insert_a_score_keeps_the_callers_pending_changes(app, db, make, monkeypatch):
    """Another request commits the same score between our read and our insert: the retry runs
    after a rollback to a savepoint, so what the caller changed before calling still commits."""
    from sqlalchemy.orm import Session

    agency, round_, (a1, *_rest) = round_with_applicants(db, make)
    hr = make.hr(agency)
    with Session(db.engine) as elsewhere:  # the other request's score, committed first
        elsewhere.add(
            StageScore(
                application_id=a1.id,
                stage_kind="part_c",
                score=Decimal("70"),
                max_score=Decimal("100"),
                passed=True,
                source="interview",
            )
        )
        elsewhere.commit()
    real_put = recording.put_score
    attempts = []

    def put_that_read_too_early(application, stage_kind, *args, **kwargs):
        attempts.append(stage_kind)
        if len(attempts) == 1:  # our read missed that row: insert it again, as a race would
            db.session.add(
                StageScore(
                    application_id=application.id,
                    stage_kind=stage_kind,
                    score=Decimal("1"),
                    max_score=Decimal("100"),
                    source="hr_entry",
                )
            )
            db.session.flush()
        return real_put(application, stage_kind, *args, **kwargs)

    monkeypatch.setattr(recording, "put_score", put_that_read_too_early)
    agency.name_en = "Renamed District Office"  # the caller's own change, not yet flushed
    row = recording.record_stage_score(a1, "part_c", "85", source="interview", actor=hr)

    assert len(attempts) == 2
    row_id, agency_id, app_id = row.id, agency.id, a1.id
    db.session.remove()
    from app.agencies.models import Agency

    assert db.session.get(Agency, agency_id).name_en == "Renamed District Office"
    stored = db.session.scalars(select(StageScore).where(StageScore.application_id == app_id)).all()
    assert [(s.id, s.stage_kind, s.score, s.source) for s in stored] == [
        (row_id, "part_c", Decimal("85.00"), "interview")
    ]
    assert audit_count(db, "stage_score.record") == 1


def test_a_wrong_score_is_refused_next_to_the_field(app, db, make):
    agency, round_, (a1, *_rest) = round_with_applicants(db, make)
    c = make.client_for(app, make.hr(agency))
    over = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={"stage_kind": "part_c", "application_number": a1.number, "score": "101"},
    )
    assert over.status_code == 422
    assert "The score must be between 0 and 100.00." in page_text(over)
    text = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={"stage_kind": "part_c", "application_number": a1.number, "score": "eighty"},
    )
    assert text.status_code == 422 and "The score must be a number" in page_text(text)
    unknown = c.post(
        f"/hr/rounds/{round_.id}/scores",
        data={"stage_kind": "part_c", "application_number": "NOPE-1", "score": "80"},
    )
    assert unknown.status_code == 422
    assert "No application NOPE-1 in this round." in page_text(unknown)
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 0


def test_the_service_refuses_stages_the_round_lacks_and_unapproved_applications(app, db, make):
    agency, round_, (a1,) = round_with_applicants(db, make, n=1, mode=Mode.SELECTION_EXAM)
    with pytest.raises(ValidationFailed, match="no stage part_a"):
        recording.record_stage_score(a1, "part_a", 10, source="hr_entry")
    with pytest.raises(ValidationFailed, match="between 0 and"):
        recording.record_stage_score(a1, "part_b", -1, source="hr_entry")
    with pytest.raises(ValidationFailed, match="Unknown score source"):
        recording.record_stage_score(a1, "part_b", 10, source="guess")
    pending = approved_application(db, make, round_, status=ApplicationStatus.SUBMITTED)
    with pytest.raises(NotAllowed, match="not approved"):
        recording.record_stage_score(pending, "part_b", 10, source="hr_entry")
    recording.record_stage_score(a1, "part_b", 130, source="hr_entry")
    assert results.passed_all(a1, ["part_b"]) is True
    assert results.passed_all(a1) is False  # no Part C yet
    recording.record_stage_score(a1, "part_c", 59, source="interview", source_ref="panel:1")
    assert results.passed_all(a1) is False  # 59 < 60
    recording.record_stage_score(a1, "part_c", 60, source="interview", source_ref="panel:1")
    assert results.passed_all(a1) is True
    assert set(results.scores_of(a1)) == {"part_b", "part_c"}


def test_only_hr_of_the_rounds_agency_sees_and_enters_scores(app, db, make):
    agency, round_, (a1, *_rest) = round_with_applicants(db, make)
    other_hr = make.hr(make.agency())
    c = make.client_for(app, other_hr)
    assert c.get(f"/hr/rounds/{round_.id}/scores").status_code == 403
    assert (
        c.post(
            f"/hr/rounds/{round_.id}/scores",
            data={"stage_kind": "part_b", "application_number": a1.number, "score": "150"},
        ).status_code
        == 403
    )
    cand = make.client_for(app, a1.candidate)
    assert cand.get(f"/hr/rounds/{round_.id}/scores").status_code == 403
    assert make.client_for(app).get(f"/hr/rounds/{round_.id}/scores").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 0


# ---- CSV import --------------------------------------------------------------------------


def upload(c, round_, stage, text: str, name="scores.csv"):
    return c.post(
        f"/hr/rounds/{round_.id}/scores/import",
        data={"stage_kind": stage, "file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_hr_imports_a_csv_of_scores_all_or_nothing(app, db, make):
    agency, round_, (a1, a2, a3) = round_with_applicants(db, make)
    hr = make.hr(agency)
    c = make.client_for(app, hr)

    bad = upload(
        c,
        round_,
        "part_b",
        "application_number,score\n"
        f"{a1.number},150\n"
        f"{a2.number},abc\n"
        "R9-2569-00009,100\n"
        f"{a3.number},250\n"
        f"{a1.number},140\n",
    )
    body = page_text(bad)
    assert bad.status_code == 422
    assert "Nothing was imported." in body
    assert "Line 3, column score: The score must be a number" in body
    assert "Line 4, column application_number: no application R9-2569-00009 in this round." in body
    assert "Line 5, column score: The score must be between 0 and 200.00." in body
    assert f"Line 6, column application_number: {a1.number} already appears on line 2." in body
    assert db.session.scalar(select(func.count()).select_from(StageScore)) == 0  # not even line 2

    header = upload(c, round_, "part_b", "number;points\n1;2\n")
    assert header.status_code == 422 and "missing: application_number, score" in page_text(header)

    # A spreadsheet's "CSV UTF-8" starts with a byte order mark; a note column is optional.
    good = upload(
        c,
        round_,
        "part_b",
        "\ufeffapplication_number,score,note\n"
        f"{a1.number},150,\n{a2.number}, 99.5 ,absent half the paper\n\n",
    )
    assert "2 scores imported: 2 new, 0 changed, 0 unchanged." in page_text(good)
    got = {s.application_id: s for s in db.session.scalars(select(StageScore))}
    assert got[a1.id].score == Decimal("150.00") and got[a1.id].source == "import"
    assert got[a2.id].passed is False and got[a2.id].note == "absent half the paper"
    assert got[a1.id].source_ref.startswith("csv:")
    assert audit_count(db, "stage_score.import") == 1
    assert audit_count(db, "stage_score.record") == 2

    again = upload(c, round_, "part_b", f"application_number,score\n{a1.number},150\n{a2.number},121\n")
    # The same score again is no change; another score for a recorded one is refused, and
    # nothing of the file is imported.
    assert "Nothing was imported." in page_text(again)
    assert (
        f"Line 3, column score: Application {a2.number} already has a score at this "
        "stage: 99.50 (CSV import)." in page_text(again)
    )
    assert results.scores_of(a2)["part_b"].score == Decimal("99.50")
    same = upload(c, round_, "part_b", f"application_number,score\n{a1.number},150\n")
    assert "1 scores imported: 0 new, 0 changed, 1 unchanged." in page_text(same)


def test_an_import_for_a_stage_the_round_lacks_is_refused(app, db, make):
    agency, round_, (a1,) = round_with_applicants(db, make, n=1, mode=Mode.SELECTION_EXAM)
    with pytest.raises(ValidationFailed, match="no stage part_a"):
        csv_import.import_scores_csv(
            round_, "part_a", f"application_number,score\n{a1.number},1\n", make.hr(agency)
        )


# ---- Part A from the online test ---------------------------------------------------------


def test_hr_pulls_part_a_from_the_online_test_and_certificates(app, db, make):
    agency, round_, (sat, holder, manual, absent) = round_with_applicants(db, make, n=4)
    hr = make.hr(agency)
    # One sat this round's online test: 30 of 40 → 150 of 200.
    attempt = exam_attempt(db, make, sat.candidate, round_=round_, application=sat)
    # One holds a Part A certificate from an earlier sitting (no round), valid at closing.
    old = exam_attempt(db, make, holder.candidate, score="36", agency=agency)
    cert = Certificate(
        code="ABCD-EFGH-JKLM",
        attempt_id=old.id,
        candidate_id=holder.candidate_id,
        issued_at=now() - timedelta(days=30),
        valid_until=now() + timedelta(days=700),
    )
    db.session.add(cert)
    db.session.commit()
    # One has a score HR typed (a paper Part A elsewhere): it is kept.
    recording.record_stage_score(manual, "part_a", 130, source="hr_entry", actor=hr)
    exam_attempt(db, make, manual.candidate, round_=round_, score="10")

    c = make.client_for(app, hr)
    page = c.get(f"/hr/rounds/{round_.id}/scores?stage=part_a")
    assert "Pull Part A from the online test" in page_text(page)
    resp = c.post(f"/hr/rounds/{round_.id}/scores/sync-part-a", follow_redirects=True)
    body = page_text(resp)
    assert "Part A pulled from the online test: 2 new, 0 changed, 0 unchanged." in body
    assert f"1 scores entered by HR were kept as they are: {manual.number}." in body
    assert f"neither a submitted test nor a valid Part A certificate: {absent.number}." in body

    got = {
        s.application_id: s
        for s in db.session.scalars(select(StageScore).where(StageScore.stage_kind == "part_a"))
    }
    assert (got[sat.id].score, got[sat.id].source, got[sat.id].source_ref, got[sat.id].passed) == (
        Decimal("150.00"),
        "exam",
        f"attempt:{attempt.id}",
        True,
    )
    assert (got[holder.id].score, got[holder.id].source, got[holder.id].passed) == (
        Decimal("180.00"),
        "certificate",
        True,
    )
    assert got[holder.id].source_ref == "certificate:ABCD-EFGH-JKLM"
    assert got[manual.id].score == Decimal("130.00") and got[manual.id].source == "hr_entry"
    assert absent.id not in got
    assert audit_count(db, "stage_score.sync_part_a") == 1

    # Pulling again changes nothing.
    again = part_a.sync_part_a_from_exams(round_, hr)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # The page shows where each score came from.
    body = page_text(c.get(f"/hr/rounds/{round_.id}/scores?stage=part_a"))
    assert "Online test" in body and "Part A certificate" in body and "Entered by HR" in body


def test_pulling_part_a_in_a_round_without_part_a_is_refused(app, db, make):
    agency, round_, _apps = round_with_applicants(db, make, n=1, mode=Mode.SELECTION)
    c = make.client_for(app, make.hr(agency))
    resp = c.post(f"/hr/rounds/{round_.id}/scores/sync-part-a", follow_redirects=True)
    assert "This round has no Part A stage." in page_text(resp)
    assert "Pull Part A" not in page_text(c.get(f"/hr/rounds/{round_.id}/scores"))
