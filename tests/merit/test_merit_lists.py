"""Result lists and the merit list: generation per track (the ranking rules themselves are in
test_merit_ranking.py), the two-person publishing workflow and its refusals, immutability,
corrections that supersede, the digest, validity, and the public pages (search, no national ID,
verification)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from app.applications.models import Application
from app.common import national_id as nid
from app.common.clock import BANGKOK, frozen_at, now, today_bangkok
from app.common.dates import add_years
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.common.thai import format_date
from app.exams.models import Sitting
from app.merit import digest, generation, public, services, workflow
from app.merit.models import EntryStatus, MeritEntry, MeritList
from app.recruitment.models import Mode
from app.scores import recording
from tests.factories.exams import exam_attempt
from tests.factories.merit import scored_round, team
from tests.support.reading import audit_count, page_text

# ---- helpers for the workflow ------------------------------------------------------------


def published_list(db, make, spec=((150, 150, 80), (150, 125, 70), (150, 170, 60)), **kw):
    agency, round_, apps = scored_round(db, make, spec, **kw)
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, officer)
    return ml, round_, apps, officer, approver


# ---- generating --------------------------------------------------------------------------


def test_loading_reads_scores_results_without_a_score_and_missing_results(app, db, make):
    _agency, round_, (a1, a2, a3) = scored_round(
        db, make, [(150, "150.25", 80), (100, 160, None), (None, None, None)]
    )
    recording.record_stage_score(a3, "part_a", None, source="certificate")  # passed, no score
    loaded = {c.ref: c for c in generation.load_candidates(round_)}
    assert set(loaded) == {(a.id, a.candidate_id) for a in (a1, a2, a3)}
    c1, c2, c3 = (loaded[(a.id, a.candidate_id)] for a in (a1, a2, a3))
    assert (c1.application_number, c1.track) == (a1.number, "general")
    assert c1.scores == {"part_a": Decimal("150.00"), "part_b": Decimal("150.25"), "part_c": Decimal("80.00")}
    assert str(c1.scores["part_b"]) == "150.25"
    assert c1.passed == {"part_a": True, "part_b": True, "part_c": True}
    assert c2.scores == {"part_a": Decimal("100.00"), "part_b": Decimal("160.00")}
    assert c2.passed == {"part_a": False, "part_b": True}  # Part A pass mark is 120
    assert (c3.scores, c3.passed) == ({"part_a": None}, {"part_a": True})


def test_entries_name_the_candidate_of_their_application(app, db, make):
    """merit_entries.candidate_id has no foreign key of its own (migration 0007): it is the
    application's candidate, copied when the list is made."""
    ml, _round, apps, _officer, _approver = published_list(db, make)
    pairs = db.session.execute(
        select(MeritEntry.candidate_id, Application.candidate_id)
        .join(Application, Application.id == MeritEntry.application_id)
        .where(MeritEntry.list_id == ml.id)
    ).all()
    assert len(pairs) == len(apps) and all(mine == theirs for mine, theirs in pairs)
    assert {e.candidate.id for e in ml.entries} == {a.candidate_id for a in apps}


