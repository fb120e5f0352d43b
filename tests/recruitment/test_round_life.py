"""The life of a round in HR's hands: editing a draft, opening it (criteria freeze), refused
transitions and windows, HR's round list, and who may not use HR's pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.applications.models import Application
from app.audit.models import AuditEntry
from app.audit.services import entries_for
from app.recruitment.models import Round, RoundStatus
from tests.support.round_forms import NOW, audit_actions, hr_setup, round_form

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


def test_hr_edits_a_draft_opens_it_and_criteria_freeze(client, make, db):
    agency, hr, pos = hr_setup(make)
    make.login(client, hr)
    client.post("/hr/rounds/new", data=round_form(pos, code="LIFE-01"))
    r = db.session.scalar(select(Round).where(Round.code == "LIFE-01"))
    rid = r.id

    # the edit form shows the stored values in Bangkok time
    form_page = client.get(f"/hr/rounds/{rid}/edit").text
    assert 'value="2026-06-10T09:00"' in form_page and 'value="LIFE-01"' in form_page

    edited = round_form(
        pos,
        code="LIFE-01",
        title_en="Edited title",
        min_gpa="2.75",
        vacancies="8",
        closes_at="2026-07-15T16:30",
    )
    resp = client.post(f"/hr/rounds/{rid}/edit", data=edited, follow_redirects=True)
    assert resp.status_code == 200 and "The round LIFE-01 has been saved." in resp.text
    db.session.expire_all()
    r = db.session.get(Round, rid)
    assert (r.title_en, r.min_gpa, r.vacancies) == ("Edited title", Decimal("2.75"), 8)
    assert r.closes_at == datetime(2026, 7, 15, 9, 30, tzinfo=UTC)
    update = entries_for("rounds", rid)[-1]
    assert update.action == "round.update"
    assert update.before["title_en"] == "Test announcement"
    assert update.after["title_en"] == "Edited title"

    # open it: first the confirmation, saying the criteria freeze; nothing changes yet
    asked = client.post(f"/hr/rounds/{rid}/status", data={"status": "open", "note": "Announcement signed"})
    assert asked.status_code == 200 and "frozen for good" in asked.text
    assert 'name="note" value="Announcement signed"' in asked.text  # sent again on "yes"
    db.session.expire_all()
    assert db.session.get(Round, rid).status == RoundStatus.DRAFT
    resp = client.post(
        f"/hr/rounds/{rid}/status",
        data={"status": "open", "note": "Announcement signed", "confirm": "yes"},
        follow_redirects=True,
    )
    assert "The round is now open." in resp.text
    db.session.expire_all()
    assert db.session.get(Round, rid).status == RoundStatus.OPEN
    opened = entries_for("rounds", rid)[-1]
    assert opened.before == {"status": "draft"}
    assert opened.after == {"status": "open", "reason": "Announcement signed"}
    assert opened.actor_id == hr.id

    # once open, the criteria cannot change
    entries_before = len(entries_for("rounds", rid))
    frozen = client.post(
        f"/hr/rounds/{rid}/edit", data=round_form(pos, code="LIFE-01", title_en="Sneaky", min_gpa="3.50")
    )
    assert frozen.status_code == 409
    assert "criteria are frozen once open" in frozen.text
    db.session.expire_all()
    r = db.session.get(Round, rid)
    assert (r.title_en, r.min_gpa) == ("Edited title", Decimal("2.75"))
    assert len(entries_for("rounds", rid)) == entries_before
    shown = client.get(f"/hr/rounds/{rid}/edit", follow_redirects=True)
    assert "criteria are frozen once open" in shown.text
    assert "Edit the round" not in shown.text

    # the closing date can still move, with a reason
    moved = client.post(
        f"/hr/rounds/{rid}/window",
        data={"closes_at": "2026-07-31T16:30", "reason": "Few applicants"},
        follow_redirects=True,
    )
    assert "The closing date has been moved." in moved.text
    db.session.expire_all()
    assert db.session.get(Round, rid).closes_at == datetime(2026, 7, 31, 9, 30, tzinfo=UTC)
    window = entries_for("rounds", rid)[-1]
    assert window.action == "round.window" and window.after["reason"] == "Few applicants"
    no_reason = client.post(f"/hr/rounds/{rid}/window", data={"closes_at": "2026-08-31T16:30", "reason": ""})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.text
    before_opening = client.post(
        f"/hr/rounds/{rid}/window", data={"closes_at": "2026-06-01T09:00", "reason": "Oops"}
    )
    assert before_opening.status_code == 422
    assert "Applications must close after they open." in before_opening.text

    # close, start, complete
    for status, words in (("closed", "closed"), ("in_progress", "in progress"), ("completed", "completed")):
        resp = client.post(
            f"/hr/rounds/{rid}/status", data={"status": status, "confirm": "yes"}, follow_redirects=True
        )
        assert f"The round is now {words}." in resp.text
        db.session.expire_all()
        assert db.session.get(Round, rid).status == status
    assert audit_actions(rid) == [
        "round.create",
        "round.update",
        "round.status",
        "round.window",
        "round.status",
        "round.status",
        "round.status",
    ]
    done = client.get(f"/hr/rounds/{rid}").text
    assert "Change the status" not in done and "Move the closing date" not in done


def test_illegal_transitions_are_refused(client, make, db):
    agency, hr, _ = hr_setup(make)
    draft = make.round_(agency, status=RoundStatus.DRAFT)
    done = make.round_(agency, status=RoundStatus.COMPLETED)
    make.login(client, hr)
    resp = client.post(f"/hr/rounds/{draft.id}/status", data={"status": "completed"})
    assert resp.status_code == 409
    assert "A round that is draft cannot become completed." in resp.text
    resp = client.post(f"/hr/rounds/{done.id}/status", data={"status": "open"})
    assert resp.status_code == 409
    assert "A round that is completed cannot become open." in resp.text
    resp = client.post(f"/hr/rounds/{draft.id}/status", data={"status": "party"})
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Round, draft.id).status == RoundStatus.DRAFT
    assert db.session.get(Round, done.id).status == RoundStatus.COMPLETED
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_a_round_whose_window_ended_cannot_open_until_the_date_moves(client, make, db):
    agency, hr, _ = hr_setup(make)
    late = make.round_(
        agency,
        status=RoundStatus.CLOSED,
        opens_at=NOW - timedelta(days=30),
        closes_at=NOW - timedelta(days=1),
    )
    make.login(client, hr)
    page = client.get(f"/hr/rounds/{late.id}").text
    assert "Reopen applications" in page and "Start the selection" in page
    resp = client.post(f"/hr/rounds/{late.id}/status", data={"status": "open"})
    assert resp.status_code == 409 and "move its end date first" in resp.text
    client.post(
        f"/hr/rounds/{late.id}/window", data={"closes_at": "2026-06-20T16:30", "reason": "Reopened by order"}
    )
    resp = client.post(f"/hr/rounds/{late.id}/status", data={"status": "open"}, follow_redirects=True)
    assert "The round is now open." in resp.text
    assert "Accepting applications" in client.get(f"/rounds/{late.id}").text
    # an open round cannot be given a closing date in the past: closing it is the way
    past = client.post(
        f"/hr/rounds/{late.id}/window", data={"closes_at": "2026-05-31T09:00", "reason": "Stop now"}
    )
    assert past.status_code == 422
    assert "An open round must close in the future; to stop applications now, close the round." in past.text
    db.session.expire_all()
    assert db.session.get(Round, late.id).closes_at == datetime(2026, 6, 20, 9, 30, tzinfo=UTC)


def test_hr_round_list_shows_only_its_agency_with_application_counts(client, make, db):
    agency, hr, _ = hr_setup(make)
    mine = make.round_(agency, code="MINE-01")
    make.round_(agency, code="MINE-02", status=RoundStatus.DRAFT)
    make.round_(make.agency(), code="THEIRS-01")
    for i, status in enumerate(["submitted", "submitted", "approved", "withdrawn"]):
        cand = make.candidate()
        db.session.add(
            Application(number=f"MINE-01-{i:05d}", round_id=mine.id, candidate_id=cand.id, status=status)
        )
    db.session.commit()
    make.login(client, hr)
    text = client.get("/hr/rounds").text
    assert "MINE-01" in text and "MINE-02" in text and "THEIRS-01" not in text
    assert "Submitted: 2" in text and "Approved: 1" in text and "Withdrawn: 1" in text
    page = client.get(f"/hr/rounds/{mine.id}").text
    assert f'href="/hr/rounds/{mine.id}/applications"' in page and "Applications (4)" in page


def test_hr_of_another_agency_is_refused(client, make, db):
    agency, _, pos = hr_setup(make)
    r = make.round_(agency, status=RoundStatus.DRAFT, code="OWN-01", position=pos)
    outsider = make.hr(make.agency(), approver=True)
    make.login(client, outsider)
    assert client.get(f"/hr/rounds/{r.id}").status_code == 403
    assert "This round belongs to another agency." in client.get(f"/hr/rounds/{r.id}").text
    assert client.get(f"/hr/rounds/{r.id}/edit").status_code == 403
    assert (
        client.post(
            f"/hr/rounds/{r.id}/edit", data=round_form(pos, code="OWN-01", title_en="Hijacked")
        ).status_code
        == 403
    )
    assert client.post(f"/hr/rounds/{r.id}/status", data={"status": "open"}).status_code == 403
    assert (
        client.post(
            f"/hr/rounds/{r.id}/window", data={"closes_at": "2026-09-01T09:00", "reason": "x"}
        ).status_code
        == 403
    )
    assert "OWN-01" not in client.get("/hr/rounds").text
    assert client.get(f"/rounds/{r.id}").status_code == 404  # no preview of others' drafts
    db.session.expire_all()
    r = db.session.get(Round, r.id)
    assert (r.status, r.title_en) == (RoundStatus.DRAFT, r.title_en)
    assert r.title_en != "Hijacked"
    assert audit_actions(r.id) == []


def test_candidates_and_anonymous_visitors_cannot_use_hr_pages(client, make):
    agency = make.agency()
    r = make.round_(agency)
    for url in ("/hr/rounds", "/hr/positions", "/hr/rounds/new", f"/hr/rounds/{r.id}"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/accounts/login" in resp.headers["Location"]
    make.login(client, make.candidate())
    for url in (
        "/hr/rounds",
        "/hr/positions",
        "/hr/rounds/new",
        f"/hr/rounds/{r.id}",
        f"/hr/rounds/{r.id}/edit",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/hr/rounds/{r.id}/status", data={"status": "closed"}).status_code == 403
    assert client.post("/hr/positions", data={"title_th": "x", "level": "y"}).status_code == 403
