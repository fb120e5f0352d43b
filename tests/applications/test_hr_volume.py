"""HR at volume: a round of 5,000 applications searched, filtered, paged and approved in bulk
(with a confirmation naming how many, one audit entry per application, refusals reported)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from app.applications.models import Application, ApplicationStatus
from app.audit.models import AuditEntry
from app.recruitment.models import Mode
from tests.factories.applications import many_applications


def text_of(resp) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", resp.get_data(as_text=True)))


def row_numbers(resp) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/applications/\d+">([^<]+)</a>', resp.get_data(as_text=True))


def approvals(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "application.approve")
    )


@pytest.fixture
def volume(app, db, make):
    """A round with 5,000 applications awaiting review, bulk-inserted; its HR logged in."""
    agency = make.agency()
    round_ = make.round_(agency)
    names = lambda i: ("สมชาย" if i % 10 == 0 else "ผู้สมัคร", f"ลำดับ{i + 1}")  # noqa: E731
    ids = many_applications(round_, 5000, names=names)
    hr = make.hr(agency)
    return round_, ids, make.client_for(app, hr), hr


def test_5000_applications_are_paged_searched_and_approved_in_bulk(app, db, make, volume):
    round_, ids, c, hr = volume
    url = f"/hr/rounds/{round_.id}/applications"

    first = c.get(url)
    assert first.status_code == 200
    assert "5000 applications" in text_of(first)
    assert len(row_numbers(first)) == app.config["HR_LIST_PER_PAGE"]
    assert row_numbers(first)[0] == f"{round_.code}-00001"
    assert "Showing 1–50 of 5,000" in text_of(first)

    last = c.get(url, query_string={"page": 100})
    assert row_numbers(last)[-1] == f"{round_.code}-05000"
    assert c.get(url, query_string={"page": 101}).status_code == 200  # past the end: empty, no error

    # Search by name: every tenth applicant is สมชาย.
    found = c.get(url, query_string={"q": "สมชาย"})
    assert "500 applications" in text_of(found)
    # By application number, and by national ID written with dashes.
    assert row_numbers(c.get(url, query_string={"q": f"{round_.code}-04321"})) == [f"{round_.code}-04321"]
    target = db.session.get(Application, ids[1234])
    nid = target.candidate.national_id
    dashed = f"{nid[0]}-{nid[1:5]}-{nid[5:10]}-{nid[10:12]}-{nid[12]}"
    assert row_numbers(c.get(url, query_string={"q": dashed})) == [target.number]

    # Bulk approval of the filtered set: first a confirmation naming how many, nothing approved.
    before = approvals(db)
    confirm = c.post(f"{url}/approve", data={"scope": "matching", "q": "สมชาย"})
    assert confirm.status_code == 200
    assert "Approve 500 applications?" in text_of(confirm)
    assert approvals(db) == before
    up_to = re.search(r'name="up_to_id" value="(\d+)"', confirm.get_data(as_text=True)).group(1)

    done = c.post(
        f"{url}/approve",
        data={
            "scope": "matching",
            "q": "สมชาย",
            "confirmed": "yes",
            "up_to_id": up_to,
        },
    )
    assert done.status_code == 200
    assert "500 applications approved." in text_of(done)
    assert approvals(db) == before + 500
    approved = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.status == ApplicationStatus.APPROVED)
    )
    assert approved == 500
    # Each approval is its own audit entry, by this HR user, marked as a bulk approval.
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "application.approve").order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.actor_id == hr.id and entry.after["how"] == "bulk" and entry.after["status"] == "approved"

    # The list now shows them approved; the status filter finds them.
    approved_page = c.get(url, query_string={"status": "approved"})
    assert "500 applications" in text_of(approved_page)


def test_bulk_approval_of_ticked_applications_reports_each_refusal(app, db, make):
    agency = make.agency()
    round_ = make.round_(agency)
    ids = many_applications(round_, 4)
    withdrawn = db.session.get(Application, ids[2])
    withdrawn.status = ApplicationStatus.WITHDRAWN
    other_round = make.round_(make.agency())
    stranger = make.application(other_round, status=ApplicationStatus.SUBMITTED)
    db.session.commit()
    c = make.client_for(app, make.hr(agency), lang="th")
    url = f"/hr/rounds/{round_.id}/applications"
    picked = [ids[0], ids[1], ids[2], stranger.id]

    confirm = c.post(f"{url}/approve", data={"scope": "selected", "ids": picked})
    assert "อนุมัติใบสมัคร 4 รายการหรือไม่" in text_of(confirm)
    done = c.post(
        f"{url}/approve",
        data={"scope": "selected", "ids": picked, "confirmed": "yes"},
    )
    body = text_of(done)
    assert "อนุมัติแล้ว 2 รายการ" in body
    assert withdrawn.number in body and stranger.number in body  # each refusal, by number, with why
    db.session.expire_all()
    statuses = {a.id: a.status for a in db.session.scalars(select(Application))}
    assert statuses[ids[0]] == statuses[ids[1]] == ApplicationStatus.APPROVED
    assert statuses[ids[2]] == ApplicationStatus.WITHDRAWN
    assert statuses[stranger.id] == ApplicationStatus.SUBMITTED
    assert statuses[ids[3]] == ApplicationStatus.SUBMITTED


def test_nothing_ticked_approves_nothing(app, db, make):
    agency = make.agency()
    round_ = make.round_(agency)
    many_applications(round_, 3)
    c = make.client_for(app, make.hr(agency))
    url = f"/hr/rounds/{round_.id}/applications"
    resp = c.post(f"{url}/approve", data={"scope": "selected"})
    assert resp.status_code == 302
    assert "Tick the applications to approve first." in text_of(c.get(url))
    assert approvals(db) == 0


def test_the_agency_list_filters_by_track_and_position(app, db, make):
    agency = make.agency()
    general = make.round_(agency, mode=Mode.COMPETITIVE_EXAM)
    disability = make.round_(agency, mode=Mode.DISABILITY, requires_disability_registration=True)
    many_applications(general, 3)
    many_applications(disability, 2)
    make.application(make.round_(make.agency()), status=ApplicationStatus.SUBMITTED)  # another agency's
    c = make.client_for(app, make.hr(agency))

    everything = c.get("/hr/applications")
    assert "5 applications" in text_of(everything)
    by_track = c.get("/hr/applications", query_string={"track": "disability"})
    assert sorted(row_numbers(by_track)) == [f"{disability.code}-00001", f"{disability.code}-00002"]
    by_position = c.get("/hr/applications", query_string={"position": general.position_id})
    assert len(row_numbers(by_position)) == 3