def test_hr_prepares_the_merit_list_and_sees_why_each_candidate_sits_where(app, db, make):
    agency, round_, (a1, a2, a3, a4, a5) = scored_round(
        db,
        make,
        [
            (150, 150, 80),  # 230
            (150, 160, 70),  # 230, higher Part B: above a1
            (150, 170, 80),  # 250
            (100, 190, 90),  # failed Part A (pass 120): not listed
            (150, 150, 80),  # 230, same Part B as a1, later number
        ],
    )
    officer = make.hr(agency)
    c = make.client_for(app, officer)
    page = c.get(f"/hr/rounds/{round_.id}/lists")
    assert page.status_code == 200 and "Prepare a list" in page_text(page)
    assert "Default for this round: higher Part B score → earlier application number" in page_text(page)

    resp = c.post(
        f"/hr/rounds/{round_.id}/lists", data={"kind": "merit", "tie_break": ""}, follow_redirects=True
    )
    body = page_text(resp)
    assert resp.status_code == 200
    assert "Draft prepared" in body and "a second HR approver" in body
    ml = db.session.scalars(select(MeritList)).one()
    assert (ml.kind, ml.track, ml.version, ml.status, ml.prepared_by_id) == (
        "merit",
        "general",
        1,
        "draft",
        officer.id,
    )
    assert ml.ranking_parts == [{"stage": "part_b", "weight": "1.00"}, {"stage": "part_c", "weight": "1.00"}]
    assert ml.tie_break == ["part_b", "application_number"]
    rows = db.session.execute(
        select(
            MeritEntry.rank,
            MeritEntry.application_id,
            MeritEntry.total,
            MeritEntry.decided_by,
            MeritEntry.scores,
        )
        .where(MeritEntry.list_id == ml.id)
        .order_by(MeritEntry.rank)
    ).all()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, a3.id, Decimal("250.00"), "total"),
        (2, a2.id, Decimal("230.00"), "part_b"),
        (3, a1.id, Decimal("230.00"), "application_number"),
        (4, a5.id, Decimal("230.00"), ""),
    ]
    assert rows[0][4] == {"part_a": "150.00", "part_b": "170.00", "part_c": "80.00"}
    # The page says why in words.
    assert "higher total" in body and "higher Part B score" in body
    entries = body[body.index("Entries (") :]
    assert "earlier application number" in entries and a4.number not in entries
    assert audit_count(db, "merit_list.prepare") == 1

    # Preparing again re-makes the same draft (no new version).
    recording.correct_stage_score(a4, "part_a", 130, actor=officer, reason="misread the sheet")
    ml2 = generation.generate_list(round_, officer)
    assert ml2.id == ml.id and ml2.version == 1
    assert db.session.scalar(select(func.count()).select_from(MeritEntry)) == 5


