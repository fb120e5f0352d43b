"""Applying to a round, documents, withdrawing, HR review and accommodations, as users do it."""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask_login import login_user
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.applications.models import AccommodationRequest, Application, Document
from app.audit.services import entries_for
from app.common import clock
from app.common import national_id as nid
from app.recruitment.models import Mode, Round, RoundStatus
from tests.factories.applications import pdf_bytes, post_apply

# ---- helpers ----------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 107, 58)).save(buf, fmt)
    return buf.getvalue()


def browser(app, make, user=None):
    return make.client_for(app, user)


def stored_files(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def page(resp) -> str:
    """The page's text with entities decoded ("'" -> "'"), as a reader sees it."""
    return html_lib.unescape(resp.get_data(as_text=True))


@pytest.fixture
def agency(make):
    return make.agency()


@pytest.fixture
def open_round(make, agency):
    return make.round_(agency, accommodations_offered=["extra_time", "large_text"])


# ---- the candidate's journey ------------------------------------------------------------


def test_candidate_applies_with_documents_and_hr_of_the_agency_sees_them(app, db, make, agency, open_round):
    cand = make.candidate()
    client = browser(app, make, cand)
    before_files = stored_files(app)

    form_page = client.get(f"/rounds/{open_round.id}/apply")
    assert form_page.status_code == 200
    html = page(form_page)
    assert open_round.title_en in html
    assert "Education: at least Bachelor" not in html  # the round sets no education criterion
    assert "you meet the round's criteria" in html
    assert "Expected for this round." in html
    assert "Submit application" not in html  # the form leads to "check your answers" first

    pdf, png = pdf_bytes(), image_bytes("PNG")
    resp = client.post(
        f"/rounds/{open_round.id}/apply",
        data={
            "doc_transcript": [(io.BytesIO(pdf), "ใบแสดงผลการเรียน.pdf")],
            "doc_id_card": [(io.BytesIO(png), "id card.png")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/rounds/{open_round.id}/apply/check"
    )
    assert count(db, Application) == 0  # nothing is submitted before the answers are checked

    check = page(client.get(resp.headers["Location"]))
    assert "Check your answers before submitting your application" in check
    assert "ใบแสดงผลการเรียน.pdf" in check and "id card.png" in check
    assert "Degree certificate" in check and "Not attached" in check  # expected, missing
    assert f'href="/rounds/{open_round.id}/apply#doc_degree"' in check  # its "change" link
    assert "I certify that the information I have given is true." in check

    resp = post_apply(client, open_round)  # the form again (no new file), then submit
    assert resp.status_code == 302
    app_ = db.session.scalar(select(Application))
    assert app_.number == f"{open_round.code}-00001"
    assert resp.headers["Location"].endswith(f"/applications/{app_.id}/submitted")

    done = page(client.get(resp.headers["Location"]))
    assert "Application submitted" in done and f"{open_round.code}-00001" in done
    assert "What happens next" in done and open_round.agency.name_en in done
    assert "Documents still missing" in done and "Degree certificate" in done

    html = page(client.get(f"/applications/{app_.id}"))
    assert "submitted, awaiting review" in html
    assert nid.formatted(cand.national_id) in html  # the owner sees their own ID in full
    assert "ใบแสดงผลการเรียน.pdf" in html and "id card.png" in html

    docs = db.session.scalars(select(Document).order_by(Document.kind)).all()
    assert [(d.kind, d.content_type) for d in docs] == [
        ("id_card", "image/png"),
        ("transcript", "application/pdf"),
    ]
    static_dir = Path(app.static_folder).resolve()
    for d, data in zip(docs, (png, pdf), strict=True):
        assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", d.stored_name)
        path = Path(app.config["UPLOAD_DIR"]) / d.stored_name
        assert path.read_bytes() == data
        assert static_dir not in path.resolve().parents
        assert d.sha256 == hashlib.sha256(data).hexdigest() and d.size == len(data)
        assert d.application_id == app_.id and d.owner_id == cand.id
    assert stored_files(app) - before_files == {d.stored_name for d in docs}
    assert [e.action for e in entries_for("applications", app_.id)] == ["application.submit"]

    mine = page(client.get("/applications"))
    assert app_.number in mine and "submitted, awaiting review" in mine
    assert open_round.agency.name_en in mine

    transcript = docs[1]
    dl = client.get(f"/documents/{transcript.id}")
    assert dl.status_code == 200
    assert dl.data == pdf
    assert dl.mimetype == "application/pdf"
    assert dl.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in dl.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in dl.headers["Content-Disposition"]  # the Thai original name

    other = browser(app, make, make.candidate())
    assert other.get(f"/documents/{transcript.id}").status_code == 403
    assert other.get(f"/applications/{app_.id}").status_code == 403
    assert other.get("/documents/999999").status_code == 404

    hr = browser(app, make, make.hr(agency))
    dl = hr.get(f"/documents/{transcript.id}")
    assert dl.status_code == 200 and dl.data == pdf
    html = page(hr.get(f"/applications/{app_.id}"))
    assert nid.formatted(cand.national_id) in html
    assert "Approve application" in html and "Withdraw application" not in html
    listing = page(hr.get(f"/hr/rounds/{open_round.id}/applications"))
    assert app_.number in listing and cand.full_name_th in listing
    assert nid.formatted(cand.national_id) in listing

    stranger_hr = browser(app, make, make.hr(make.agency()))
    assert stranger_hr.get(f"/applications/{app_.id}").status_code == 403
    assert stranger_hr.get(f"/documents/{transcript.id}").status_code == 403
    assert stranger_hr.get(f"/hr/rounds/{open_round.id}/applications").status_code == 403


def test_national_id_is_masked_for_anyone_but_the_owner_and_hr_it_applied_to(app, make, agency, open_round):
    national_id_of = app.jinja_env.globals["national_id_of"]  # the template helper
    cand = make.candidate()
    admin = make.user(Role.ADMIN)
    hr_here, hr_elsewhere = make.hr(agency), make.hr(make.agency())
    c = browser(app, make, cand)
    assert post_apply(c, open_round).status_code == 302
    masked, full = nid.masked(cand.national_id), nid.formatted(cand.national_id)
    for viewer, expected in ((admin, masked), (hr_elsewhere, masked), (hr_here, full), (cand, full)):
        with app.test_request_context():
            login_user(viewer)
            assert national_id_of(cand) == expected
    assert masked.startswith("X-XXXX-XXXX")


def test_ineligible_candidate_is_told_why_and_nothing_is_stored(app, db, make, agency):
    round_ = make.round_(agency, min_gpa=Decimal("3.50"), min_education_level="master")
    client = browser(app, make, make.candidate(gpa=Decimal("3.10")))
    html = page(client.get(f"/rounds/{round_.id}/apply"))
    assert "GPA at least 3.50 (yours: 3.10)" in html
    assert "Education: at least Master's degree (yours: Bachelor's degree)" in html
    assert "you do not meet the round's criteria" in html
    assert "Submit application" not in html  # no form to fill in vain
    files = stored_files(app)

    resp = post_apply(client, round_, doc_transcript=[(io.BytesIO(pdf_bytes()), "t.pdf")])
    assert resp.status_code == 409
    html = page(resp)
    assert "You do not meet the round's criteria" in html
    assert "GPA at least 3.50 (yours: 3.10)" in html
    assert count(db, Application) == 0 and count(db, Document) == 0
    assert stored_files(app) == files


def test_declaration_is_required(app, db, make, open_round):
    client = browser(app, make, make.candidate())
    resp = post_apply(client, open_round, declaration="")
    assert resp.status_code == 422
    assert "You must certify that the information is true." in page(resp)
    assert count(db, Application) == 0


def test_applying_twice_is_refused(app, db, make, open_round):
    client = browser(app, make, make.candidate())
    assert post_apply(client, open_round).status_code == 302
    resp = post_apply(client, open_round)
    assert resp.status_code == 409
    assert f"already applied to this round (application {open_round.code}-00001)" in page(resp)
    assert count(db, Application) == 1
    # the form page now points to the existing application instead of offering a new one
    html = page(client.get(f"/rounds/{open_round.id}/apply"))
    assert f"See application {open_round.code}-00001" in html
    assert "Submit application" not in html


def test_applying_after_closing_is_refused(app, db, make, agency):
    client = browser(app, make, make.candidate())
    closed = make.round_(agency, status=RoundStatus.CLOSED)
    resp = post_apply(client, closed)
    assert resp.status_code == 409
    assert "This round is not accepting applications." in page(resp)

    open_ = make.round_(agency)
    with clock.frozen_at(open_.closes_at + timedelta(minutes=1)):
        assert "not accepting applications" in page(client.get(f"/rounds/{open_.id}/apply"))
        resp = post_apply(client, open_)
    assert resp.status_code == 409
    assert "This round is not accepting applications." in page(resp)
    assert count(db, Application) == 0

    draft = make.round_(agency, status=RoundStatus.DRAFT)
    assert client.get(f"/rounds/{draft.id}/apply").status_code == 404


@pytest.mark.parametrize(
    "files",
    [
        {"doc_transcript": [(io.BytesIO(b"just some text, honest"), "x.pdf")]},
        {"doc_id_card": [(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50), "id.png")]},
        {"doc_transcript": [(io.BytesIO(b"%PDF-1.4\n" + b"garbage " * 50), "broken.pdf")]},
        # a good file first, then a bad one: the good one must not be left behind either
        {
            "doc_transcript": [(io.BytesIO(pdf_bytes()), "good.pdf")],
            "doc_other": [(io.BytesIO(b"GIF89a" + b"\x00" * 40), "sneaky.png")],
        },
    ],
    ids=["text-as-pdf", "png-header-garbage", "pdf-header-garbage", "good-then-bad"],
)
def test_a_file_that_lies_about_its_type_is_refused_and_nothing_is_stored(app, db, make, open_round, files):
    client = browser(app, make, make.candidate())
    before = stored_files(app)
    resp = post_apply(client, open_round, **files)
    assert resp.status_code == 422
    assert "is not a PDF, JPEG or PNG file." in page(resp)
    assert count(db, Application) == 0 and count(db, Document) == 0
    assert stored_files(app) == before
    db.session.expire_all()
    assert db.session.get(Round, open_round.id).application_seq == 0  # no number used up


def test_a_file_over_the_size_limit_is_refused(app, db, make, open_round, monkeypatch):
    client = browser(app, make, make.candidate())
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024)
    before = stored_files(app)
    big = image_bytes("JPEG") + b"\x00" * 2048
    resp = post_apply(client, open_round, doc_photo=[(io.BytesIO(big), "photo.jpg")])
    assert resp.status_code == 422
    assert "photo.jpg is larger than" in page(resp)
    assert count(db, Application) == 0 and stored_files(app) == before


def test_withdraw_then_apply_again_keeps_the_number(app, db, make, open_round):
    cand = make.candidate()
    client = browser(app, make, cand)
    post_apply(client, open_round)
    app_ = db.session.scalar(select(Application))
    resp = client.post(
        f"/applications/{app_.id}/withdraw", data={"confirm": "yes", "reason": "ติดธุระ"}, follow_redirects=True
    )
    assert resp.status_code == 200
    assert f"Application {app_.number} has been withdrawn." in page(resp)
    db.session.refresh(app_)
    assert app_.status == "withdrawn" and app_.withdrawn_at is not None
    assert "withdrawn" in page(client.get("/applications"))
    withdraw_entry = entries_for("applications", app_.id)[-1]
    assert withdraw_entry.action == "application.withdraw"
    assert withdraw_entry.after["reason"] == "ติดธุระ"

    assert post_apply(client, open_round).status_code == 302
    db.session.expire_all()
    again = db.session.scalar(select(Application))
    assert count(db, Application) == 1
    assert again.number == f"{open_round.code}-00001" and again.status == "submitted"
    assert "submitted, awaiting review" in page(client.get(f"/applications/{again.id}"))


def test_withdraw_is_refused_once_the_round_is_under_way(app, db, make, open_round):
    client = browser(app, make, make.candidate())
    post_apply(client, open_round)
    app_ = db.session.scalar(select(Application))
    open_round.status = RoundStatus.IN_PROGRESS
    db.session.commit()
    assert "Withdraw application" not in page(client.get(f"/applications/{app_.id}"))
    resp = client.post(f"/applications/{app_.id}/withdraw", data={"confirm": "yes"})
    assert resp.status_code == 409
    assert "the application can no longer be withdrawn" in page(resp)
    db.session.refresh(app_)
    assert app_.status == "submitted"


def test_candidate_adds_a_document_later(app, db, make, open_round):
    client = browser(app, make, make.candidate())
    post_apply(client, open_round)
    app_ = db.session.scalar(select(Application))
    jpeg = image_bytes("JPEG")
    resp = client.post(
        f"/applications/{app_.id}/documents",
        data={"kind": "degree", "file": (io.BytesIO(jpeg), "degree.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "degree.jpg has been added to the application." in page(resp)
    doc = db.session.scalar(select(Document))
    assert (doc.kind, doc.content_type, doc.size) == ("degree", "image/jpeg", len(jpeg))
    assert entries_for("documents", doc.id)[0].action == "document.upload"

    resp = client.post(
        f"/applications/{app_.id}/documents",
        data={"kind": "degree", "file": (io.BytesIO(b"MZ\x90\x00"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "x.jpg is not a PDF, JPEG or PNG file." in page(resp)
    assert count(db, Document) == 1


# ---- the disability track and accommodations --------------------------------------------


def test_disability_track_with_an_accommodation_adjusted_by_hr(app, db, make, agency):
    round_ = make.round_(agency, mode=Mode.DISABILITY, accommodations_offered=["extra_time", "large_text"])
    without_card = browser(app, make, make.candidate())
    html = page(without_card.get(f"/rounds/{round_.id}/apply"))
    assert "A disability registration card" in html and "cannot apply" in html
    assert post_apply(without_card, round_, disability_type="visual").status_code == 409

    cand = make.candidate(disability_card_no="1-2345-67890")
    client = browser(app, make, cand)
    html = page(client.get(f"/rounds/{round_.id}/apply"))
    assert 'value="1-2345-67890"' in html  # prefilled from the profile
    assert "Extra time" in html and "Large text" in html
    assert "Screen reader" not in html  # not offered by this round

    resp = post_apply(client, round_, disability_card_no="1-2345-67890", disability_type="")
    assert resp.status_code == 422 and "Enter the type of disability." in page(resp)
    resp = post_apply(
        client, round_, disability_card_no="1-2345-67890", disability_type="visual", screen_reader="y"
    )
    assert resp.status_code == 422
    assert "This round does not offer that accommodation." in page(resp)
    assert count(db, Application) == 0

    resp = post_apply(
        client,
        round_,
        disability_card_no="1-2345-67890",
        disability_type="visual",
        extra_time="50",
        large_text="y",
    )
    assert resp.status_code == 302
    app_ = db.session.scalar(select(Application))
    assert (app_.disability_type, app_.disability_card_no) == ("visual", "1-2345-67890")
    reqs = {r.kind: r for r in app_.accommodations}
    assert reqs["extra_time"].requested_value == 50 and reqs["extra_time"].status == "requested"
    assert "large_text" in reqs

    hr = browser(app, make, make.hr(agency))
    listing = page(hr.get(f"/hr/rounds/{round_.id}/applications"))
    assert "Accommodations awaiting decision" in listing
    req = reqs["extra_time"]
    prefix = f"acc{req.id}-"
    resp = hr.post(
        f"/accommodations/{req.id}/decide", data={prefix + "status": "denied", prefix + "note": ""}
    )
    assert resp.status_code == 422 and "Give the reason for denying" in page(resp)
    resp = hr.post(
        f"/accommodations/{req.id}/decide",
        data={
            prefix + "status": "adjusted",
            prefix + "approved_value": "25",
            prefix + "note": "25% is the standard for this test",
        },
        follow_redirects=True,
    )
    assert resp.status_code == 200 and "The decision on Extra time has been saved." in page(resp)
    db.session.expire_all()
    req = db.session.get(AccommodationRequest, req.id)
    assert (req.status, req.requested_value, req.approved_value) == ("adjusted", 50, 25)
    entry = entries_for("accommodation_requests", req.id)[-1]
    assert entry.action == "accommodation.decide"
    assert entry.before == {"status": "requested", "approved_value": None, "note": ""}
    assert entry.after["approved_value"] == 25 and entry.after["status"] == "adjusted"

    html = page(client.get(f"/applications/{app_.id}"))
    assert "approved with adjustment" in html and "25%" in html
    assert "25% is the standard for this test" in html

    # the candidate cannot decide on their own accommodation
    assert (
        client.post(f"/accommodations/{req.id}/decide", data={prefix + "status": "approved"}).status_code
        == 403
    )


# ---- HR review --------------------------------------------------------------------------


def test_hr_approves_one_application_and_rejects_another_with_a_reason(app, db, make, agency, open_round):
    alice, bob = make.candidate(), make.candidate()
    ca, cb = browser(app, make, alice), browser(app, make, bob)
    post_apply(ca, open_round)
    post_apply(cb, open_round)
    app_a = db.session.scalar(select(Application).where(Application.candidate_id == alice.id))
    app_b = db.session.scalar(select(Application).where(Application.candidate_id == bob.id))
    assert app_b.number == f"{open_round.code}-00002"

    assert ca.post(f"/applications/{app_a.id}/approve", data={"confirm": "yes"}).status_code == 403
    other_hr = browser(app, make, make.hr(make.agency(), approver=True))
    assert other_hr.post(f"/applications/{app_a.id}/approve", data={"confirm": "yes"}).status_code == 403

    hr_user = make.hr(agency, approver=True)
    hr = browser(app, make, hr_user)
    resp = hr.post(f"/applications/{app_a.id}/approve", data={"confirm": "yes"}, follow_redirects=True)
    assert f"Application {app_a.number} has been approved." in page(resp)

    resp = hr.post(f"/applications/{app_b.id}/reject", data={"confirm": "yes", "reason": "  "})
    assert resp.status_code == 422
    assert "Give the reason for rejecting the application." in page(resp)
    db.session.expire_all()
    assert db.session.get(Application, app_b.id).status == "submitted"
    resp = hr.post(
        f"/applications/{app_b.id}/reject",
        data={"confirm": "yes", "reason": "The transcript is missing."},
        follow_redirects=True,
    )
    assert resp.status_code == 200

    db.session.expire_all()
    a, b = db.session.get(Application, app_a.id), db.session.get(Application, app_b.id)
    assert (a.status, a.decided_by_id) == ("approved", hr_user.id)
    assert (b.status, b.rejection_reason) == ("rejected", "The transcript is missing.")
    assert [e.action for e in entries_for("applications", b.id)][-1] == "application.reject"

    assert "approved" in page(ca.get("/applications"))
    html = page(cb.get(f"/applications/{app_b.id}"))
    assert "rejected" in html and "The transcript is missing." in html
    assert "Withdraw application" not in html  # a rejected application is no longer active

    approved_only = page(hr.get(f"/hr/rounds/{open_round.id}/applications?status=approved"))
    assert app_a.number in approved_only and app_b.number not in approved_only


# ---- JSON API ---------------------------------------------------------------------------


def test_json_api_apply_and_list(app, db, make, agency):
    round_ = make.round_(agency, mode=Mode.DISABILITY, accommodations_offered=["extra_time", "large_text"])
    url = f"/api/rounds/{round_.id}/applications"
    resp = browser(app, make).post(url, json={})
    assert resp.status_code == 401 and resp.json["ok"] is False

    cand = make.candidate(disability_card_no="DC-778899")
    client = browser(app, make, cand)
    resp = client.post(url, json={"disability_type": "hearing", "accommodations": {"screen_reader": True}})
    assert resp.status_code == 422
    assert resp.json == {
        "ok": False,
        "error": "validation_failed",
        "field": "accommodations",
        "message": "This round does not offer that accommodation.",
    }
    resp = client.post(url, json={"disability_card_no": "DC-778899"})
    assert resp.status_code == 422 and resp.json["field"] == "disability_type"

    resp = client.post(
        url,
        json={
            "disability_type": "hearing",
            "disability_card_no": "DC-778899",
            "accommodations": {"extra_time": 30, "large_text": True},
        },
    )
    assert resp.status_code == 201
    body = resp.json
    assert body["ok"] is True and body["status"] == "submitted"
    assert body["number"] == f"{round_.code}-00001"
    stored = db.session.get(Application, body["id"])
    assert {r.kind: r.requested_value for r in stored.accommodations} == {
        "extra_time": 30,
        "large_text": None,
    }

    resp = client.post(url, json={"disability_type": "hearing"})
    assert resp.status_code == 409 and resp.json["error"] == "not_allowed"

    listing = client.get("/api/applications").json
    assert [a["number"] for a in listing["applications"]] == [body["number"]]
    assert listing["applications"][0]["status_label"] == "submitted, awaiting review"

    strict = make.round_(agency, min_gpa=Decimal("3.90"))
    resp = client.post(f"/api/rounds/{strict.id}/applications", json={})
    assert resp.status_code == 409 and resp.json["error"] == "not_eligible"
    assert "GPA at least 3.90 (yours: 3.10)" in resp.json["message"]

    hr = browser(app, make, make.hr(agency))
    resp = hr.post(f"/api/rounds/{strict.id}/applications", json={})
    assert resp.status_code == 403 and resp.json["error"] == "forbidden"
    assert client.post("/api/rounds/999999/applications", json={}).status_code == 404
    assert client.post(url, data="not json", content_type="text/plain").status_code == 400
    assert count(db, Application) == 1


def test_a_missing_document_or_accommodation_request_is_named_in_the_readers_language(app, make, agency):
    """Links to a document or an accommodation decision that does not exist (deleted round,
    mistyped address) say what is missing, in Thai for a Thai reader, and change nothing."""
    hr = make.hr(agency)
    th = make.client_for(app, hr, lang="th")
    resp = th.get("/documents/987654")
    assert resp.status_code == 404 and "ไม่พบเอกสารนี้" in page(resp)
    resp = th.post("/accommodations/987654/decide", data={"status": "approved"})
    assert resp.status_code == 404 and "ไม่พบคำขอสิ่งอำนวยความสะดวกนี้" in page(resp)
