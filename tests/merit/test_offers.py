"""Calling candidates from a published merit list and their online reporting-in (รายงานตัว),
as HR and candidates do it: call the next N, accept with documents, waive, lapse, expire-offers."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.applications.models import Document
from app.audit.services import entries_for, verify_chain
from app.common import clock
from app.common.clock import BANGKOK, today_bangkok
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.extensions import db as _db
from app.merit import offers
from app.merit.cli import merit_cli
from app.merit.models import EntryStatus, ListKind, ListStatus, MeritEntry, MeritList, Offer, OfferStatus
from app.notifications.models import OutboxEmail
from tests.factories.applications import pdf_bytes
from tests.factories.merit import owner_hr, published_list
from tests.support.reading import page, statuses

# ---- builders ---------------------------------------------------------------------------------


def entry(ml: MeritList, rank: int) -> MeritEntry:
    return _db.session.scalar(select(MeritEntry).where(MeritEntry.list_id == ml.id, MeritEntry.rank == rank))


def offer_emails() -> list[OutboxEmail]:
    return list(
        _db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.dedupe_key.like("offer:%")).order_by(OutboxEmail.id)
        )
    )


def call(ml, hr, n=1, **kw):
    kw.setdefault("position_id", ml.round.position_id)
    return offers.call_next(ml, hr, n, **kw)


def accept_data(offer: Offer, start, files: dict | None = None) -> dict:
    p = f"accept{offer.id}-"
    data = {p + "start_date": start.isoformat()}
    for key in offer.documents_required:
        if files is None or key in files:
            content, name = (files or {}).get(key) or (pdf_bytes(key), f"{key}.pdf")
            data[p + f"doc_{key}"] = [(io.BytesIO(content), name)]
    return data


# ---- calling ----------------------------------------------------------------------------------


def test_owner_calls_the_next_candidates_in_rank_order_and_they_see_the_offer(app, make):
    ml = published_list(make, size=5)
    hr = owner_hr(make, ml)
    first = entry(ml, 1).candidate
    c = make.client_for(app, hr)
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok
    with clock.frozen_at(at):
        resp = c.get(f"/hr/lists/{ml.id}/offers")
        assert resp.status_code == 200
        text = page(resp)
        assert "Call the next candidates" in text and "Merit list" in text
        resp = c.post(
            f"/hr/lists/{ml.id}/offers/call",
            data={
                "n": "2",
                "position_id": str(ml.round.position_id),
                "report_days": "15",
                "documents_required": ["id_card", "medical_certificate"],
            },
            follow_redirects=True,
        )
    text = page(resp)
    assert resp.status_code == 200 and "2 candidates have been called." in text
    assert statuses(ml) == ["called", "called", "available", "available", "available"]
    made = list(_db.session.scalars(select(Offer).order_by(Offer.id)))
    assert [o.entry.rank for o in made] == [1, 2]
    o1 = made[0]
    assert o1.status == OfferStatus.PENDING and o1.agency_id == ml.round.agency_id
    assert o1.called_by_id == hr.id and o1.list_use_id is None
    assert o1.documents_required == ["id_card", "medical_certificate"]
    # The deadline is the end of the 15th day after the call, Bangkok time.
    assert o1.report_by.astimezone(BANGKOK) == datetime(2026, 3, 17, 23, 59, 59, tzinfo=BANGKOK)
    # The usage counts on the page.
    assert "Awaiting reply" in text and first.display_name("en") in text
    assert offers.list_usage(ml) == {
        "total": 5,
        "called": 2,
        "pending": 2,
        "appointed": 0,
        "waived": 0,
        "lapsed": 0,
        "remaining": 3,
    }

    emails = offer_emails()
    assert [e.dedupe_key for e in emails] == [f"offer:{o.id}" for o in made]
    assert emails[0].to_address == first.email and emails[0].user_id == first.id
    assert "17 มีนาคม 2569" in emails[0].body_text  # Thai by default, Buddhist Era
    [audit] = entries_for("offers", o1.id)
    assert audit.action == "offer.call" and audit.actor_id == hr.id

    # The candidate's dashboard lists the offer with its agency, position and deadline.
    cc = make.client_for(app, first)
    with clock.frozen_at(at + timedelta(days=1)):
        resp = cc.get("/offers")
    text = page(resp)
    assert resp.status_code == 200
    assert ml.round.agency.name_en in text and "Civil Engineer" in text
    assert "17 March 2026, 23:59" in text and "rank 1" in text
    assert "Accept and report in" in text and "Waive the right" in text
    assert "Medical certificate" in text
    # ... and their home page and "My applications" remind them, with a badge in the menu.
    with clock.frozen_at(at + timedelta(days=1)):
        for url in ("/", "/applications"):
            text = page(cc.get(url))
            assert "1 offer awaits your answer" in text and 'href="/offers"' in text
            assert 'class="badge badge-warn">1<' in text
    with clock.frozen_at(at + timedelta(days=20)):  # past the deadline: nothing to answer
        assert "awaits your answer" not in page(cc.get("/"))
    # Someone further down the list has no offer.
    other = make.client_for(app, entry(ml, 5).candidate)
    assert "You have no offers yet." in page(other.get("/offers"))
    assert "awaits your answer" not in page(other.get("/"))
    assert "badge-warn" not in page(other.get("/applications"))


def test_offer_pages_render_in_thai(app, make):
    ml = published_list(make, size=2)
    hr = owner_hr(make, ml)
    with clock.frozen_at(datetime(2026, 3, 2, 3, 0, tzinfo=UTC)):
        [offer] = call(ml, hr, 1)
        th = make.client_for(app, offer.entry.candidate, lang="th")
        resp = th.get("/offers")
    assert '<html lang="th">' in resp.text and "17 มีนาคม 2569 23:59 น." in page(resp)
    resp = make.client_for(app, hr, lang="th").get(f"/hr/lists/{ml.id}/offers")
    assert resp.status_code == 200 and ml.title_th in page(resp)
    assert "วิศวกรโยธา" in page(resp)


def test_calling_skips_entries_that_are_not_available(make):
    ml = published_list(make, size=6)
    hr = owner_hr(make, ml)
    entry(ml, 1).status = EntryStatus.APPOINTED
    entry(ml, 2).status = EntryStatus.WAIVED
    entry(ml, 4).status = EntryStatus.LAPSED
    _db.session.commit()
    made = call(ml, hr, 2)
    assert [o.entry.rank for o in made] == [3, 5]
    assert statuses(ml) == ["appointed", "waived", "called", "lapsed", "called", "available"]


def test_fewer_available_than_asked_calls_what_there_is_and_says_so(app, make):
    ml = published_list(make, size=2)
    hr = owner_hr(make, ml)
    c = make.client_for(app, hr)
    form = {
        "n": "5",
        "position_id": str(ml.round.position_id),
        "report_days": "10",
        "documents_required": ["id_card"],
    }
    resp = c.post(f"/hr/lists/{ml.id}/offers/call", data=form, follow_redirects=True)
    assert "Only 2 of the 5 candidates asked for could be called" in page(resp)
    assert _db.session.scalar(select(func.count(Offer.id))) == 2
    resp = c.post(f"/hr/lists/{ml.id}/offers/call", data=form, follow_redirects=True)
    assert "No candidate is available on this list: nobody was called." in page(resp)
    assert _db.session.scalar(select(func.count(Offer.id))) == 2
    assert [e.action for e in entries_for("merit_lists", ml.id)] == ["merit_list.call_short"] * 2


def test_calling_refusals(app, make):
    ml = published_list(make, size=3)
    hr = owner_hr(make, ml)
    stranger = make.hr(make.agency())
    # Another agency's HR may neither see nor call the list directly.
    sc = make.client_for(app, stranger)
    assert sc.get(f"/hr/lists/{ml.id}/offers").status_code == 403
    resp = sc.post(f"/hr/lists/{ml.id}/offers/call", data={"n": "1", "position_id": "1", "report_days": "15"})
    assert resp.status_code == 403
    with pytest.raises(Forbidden):
        call(ml, stranger, 1, position_id=make.position(stranger.agency).id)
    # A candidate is not HR.
    cand = make.client_for(app, make.candidate())
    assert cand.get(f"/hr/lists/{ml.id}/offers").status_code == 403
    # Bad input: the message shows next to the field.
    c = make.client_for(app, hr)
    resp = c.post(
        f"/hr/lists/{ml.id}/offers/call",
        data={"n": "0", "position_id": str(ml.round.position_id), "report_days": "15"},
    )
    assert resp.status_code == 422 and "From 1 to 100." in page(resp)
    resp = c.post(
        f"/hr/lists/{ml.id}/offers/call",
        data={"n": "1", "position_id": str(ml.round.position_id), "report_days": "400"},
    )
    assert resp.status_code == 422 and "From 1 to 90 days." in page(resp)
    with pytest.raises(Forbidden) as err:  # a position of another agency
        call(ml, hr, 1, position_id=make.position(make.agency()).id)
    assert err.value.field == "position_id"
    with pytest.raises(ValidationFailed):
        call(ml, hr, 1, documents_required=["passport"])
    assert statuses(ml) == ["available"] * 3

    # Expired, cancelled, draft and non-merit lists cannot be used.
    expired = published_list(make, size=1, valid_days=-1)
    resp = make.client_for(app, owner_hr(make, expired)).post(
        f"/hr/lists/{expired.id}/offers/call",
        data={"n": "1", "position_id": str(expired.round.position_id), "report_days": "15"},
    )
    assert resp.status_code == 409
    assert "This list can no longer be used" in page(resp)
    for bad in (
        published_list(make, size=1, status=ListStatus.CANCELLED),
        published_list(make, size=1, status=ListStatus.DRAFT),
        published_list(make, size=1, status=ListStatus.SUPERSEDED),
        published_list(make, size=1, kind=ListKind.ELIGIBLE),
    ):
        with pytest.raises(NotAllowed):
            call(bad, owner_hr(make, bad), 1)
    assert _db.session.scalar(select(func.count(Offer.id))) == 0


# ---- reporting in ------------------------------------------------------------------------------


def test_candidate_accepts_with_a_real_pdf_and_is_appointed(app, make):
    person = make.candidate()
    ml = published_list(make, size=3, candidates=[person])
    other_list = published_list(make, size=2, candidates=[person])  # another round's list
    hr = owner_hr(make, ml)
    [offer] = call(ml, hr, 1, documents_required=["id_card", "medical_certificate"])
    c = make.client_for(app, person)
    start = today_bangkok() + timedelta(days=30)
    pdf = pdf_bytes("ใบรับรองแพทย์")
    data = accept_data(
        offer,
        start,
        {"id_card": (pdf_bytes("ID"), "บัตรประชาชน.pdf"), "medical_certificate": (pdf, "ใบรับรองแพทย์.pdf")},
    )
    resp = c.post(
        f"/offers/{offer.id}/accept", data=data, content_type="multipart/form-data", follow_redirects=True
    )
    text = page(resp)
    assert resp.status_code == 200 and "You have reported in for Civil Engineer" in text
    assert "Accepted" in text and "Accept and report in" not in text
    _db.session.refresh(offer)
    assert offer.status == OfferStatus.ACCEPTED and offer.start_date == start
    assert entry(ml, 1).status == EntryStatus.APPOINTED
    # The candidate's place in another list is unaffected (the default rule).
    assert entry(other_list, 1).status == EntryStatus.AVAILABLE

    docs = list(_db.session.scalars(select(Document).order_by(Document.id)))
    assert [(d.kind, d.original_name) for d in docs] == [
        ("id_card", "บัตรประชาชน.pdf"),
        ("other", "ใบรับรองแพทย์.pdf"),
    ]
    assert all(d.application_id == entry(ml, 1).application_id and d.owner_id == person.id for d in docs)
    assert docs[1].content_type == "application/pdf"
    assert docs[1].sha256 == hashlib.sha256(pdf).hexdigest()
    stored = Path(app.config["UPLOAD_DIR"]) / docs[1].stored_name
    assert stored.read_bytes() == pdf
    assert [d.id for d in offers.offer_documents(offer)] == [d.id for d in docs]
    audit = entries_for("offers", offer.id)
    assert [a.action for a in audit] == ["offer.call", "offer.accept"]
    assert audit[-1].actor_id == person.id
    assert [d["requirement"] for d in audit[-1].after["documents"]] == ["id_card", "medical_certificate"]
    # HR sees the reply, the start date and the files, and the usage counts.
    resp = make.client_for(app, hr).get(f"/hr/lists/{ml.id}/offers")
    text = page(resp)
    assert "ใบรับรองแพทย์.pdf" in text and f"/documents/{docs[1].id}" in text
    assert offers.list_usage(ml)["appointed"] == 1
    # The offer cannot be answered twice.
    with pytest.raises(NotAllowed):
        offers.waive_offer(offer, person, "changed my mind")


def test_accepting_refusals_keep_the_offer_open_and_store_nothing(app, make):
    person = make.candidate()
    ml = published_list(make, size=2, candidates=[person])
    [offer] = call(ml, owner_hr(make, ml), 1, documents_required=["id_card", "degree"])
    c = make.client_for(app, person)
    url = f"/offers/{offer.id}/accept"
    files_before = set(Path(app.config["UPLOAD_DIR"]).iterdir())
    start = today_bangkok() + timedelta(days=10)
    p = f"accept{offer.id}-"

    resp = c.post(url, data=accept_data(offer, start, {"id_card": None}), content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "Upload the document asked for: Degree certificate." in page(resp)

    resp = c.post(
        url,
        data=accept_data(offer, start, {"id_card": (b"just text, honest", "id.pdf"), "degree": None}),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "id.pdf is not a PDF, JPEG or PNG file." in page(resp)

    resp = c.post(
        url, data=accept_data(offer, today_bangkok() - timedelta(days=1)), content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and "The start date cannot be in the past." in page(resp)

    resp = c.post(url, data={p + "start_date": ""}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "Enter the date you can start work." in page(resp)

    # Someone else cannot answer the offer.
    intruder = make.client_for(app, make.candidate())
    resp = intruder.post(url, data=accept_data(offer, start), content_type="multipart/form-data")
    assert resp.status_code == 403
    assert (
        intruder.post(f"/offers/{offer.id}/waive", data={f"waive{offer.id}-reason": "x"}).status_code == 403
    )
    assert make.client_for(app, owner_hr(make, ml)).get("/offers").status_code == 403

    _db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING and entry(ml, 1).status == EntryStatus.CALLED
    assert _db.session.scalar(select(func.count(Document.id))) == 0
    assert set(Path(app.config["UPLOAD_DIR"]).iterdir()) == files_before

    # After the deadline nothing can be answered any more.
    with clock.frozen_at(offer.report_by + timedelta(seconds=1)):
        resp = c.post(
            url, data=accept_data(offer, start + timedelta(days=30)), content_type="multipart/form-data"
        )
        assert resp.status_code == 409 and "The reporting-in deadline has passed." in page(resp)
        assert "The deadline has passed; the offer will lapse." in page(c.get("/offers"))


def test_candidate_waives_and_hr_calls_the_next_when_it_asks(app, make):
    ml = published_list(make, size=3)
    hr = owner_hr(make, ml)
    [offer] = call(ml, hr, 1)
    person = offer.entry.candidate
    c = make.client_for(app, person)
    field = f"waive{offer.id}-reason"
    resp = c.post(f"/offers/{offer.id}/waive", data={field: "  "})
    assert resp.status_code == 422 and "Give a reason." in page(resp)
    # First the confirmation, saying what waiving does; the offer stands meanwhile.
    asked = c.post(f"/offers/{offer.id}/waive", data={field: "ได้งานที่อื่นแล้ว"})
    assert asked.status_code == 200 and "Waive the offer for Civil Engineer?" in page(asked)
    assert "This cannot be undone." in page(asked) and "ได้งานที่อื่นแล้ว" in asked.get_data(as_text=True)
    _db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING
    resp = c.post(
        f"/offers/{offer.id}/waive", data={field: "ได้งานที่อื่นแล้ว", "confirm": "yes"}, follow_redirects=True
    )
    text = page(resp)
    assert "You have waived the offer for Civil Engineer." in text and "ได้งานที่อื่นแล้ว" in text
    _db.session.refresh(offer)
    assert offer.status == OfferStatus.WAIVED and offer.note == "ได้งานที่อื่นแล้ว"
    # Nobody is called automatically.
    assert statuses(ml) == ["waived", "available", "available"]
    assert [a.action for a in entries_for("offers", offer.id)] == ["offer.call", "offer.waive"]
    [nxt] = call(ml, hr, 1)
    assert nxt.entry.rank == 2
    text = page(make.client_for(app, hr).get(f"/hr/lists/{ml.id}/offers"))
    assert "ได้งานที่อื่นแล้ว" in text and "Waived" in text


def test_expire_offers_lapses_missed_deadlines_once(app, make):
    ml = published_list(make, size=4)
    hr = owner_hr(make, ml)
    t0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    with clock.frozen_at(t0):
        short = call(ml, hr, 1, report_days=3)[0]
        long_ = call(ml, hr, 1, report_days=20)[0]
    with clock.frozen_at(short.report_by):  # the last second still counts
        assert offers.expire_offers() == {"lapsed": 0, "skipped": 0}
    with clock.frozen_at(short.report_by + timedelta(seconds=1)):
        assert offers.expire_offers() == {"lapsed": 1, "skipped": 0}
        assert offers.expire_offers() == {"lapsed": 0, "skipped": 0}
        text = page(make.client_for(app, short.entry.candidate).get("/offers"))
        assert "Lapsed" in text and "The deadline passed without an answer." in text
        with pytest.raises(NotAllowed):
            offers.accept_offer(short, short.entry.candidate, today_bangkok(), [])
    _db.session.refresh(short)
    _db.session.refresh(long_)
    assert short.status == OfferStatus.LAPSED and long_.status == OfferStatus.PENDING
    assert statuses(ml) == ["lapsed", "called", "available", "available"]
    assert [a.action for a in entries_for("offers", short.id)] == ["offer.call", "offer.lapse"]
    assert offers.list_usage(ml)["lapsed"] == 1
    assert len(offer_emails()) == 2  # the offers' emails, each once


def test_expire_offers_cli_is_safe_to_run_again_and_again(runner, make):
    ml = published_list(make, size=3)
    made = call(ml, owner_hr(make, ml), 2, report_days=1)
    later = made[0].report_by + timedelta(minutes=5)
    with clock.frozen_at(later):
        first = runner.invoke(merit_cli, ["expire-offers"])
        again = runner.invoke(merit_cli, ["expire-offers"])
    assert first.exit_code == 0 and "lapsed 2" in first.output
    assert again.exit_code == 0 and "lapsed 0" in again.output
    assert statuses(ml) == ["lapsed", "lapsed", "available"]
    assert (
        _db.session.scalar(select(func.count()).select_from(Offer).where(Offer.status == OfferStatus.LAPSED))
        == 2
    )
    assert verify_chain().ok


def test_emails_are_queued_once_per_offer_and_only_with_the_call(make, monkeypatch):
    ml = published_list(make, size=3)
    hr = owner_hr(make, ml)
    # A call that fails after claiming leaves no offer, no email and no claimed entry.
    import app.merit.offers as module

    def broken(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(module, "record", broken)
    with pytest.raises(RuntimeError):
        call(ml, hr, 2)
    monkeypatch.undo()
    assert statuses(ml) == ["available"] * 3 and offer_emails() == []
    made = call(ml, hr, 2)
    assert len(offer_emails()) == 2
    # Queuing an offer's email again (e.g. a retried job) does not add a second message.
    module._queue_offer_email(made[0], made[0].entry, ml, made[0].position)
    _db.session.commit()
    assert len(offer_emails()) == 2