def test_a_tie_break_chain_naming_no_stage_of_the_round_is_refused(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    c = make.client_for(app, make.hr(agency))
    resp = c.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit", "tie_break": "part_x, part_b"})
    assert resp.status_code == 422
    assert "The tie-break chain names part_x, which is not a stage of this round." in page_text(resp)
    ml = generation.generate_list(round_, make.hr(agency), tie_break="part_c,part_a")
    assert ml.tie_break == ["part_c", "part_a", "application_number"]


@pytest.mark.parametrize(
    "mode, track, spec",
    [
        (Mode.COMPETITIVE_EXAM, "general", [(150, 150, 80), (150, 160, 90)]),
        (Mode.SELECTION_EXAM, "general", [(150, 80), (160, 90)]),
        (Mode.DISABILITY, "disability", [(150, 80), (160, 90)]),
        (Mode.SHORTAGE, "shortage", [(80, 80), (90, 90)]),
    ],
)
def test_each_round_fills_the_list_of_its_track(app, db, make, mode, track, spec):
    agency, round_, apps = scored_round(db, make, spec, mode=mode)
    officer = make.hr(agency)
    ml = generation.generate_list(round_, officer)
    assert ml.track == track
    assert len(public.search_entries(ml).items) == 2
    assert ml.title_th.startswith("บัญชีรายชื่อ")
    other = next(t for t in ("general", "disability") if t != track)
    with pytest.raises(ValidationFailed, match="fills the"):
        generation.generate_list(round_, officer, track=other)


def test_the_eligible_and_called_to_part_c_lists(app, db, make):
    agency, round_, (a1, a2, a3) = scored_round(
        db, make, [(150, 150, None), (100, 150, None), (130, 100, None)]
    )  # a3 fails Part B
    exam_attempt(db, make, a1.candidate, round_=round_, application=a1)
    db.session.execute(
        update(Sitting)
        .where(Sitting.round_id == round_.id)
        .values(status="ended", results_published_at=now())
    )  # Part A over and published
    db.session.commit()
    officer = make.hr(agency)
    eligible = generation.generate_list(round_, officer, kind="eligible")
    rows = public.search_entries(eligible).items
    assert [r.application_number for r in rows] == [a1.number, a2.number, a3.number]
    assert rows[0].scores == {"room": "101", "seat": "A1"} and rows[1].scores == {}
    assert all(r.total is None for r in rows)
    assert eligible.ranking_parts == [] and eligible.tie_break == []

    called = generation.generate_list(round_, officer, kind="passed_to_part_c")
    rows = public.search_entries(called).items
    assert [r.application_number for r in rows] == [a1.number]  # a2 failed A, a3 has no B
    assert rows[0].scores == {"part_a": "150.00", "part_b": "150.00"}
    page = page_text(make.client_for(app, officer).get(f"/hr/lists/{eligible.id}"))
    assert "Room" in page and "A1" in page


# ---- the two-person rule and the workflow ------------------------------------------------


def test_two_hr_users_prepare_approve_and_publish_through_the_pages(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 160, 70)])
    officer, approver, other_approver = team(make, agency)
    ml = generation.generate_list(round_, approver)  # an approver prepares this time
    c_officer = make.client_for(app, officer)
    c_same = make.client_for(app, approver)
    c_second = make.client_for(app, other_approver)

    # An HR officer may not approve at all.
    resp = c_officer.post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"}, follow_redirects=True)
    assert "Only an HR approver can approve a list." in page_text(resp)
    # The preparer may not approve their own list.
    resp = c_same.post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"}, follow_redirects=True)
    assert "You prepared this list, so you cannot approve it" in page_text(resp)
    db.session.expire_all()
    assert ml.status == "draft" and ml.approved_by_id is None
    # Publishing a draft is refused.
    resp = c_officer.post(f"/hr/lists/{ml.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    assert "Only an approved list can be published." in page_text(resp)

    # The scores were typed in by HR: the approver sees them listed and must confirm it.
    page = page_text(c_second.get(f"/hr/lists/{ml.id}"))
    assert "Scores entered, imported or corrected by hand (6)" in page
    resp = c_second.post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"}, follow_redirects=True)
    assert resp.status_code == 422
    assert "6 scores behind this list were entered, imported or corrected by hand" in page_text(resp)
    resp = c_second.post(
        f"/hr/lists/{ml.id}/approve",
        data={"confirm": "yes", "approve-changes_seen": "y"},
        follow_redirects=True,
    )
    assert "Version 1 approved." in page_text(resp)
    resp = c_officer.post(f"/hr/lists/{ml.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    body = page_text(resp)
    db.session.expire_all()
    assert ml.status == "published" and len(ml.digest) == 64
    assert f"Digest: {ml.digest}" in body
    # Valid two years from the Bangkok day of publication (29 February ends on 28 February);
    # taken from published_at, not from "today" later, which may be the next day near midnight.
    published_on = ml.published_at.astimezone(BANGKOK).date()
    assert ml.valid_until == (
        date(published_on.year + 2, 2, 28)
        if (published_on.month, published_on.day) == (2, 29)
        else published_on.replace(year=published_on.year + 2)
    )
    assert (ml.prepared_by_id, ml.approved_by_id, ml.published_by_id) == (
        approver.id,
        other_approver.id,
        officer.id,
    )
    assert "Prepared by" in body and "Approved by" in body
    for action in ("merit_list.prepare", "merit_list.approve", "merit_list.publish"):
        assert audit_count(db, action) == 1
    assert services.usable(ml)


def test_approval_needs_hr_of_the_same_agency_and_the_database_enforces_two_persons(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    outsider = make.hr(make.agency(), approver=True)
    with pytest.raises(Forbidden, match="another agency"):
        workflow.approve(ml, outsider, changes_seen=True)
    assert make.client_for(app, outsider).get(f"/hr/lists/{ml.id}").status_code == 403
    assert (
        make.client_for(app, outsider).post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"}).status_code
        == 403
    )
    # Even a direct write cannot make the preparer the approver.
    with pytest.raises(IntegrityError):
        db.session.execute(update(MeritList).where(MeritList.id == ml.id).values(approved_by_id=officer.id))
        db.session.flush()
    db.session.rollback()


def test_a_published_list_cannot_be_changed(app, db, make):
    ml, round_, apps, officer, approver = published_list(db, make)
    entry = db.session.scalars(select(MeritEntry).where(MeritEntry.list_id == ml.id)).first()

    for change in (
        lambda: setattr(entry, "total", Decimal("999")),
        lambda: setattr(entry, "rank", 99),
        lambda: setattr(ml, "title_th", "แก้ไข"),
        lambda: setattr(ml, "digest", "0" * 64),
        lambda: setattr(ml, "status", "draft"),
        lambda: db.session.delete(entry),
        lambda: db.session.add(
            MeritEntry(list_id=ml.id, rank=99, application_id=apps[0].id, candidate_id=apps[0].candidate_id)
        ),
    ):
        change()
        with pytest.raises(services.ListImmutable, match="publish a correction instead"):
            db.session.commit()
        db.session.rollback()
    # Its use status may change (offers), and preparing the list again is refused.
    entry.status = EntryStatus.CALLED
    db.session.commit()
    with pytest.raises(NotAllowed, match="make a correction instead"):
        generation.generate_list(round_, officer)
    assert digest.content_matches(ml)


# ---- validity ----------------------------------------------------------------------------


def test_extend_once_cancel_and_expiry(app, db, make):
    ml, round_, apps, officer, approver = published_list(db, make)
    c = make.client_for(app, officer)
    first_end = ml.valid_until
    resp = c.post(f"/hr/lists/{ml.id}/extend", data={"extend-until": "", "extend-reason": ""})
    assert resp.status_code == 422
    too_far = c.post(
        f"/hr/lists/{ml.id}/extend",
        data={"extend-until": (first_end + timedelta(days=3 * 366)).isoformat(), "extend-reason": "x"},
    )
    assert too_far.status_code == 422 and "can be extended until" in page_text(too_far)
    new_end = first_end + timedelta(days=365)
    resp = c.post(
        f"/hr/lists/{ml.id}/extend",
        data={"extend-until": new_end.isoformat(), "extend-reason": "ยังมีตำแหน่งว่าง"},
        follow_redirects=True,
    )
    assert f"The list is extended until {format_date(new_end, 'en')}." in page_text(resp)
    db.session.expire_all()
    assert (ml.valid_until, ml.extended, ml.extension_reason) == (new_end, True, "ยังมีตำแหน่งว่าง")
    with pytest.raises(NotAllowed, match="already been extended once"):
        workflow.extend(ml, officer, "again", new_end + timedelta(days=10))
    assert audit_count(db, "merit_list.extend") == 1
    assert digest.content_matches(ml)  # validity is not part of the hashed content

    assert services.status_on(ml, new_end) == "valid"
    assert services.status_on(ml, new_end + timedelta(days=1)) == "expired"
    assert not services.usable(ml, new_end + timedelta(days=1))
    with frozen_at(now() + timedelta(days=(new_end - today_bangkok()).days + 2)):
        assert services.status_on(ml) == "expired" and not services.usable(ml)
        page = page_text(make.client_for(app).get(f"/lists/{ml.id}"))
        assert "This list has expired and can no longer be used." in page

    # One person cannot take a published list down: it is withdrawn by two.
    resp = c.post(f"/hr/lists/{ml.id}/cancel", data={"confirm": "yes", "cancel-reason": "มีบัญชีใหม่"})
    assert resp.status_code == 409 and "withdrawn by two people" in page_text(resp)
    resp = c.post(f"/hr/lists/{ml.id}/withdraw", data={"confirm": "yes", "withdraw-reason": ""})
    assert resp.status_code == 422
    resp = c.post(
        f"/hr/lists/{ml.id}/withdraw",
        data={"confirm": "yes", "withdraw-reason": "มีบัญชีใหม่"},
        follow_redirects=True,
    )
    assert "A second HR approver must confirm it" in page_text(resp)
    db.session.expire_all()
    assert ml.status == "published" and services.usable(ml)
    resp = c.post(f"/hr/lists/{ml.id}/withdraw/confirm", data={"confirm": "yes"}, follow_redirects=True)
    assert "Only an HR approver can confirm a withdrawal." in page_text(resp)
    resp = make.client_for(app, approver).post(
        f"/hr/lists/{ml.id}/withdraw/confirm", data={"confirm": "yes"}, follow_redirects=True
    )
    assert "Version 1 is withdrawn." in page_text(resp)
    db.session.expire_all()
    assert ml.status == "cancelled" and services.status_on(ml) == "cancelled"
    assert (ml.withdrawal_requested_by_id, ml.cancelled_by_id) == (officer.id, approver.id)
    assert not services.usable(ml)
    assert audit_count(db, "merit_list.withdrawal_request") == 1
    assert audit_count(db, "merit_list.withdraw") == 1
    with pytest.raises(NotAllowed):
        workflow.extend(ml, officer, "x", new_end + timedelta(days=1))


def test_an_expired_list_cannot_be_extended(app, db, make):
    ml, *_rest, officer, _approver = published_list(db, make)
    later = now() + timedelta(days=(ml.valid_until - today_bangkok()).days + 2)
    with frozen_at(later), pytest.raises(NotAllowed, match="has expired"):
        workflow.extend(ml, officer, "late", ml.valid_until + timedelta(days=30))


def test_the_validity_and_the_extension_limit_follow_the_configuration(app, db, make, monkeypatch):
    monkeypatch.setitem(app.config, "MERIT_LIST_VALID_YEARS", 3)
    monkeypatch.setitem(app.config, "MERIT_LIST_MAX_EXTENSION_YEARS", 1)
    ml, *_rest, officer, _approver = published_list(db, make)
    published_on = ml.published_at.astimezone(BANGKOK).date()
    assert ml.valid_until == add_years(published_on, 3)
    limit = add_years(ml.valid_until, 1)
    with pytest.raises(ValidationFailed, match=f"until {format_date(limit, 'en')} at the latest"):
        workflow.extend(ml, officer, "ยังมีตำแหน่งว่าง", limit + timedelta(days=1))
    workflow.extend(ml, officer, "ยังมีตำแหน่งว่าง", limit)
    assert ml.valid_until == limit and ml.extended


def test_only_merit_lists_are_usable(app, db, make):
    agency, round_, _apps = scored_round(db, make, [(150, 150, 80)])
    officer, approver, _other = team(make, agency)
    eligible = generation.generate_list(round_, officer, kind="eligible")
    assert not services.usable(eligible)  # a draft
    workflow.approve(eligible, approver, changes_seen=True)
    workflow.publish(eligible, officer)
    assert services.status_on(eligible) == "valid" and not services.usable(eligible)


# ---- corrections -------------------------------------------------------------------------


def test_a_correction_supersedes_the_published_version(app, db, make):
    ml, round_, (a1, a2, a3), officer, approver = published_list(db, make)
    old_digest = ml.digest
    ranks = {r.application_number: r.rank for r in public.search_entries(ml).items}
    assert ranks == {a3.number: 1, a1.number: 2, a2.number: 3}
    # a1 was appointed from version 1.
    db.session.execute(
        update(MeritEntry)
        .where(MeritEntry.list_id == ml.id, MeritEntry.application_id == a1.id)
        .values(status=EntryStatus.APPOINTED)
    )
    db.session.commit()

    # A Part B score was keyed wrongly (125 for 190): HR fixes it, then corrects the list.
    recording.correct_stage_score(a2, "part_b", 190, actor=officer, reason="keyed 125 for 190")
    c = make.client_for(app, officer)
    resp = c.post(f"/hr/lists/{ml.id}/correct", data={"correct-reason": ""})
    assert resp.status_code == 422
    resp = c.post(
        f"/hr/lists/{ml.id}/correct", data={"correct-reason": "แก้คะแนนภาค ข"}, follow_redirects=True
    )
    assert "Correction prepared as version 2 (draft)" in page_text(resp)
    v2 = db.session.scalar(select(MeritList).where(MeritList.version == 2))
    assert (v2.status, v2.supersedes_id, v2.correction_reason) == ("draft", ml.id, "แก้คะแนนภาค ข")
    assert services.usable(ml)  # version 1 stays in force meanwhile
    with pytest.raises(NotAllowed, match="already being prepared"):
        workflow.correct(ml, officer, "again")

    # An open offer on version 1 blocks the switch.
    db.session.execute(
        update(MeritEntry)
        .where(MeritEntry.list_id == ml.id, MeritEntry.application_id == a3.id)
        .values(status=EntryStatus.CALLED)
    )
    db.session.commit()
    workflow.approve(v2, approver, changes_seen=True)
    with pytest.raises(NotAllowed, match="open offer"):
        workflow.publish(v2, officer)
    db.session.execute(
        update(MeritEntry)
        .where(MeritEntry.list_id == ml.id, MeritEntry.application_id == a3.id)
        .values(status=EntryStatus.AVAILABLE)
    )
    db.session.commit()

    workflow.publish(v2, officer)
    db.session.expire_all()
    assert ml.status == "superseded" and services.status_on(ml) == "superseded"
    assert not services.usable(ml) and services.usable(v2)
    assert v2.valid_until == ml.valid_until  # a correction does not live longer
    assert v2.digest != old_digest and ml.digest == old_digest
    content = json.loads(digest.canonical_content(v2))
    assert content["supersedes"] == old_digest and content["version"] == 2
    new_rows = {r.application_number: r for r in public.search_entries(v2).items}
    assert new_rows[a2.number].rank == 1 and new_rows[a2.number].total == Decimal("260.00")
    assert new_rows[a1.number].status == EntryStatus.APPOINTED  # carried over
    for action in ("merit_list.correct", "merit_list.supersede"):
        assert audit_count(db, action) == 1

    # The public sees both versions; the old one says it is superseded.
    visitor = make.client_for(app)
    body = page_text(visitor.get(f"/lists/{ml.id}"))
    assert "superseded by a correction" in body and f"/lists/{v2.id}" in body
    body = page_text(visitor.get(f"/lists/{v2.id}"))
    assert "Version 1" in body and f"/lists/{ml.id}" in body and "แก้คะแนนภาค ข" in body
    listing = page_text(visitor.get("/lists"))
    assert f"/lists/{v2.id}" in listing and f'href="/lists/{ml.id}"' not in listing
    verdict = page_text(visitor.get(f"/verify/list/{old_digest}"))
    assert "has been superseded by a correction" in verdict
    assert "See the version in force (version 2)" in verdict


# ---- the digest --------------------------------------------------------------------------


def test_the_digest_is_sha256_of_the_documented_canonical_content(app, db, make):
    import hashlib

    ml, round_, apps, officer, approver = published_list(db, make)
    raw = digest.canonical_content(ml)
    assert hashlib.sha256(raw).hexdigest() == ml.digest == digest.digest_of(ml)
    assert digest.canonical_content(ml) == raw  # stable across runs
    assert b", " not in raw and b'": ' not in raw  # no whitespace between tokens
    assert "ทดสอบ".encode() in raw  # Thai as UTF-8, not \u escapes
    data = json.loads(raw)
    assert list(data) == sorted(data)
    assert set(data) == {
        "format",
        "agency",
        "round",
        "kind",
        "track",
        "version",
        "title_th",
        "ranking_parts",
        "tie_break",
        "published_on",
        "supersedes",
        "correction_reason",
        "entries",
    }
    assert data["round"] == round_.code and data["tie_break"] == ["part_b", "application_number"]
    assert data["entries"][0] == {
        "rank": 1,
        "application_number": apps[2].number,
        "name_th": apps[2].candidate.full_name_th,
        "scores": {"part_a": "150.00", "part_b": "170.00", "part_c": "60.00"},
        "sources": {"part_a": "hr_entry", "part_b": "hr_entry", "part_c": "hr_entry"},
        "total": "230.00",
    }
    for entry in data["entries"]:
        assert "national_id" not in entry
    # The public can download the hashed bytes and check them with sha256sum.
    served = make.client_for(app).get(f"/lists/{ml.id}/canonical.json")
    assert served.status_code == 200 and hashlib.sha256(served.data).hexdigest() == ml.digest
    # Any change of content changes the digest.
    data["entries"][0]["total"] = "230.01"
    changed = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert hashlib.sha256(changed).hexdigest() != ml.digest
    # … and a tampered row no longer matches the published digest.
    db.session.execute(
        text("UPDATE merit_entries SET total = 1 WHERE list_id = :i AND rank = 1"), {"i": ml.id}
    )
    assert not digest.content_matches(ml)
    db.session.rollback()


# ---- public pages ------------------------------------------------------------------------


def test_the_public_searches_a_published_list_and_never_sees_a_national_id(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 160, 70), (150, 170, 60)])
    apps[1].candidate.first_name_th, apps[1].candidate.last_name_th = "สมหญิง", "ใจดี"
    db.session.commit()
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    public = make.client_for(app)
    assert public.get(f"/lists/{ml.id}").status_code == 404  # a draft is not public
    assert f"/lists/{ml.id}" not in page_text(public.get("/lists"))
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, officer)

    listing = page_text(public.get("/lists"))
    assert ml.title_en in listing and "valid" in listing
    page = public.get(f"/lists/{ml.id}")
    body = page_text(page)
    assert page.status_code == 200
    assert all(a.number in body for a in apps)
    assert ml.digest in body and "Valid until" in body
    assert "Remaining" in body and "Appointed" in body
    for a in apps:
        national = a.candidate.national_id
        for shown in (national, nid.formatted(national), nid.masked(national)):
            assert shown not in body
    found = page_text(public.get(f"/lists/{ml.id}?q=ใจดี"))
    assert "1 found" in found and apps[1].number in found and apps[0].number not in found
    found = page_text(public.get(f"/lists/{ml.id}?q={apps[2].number}"))
    assert apps[2].number in found and apps[1].number not in found
    assert "0 found" in page_text(public.get(f"/lists/{ml.id}?q={apps[0].candidate.national_id}"))


def test_the_public_list_pages_in_rank_order_and_a_search_keeps_its_total(app, db, make, monkeypatch):
    from app.merit import views as merit_views

    monkeypatch.setattr(merit_views, "PER_PAGE", 2)
    ml, _round, apps, *_people = published_list(db, make)
    by_rank = [
        number
        for _rank, number in sorted((r.rank, r.application_number) for r in public.search_entries(ml).items)
    ]
    public_client = make.client_for(app)

    first = page_text(public_client.get(f"/lists/{ml.id}"))
    assert "3 names." in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert by_rank[0] in first and by_rank[1] in first and by_rank[2] not in first
    second = page_text(public_client.get(f"/lists/{ml.id}?page=2"))
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert by_rank[2] in second and by_rank[0] not in second
    beyond = public_client.get(f"/lists/{ml.id}?page=9")  # a stale link: no rows, no error
    assert beyond.status_code == 200 and "3 names." in page_text(beyond)
    assert not any(a.number in page_text(beyond) for a in apps)

    found = public.search_entries(ml, apps[0].number, page=1, per_page=2)
    assert found.total == 1 and found.pages == 1
    assert [r.application_number for r in found.items] == [apps[0].number]
    assert found.items[0].name_th == apps[0].candidate.full_name_th


def test_the_counts_of_called_appointed_waived_and_remaining(app, db, make):
    ml, *_rest = published_list(db, make)
    ids = list(
        db.session.scalars(select(MeritEntry.id).where(MeritEntry.list_id == ml.id).order_by(MeritEntry.rank))
    )
    for i, status in zip(ids, (EntryStatus.APPOINTED, EntryStatus.WAIVED)):
        db.session.execute(update(MeritEntry).where(MeritEntry.id == i).values(status=status))
    db.session.commit()
    assert public.entry_counts(ml) == {"total": 3, "called": 0, "appointed": 1, "waived": 1, "remaining": 1}


def test_the_verify_page_states(app, db, make):
    ml, round_, apps, officer, approver = published_list(db, make)
    public = make.client_for(app)
    body = page_text(public.get(f"/verify/list/{ml.digest}"))
    assert "This list is genuine and in force." in body and ml.title_en in body
    assert page_text(public.get(f"/verify/list/{ml.digest.upper()}")).count("in force") >= 1
    unknown = page_text(public.get("/verify/list/" + "ab" * 32))
    assert "No published list has this digest." in unknown
    assert "No published list has this digest." in page_text(public.get("/verify/list/nonsense"))
    form = public.get(f"/verify/list?digest={ml.digest}")
    assert form.status_code == 302 and form.headers["Location"].endswith(ml.digest)
    with frozen_at(now() + timedelta(days=(ml.valid_until - today_bangkok()).days + 2)):
        assert "genuine but has expired" in page_text(public.get(f"/verify/list/{ml.digest}"))
        assert digest.verify(ml.digest).status == "expired"
    workflow.request_withdrawal(ml, officer, "ยกเลิกบัญชี")
    workflow.confirm_withdrawal(ml, approver)
    body = page_text(public.get(f"/verify/list/{ml.digest}"))
    assert "genuine (the digest matches the content as published) but it was withdrawn" in body
    assert "because: ยกเลิกบัญชี" in body and digest.content_matches(ml)
    assert digest.verify(ml.digest).status == "cancelled"


def test_a_candidate_sees_their_rank_once_published(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 170, 80)])
    officer, approver, _other = team(make, agency)
    ml = generation.generate_list(round_, officer)
    assert public.my_rankings(apps[0].candidate) == []  # not before publication
    workflow.approve(ml, approver, changes_seen=True)
    workflow.publish(ml, officer)
    mine = public.my_rankings(apps[0].candidate)
    assert [(m.merit_list.id, m.entry.rank, m.size, m.status) for m in mine] == [(ml.id, 2, 2, "valid")]
    assert [m.entry.rank for m in public.rankings_of_application(apps[1])] == [1]
    # The candidate's application page shows it.
    page = make.client_for(app, apps[0].candidate).get(f"/applications/{apps[0].id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your place on published lists" in html and "rank 2 of 2, total 230.00" in html


def test_hr_pages_are_for_hr_of_the_agency(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80)])
    ml = generation.generate_list(round_, make.hr(agency))
    candidate = make.client_for(app, apps[0].candidate)
    assert candidate.get(f"/hr/rounds/{round_.id}/lists").status_code == 403
    assert candidate.post(f"/hr/lists/{ml.id}/approve", data={"confirm": "yes"}).status_code == 403
    other = make.client_for(app, make.hr(make.agency()))
    assert other.get(f"/hr/rounds/{round_.id}/lists").status_code == 403
    assert other.post(f"/hr/rounds/{round_.id}/lists", data={"kind": "merit"}).status_code == 403
    assert make.client_for(app).get(f"/hr/lists/{ml.id}").status_code == 302
