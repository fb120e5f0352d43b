"""List use across agencies (การขอใช้บัญชี): browse, request, approve or reject, call within the
approved vacancies; and two agencies calling from one list never take the same candidate."""

from __future__ import annotations

import hashlib
import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.applications.models import Document
from app.audit.models import AuditEntry
from app.audit.services import entries_for, verify_chain
from app.common import clock
from app.common.clock import today_bangkok
from app.common.errors import Forbidden, NotAllowed, ValidationFailed
from app.extensions import db as _db
from app.merit import list_use, offers
from app.merit.models import (
    EntryStatus,
    ListStatus,
    ListUseRequest,
    MeritEntry,
    MeritList,
    Offer,
    OfferStatus,
)
from app.notifications.models import OutboxEmail
from app.uploads import services as uploads
from tests.factories.applications import pdf_bytes
from tests.factories.merit import owner_hr, published_list
from tests.support.database import IS_POSTGRES
from tests.support.reading import page, statuses

# ---- builders ---------------------------------------------------------------------------------


def other_agency(make, title_th="วิศวกรโยธา", title_en="Civil Engineer"):
    """Another agency with an HR officer and a position of its own."""
    agency = make.agency()
    return agency, make.hr(agency), make.position(agency, title_th=title_th, title_en=title_en)


def approved_request(make, ml, vacancies=3):
    agency, hr, position = other_agency(make)
    req = list_use.request_list_use(ml, hr, position.id, vacancies, "ขาดแคลนวิศวกรโยธา")
    list_use.decide_list_use(req, owner_hr(make, ml), True, "")
    return req, hr


def use_call(req, hr, n=1, **kw):
    return offers.call_next(req.merit_list, hr, n, position_id=req.position_id, list_use=req, **kw)


def no_entry_offered_twice() -> None:
    twice = _db.session.execute(
        select(Offer.entry_id, func.count(Offer.id)).group_by(Offer.entry_id).having(func.count(Offer.id) > 1)
    ).all()
    assert twice == []


# ---- browsing ---------------------------------------------------------------------------------


def test_hr_of_another_agency_browses_the_usable_lists_with_filters(app, make):
    civil = published_list(make, size=2)
    civil.round.position.qualifications_th = "ปริญญาตรี สาขาวิศวกรรมโยธา"
    computer_agency = make.agency()
    computer = published_list(
        make,
        computer_agency,
        size=2,
        position=make.position(
            computer_agency, title_th="นักวิชาการคอมพิวเตอร์", title_en="Computer Technical Officer"
        ),
    )
    computer.round.position.qualifications_th = "ปริญญาตรี สาขาวิทยาการคอมพิวเตอร์"
    _db.session.commit()
    hidden = [
        published_list(make, size=1, valid_days=-1),
        published_list(make, size=1, status=ListStatus.DRAFT),
        published_list(make, size=1, status=ListStatus.CANCELLED),
        published_list(make, size=1, status=ListStatus.SUPERSEDED),
    ]
    _agency, hr, _pos = other_agency(make)
    c = make.client_for(app, hr)

    text = page(c.get("/hr/list-use"))
    assert civil.title_en in text and computer.title_en in text
    assert all(ml.title_en not in text for ml in hidden)
    assert "Request to use" in text and "Your agency has not asked to use any list yet." in text

    text = page(c.get("/hr/list-use", query_string={"position": "computer"}))
    assert computer.title_en in text and civil.title_en not in text
    text = page(c.get("/hr/list-use", query_string={"position": "ปฏิบัติการ"}))  # the level
    assert computer.title_en in text and civil.title_en in text
    text = page(c.get("/hr/list-use", query_string={"qualification": "โยธา"}))
    assert civil.title_en in text and computer.title_en not in text
    text = page(c.get("/hr/list-use", query_string={"agency_id": computer_agency.id}))
    assert computer.title_en in text and civil.title_en not in text
    text = page(c.get("/hr/list-use", query_string={"position": "ไม่มีตำแหน่งนี้%"}))
    assert "No usable list matches." in text

    # The owner sees its own list marked as such, not as something to request.
    text = page(make.client_for(app, owner_hr(make, civil)).get("/hr/list-use"))
    assert "Your agency's list" in text
    # Candidates have no business here.
    assert make.client_for(app, make.candidate()).get("/hr/list-use").status_code == 403


# ---- requesting and deciding ------------------------------------------------------------------


def test_another_agency_requests_the_owner_approves_and_it_calls_in_rank_order(app, make):
    ml = published_list(make, size=4)
    entry(ml, 1).status = EntryStatus.APPOINTED  # already taken by the owner
    _db.session.commit()
    agency, hr, position = other_agency(make)
    c = make.client_for(app, hr)
    resp = c.get(f"/hr/list-use/lists/{ml.id}/request")
    assert resp.status_code == 200 and ml.title_en in page(resp)
    resp = c.post(
        f"/hr/list-use/lists/{ml.id}/request",
        data={"position_id": str(position.id), "vacancies": "2", "justification": "เขตขาดวิศวกรโยธา 2 อัตรา"},
        follow_redirects=True,
    )
    text = page(resp)
    assert "Your request has been sent to" in text and "Awaiting decision" in text
    req = _db.session.scalar(select(ListUseRequest))
    assert (req.status, req.agency_id, req.position_id, req.vacancies) == (
        "pending",
        agency.id,
        position.id,
        2,
    )
    assert [a.action for a in entries_for("list_use_requests", req.id)] == ["list_use.request"]
    # Not approved yet: no calling.
    with pytest.raises(NotAllowed):
        use_call(req, hr)

    owner = owner_hr(make, ml)
    oc = make.client_for(app, owner)
    text = page(oc.get(f"/hr/lists/{ml.id}/offers"))
    assert "Requests from other agencies to use this list" in text
    assert "เขตขาดวิศวกรโยธา 2 อัตรา" in text and agency.name_en in text
    # Approving asks first, naming what will happen; the unconfirmed post decides nothing.
    asked = oc.post(f"/hr/list-use/requests/{req.id}/decide", data={f"decide{req.id}-approve": "Approve"})
    assert "Approve this request?" in page(asked) and "will be allowed to call up to 2 candidates" in page(
        asked
    )
    _db.session.refresh(req)
    assert req.status == "pending"
    resp = oc.post(
        f"/hr/list-use/requests/{req.id}/decide",
        data={f"decide{req.id}-approve": "Approve", "confirm": "yes"},
        follow_redirects=True,
    )
    assert f"The request of {agency.name_en} has been approved." in page(resp)
    _db.session.refresh(req)
    assert req.status == "approved" and req.decided_by_id == owner.id
    [mail] = _db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == hr.id))
    assert mail.dedupe_key == f"list-use:{req.id}:approved"

    text = page(c.get(f"/hr/list-use/requests/{req.id}"))
    assert "2 of the approved vacancies have no pending or accepted offer yet." in text
    resp = c.post(
        f"/hr/list-use/requests/{req.id}/call",
        data={"n": "1", "report_days": "10", "documents_required": ["id_card"]},
        follow_redirects=True,
    )
    text = page(resp)
    assert "1 candidate has been called." in text
    [offer] = _db.session.scalars(select(Offer))
    assert offer.entry.rank == 2  # rank 1 was no longer available
    assert (offer.agency_id, offer.position_id, offer.list_use_id) == (agency.id, position.id, req.id)
    assert "1 of the approved vacancies" in text
    # The candidate sees the calling agency; the owner sees who called whom.
    ct = page(make.client_for(app, offer.entry.candidate).get("/offers"))
    assert agency.name_en in ct
    ot = page(oc.get(f"/hr/lists/{ml.id}/offers"))
    assert agency.name_en in ot and offer.entry.candidate.display_name("en") in ot
    assert offers.list_usage(ml)["remaining"] == 2
    assert [a.action for a in entries_for("list_use_requests", req.id)] == [
        "list_use.request",
        "list_use.approve",
    ]
    # The requester's page lists its requests with their status.
    assert "Approved" in page(c.get("/hr/list-use"))


def entry(ml, rank):
    return _db.session.scalar(select(MeritEntry).where(MeritEntry.list_id == ml.id, MeritEntry.rank == rank))


def test_the_owner_rejects_with_a_reason(app, make):
    ml = published_list(make, size=2)
    agency, hr, position = other_agency(make)
    req = list_use.request_list_use(ml, hr, position.id, 1, "ขอใช้บัญชี")
    oc = make.client_for(app, owner_hr(make, ml))
    url = f"/hr/list-use/requests/{req.id}/decide"
    resp = oc.post(url, data={f"decide{req.id}-reject": "Reject", f"decide{req.id}-reason": " "})
    assert resp.status_code == 422
    assert "Give the reason for rejecting the request." in page(resp)
    _db.session.refresh(req)
    assert req.status == "pending"
    resp = oc.post(
        url,
        data={
            f"decide{req.id}-reject": "Reject",
            f"decide{req.id}-reason": "ตำแหน่งไม่เทียบเท่า",
            "confirm": "yes",
        },
        follow_redirects=True,
    )
    assert f"The request of {agency.name_en} has been rejected." in page(resp)
    _db.session.refresh(req)
    assert req.status == "rejected" and req.decision_reason == "ตำแหน่งไม่เทียบเท่า"
    text = page(make.client_for(app, hr).get("/hr/list-use"))
    assert "Rejected" in text and "ตำแหน่งไม่เทียบเท่า" in text
    assert (
        _db.session.scalar(select(OutboxEmail.dedupe_key).where(OutboxEmail.user_id == hr.id))
        == f"list-use:{req.id}:rejected"
    )
    # Decided once: no second decision, and no calling under a rejected request.
    resp = oc.post(url, data={f"decide{req.id}-approve": "Approve"})
    assert resp.status_code == 409 and "already been decided" in page(resp)
    with pytest.raises(NotAllowed):
        use_call(req, hr)
    assert [a.action for a in entries_for("list_use_requests", req.id)] == [
        "list_use.request",
        "list_use.reject",
    ]


def test_request_and_decision_refusals(app, make):
    ml = published_list(make, size=2)
    owner = owner_hr(make, ml)
    agency, hr, position = other_agency(make)
    c = make.client_for(app, hr)
    url = f"/hr/list-use/lists/{ml.id}/request"
    good = {"position_id": str(position.id), "vacancies": "1", "justification": "ขอใช้"}

    # Its own list: the owner calls directly.
    own_pos = make.position(ml.round.agency)
    resp = make.client_for(app, owner).post(url, data=good | {"position_id": str(own_pos.id)})
    assert resp.status_code == 409 and "This is your own agency's list" in page(resp)
    # An unusable list.
    expired = published_list(make, size=1, valid_days=-1)
    resp = c.post(f"/hr/list-use/lists/{expired.id}/request", data=good)
    assert resp.status_code == 409 and "This list can no longer be used" in page(resp)
    # Another agency's position (not in the form's choices; the service refuses it too).
    foreign = make.position(make.agency())
    resp = c.post(url, data=good | {"position_id": str(foreign.id)})
    assert resp.status_code == 422 and "Not a valid choice" in page(resp)
    with pytest.raises(Forbidden) as err:
        list_use.request_list_use(ml, hr, foreign.id, 1, "ขอใช้")
    assert err.value.field == "position_id"
    # Bad input.
    resp = c.post(url, data=good | {"justification": ""})
    assert resp.status_code == 422 and "Explain why your agency needs this list." in page(resp)
    resp = c.post(url, data=good | {"vacancies": "0"})
    assert resp.status_code == 422 and "From 1 to 500." in page(resp)
    with pytest.raises(ValidationFailed):
        list_use.request_list_use(ml, hr, position.id, 0, "ขอใช้")
    # A candidate is not HR.
    assert make.client_for(app, make.candidate()).post(url, data=good).status_code == 403
    assert _db.session.scalar(select(func.count(ListUseRequest.id))) == 0

    # One pending request per list and position.
    assert c.post(url, data=good).status_code == 302
    resp = c.post(url, data=good)
    assert resp.status_code == 409 and "already has a request" in page(resp)
    req = _db.session.scalar(select(ListUseRequest))
    # Only the owner's HR decides.
    for stranger in (hr, make.hr(make.agency())):
        resp = make.client_for(app, stranger).post(
            f"/hr/list-use/requests/{req.id}/decide", data={f"decide{req.id}-approve": "1", "confirm": "yes"}
        )
        assert resp.status_code == 403
    # Another agency cannot see the request's page; the requester can.
    assert (
        make.client_for(app, make.hr(make.agency())).get(f"/hr/list-use/requests/{req.id}").status_code == 403
    )
    assert c.get(f"/hr/list-use/requests/{req.id}").status_code == 200


def test_calls_under_a_request_stay_within_its_approved_vacancies(app, make):
    ml = published_list(make, size=6)
    req, hr = approved_request(make, ml, vacancies=2)
    with pytest.raises(ValidationFailed) as err:
        use_call(req, hr, 3)
    assert "Only 2 approved vacancies remain" in err.value.message
    first, second = use_call(req, hr, 2)
    assert [first.entry.rank, second.entry.rank] == [1, 2]
    c = make.client_for(app, hr)
    resp = c.post(f"/hr/list-use/requests/{req.id}/call", data={"n": "1", "report_days": "15"})
    assert resp.status_code == 409 and "Every approved vacancy of this request" in page(resp)
    # A waiver frees the vacancy; an accepted offer keeps holding it.
    offers.waive_offer(first, first.entry.candidate, "ไม่สะดวก")
    assert offers.remaining_vacancies(req) == 1
    [third] = use_call(req, hr, 1)
    assert third.entry.rank == 3
    assert offers.remaining_vacancies(req) == 0
    # The position is the one approved; another agency cannot use this request.
    req2, hr2 = approved_request(make, ml, vacancies=5)
    with pytest.raises(Forbidden):
        use_call(req, hr2)
    with pytest.raises(ValidationFailed):
        offers.call_next(ml, hr2, 1, position_id=make.position(hr2.agency).id, list_use=req2)
    # The owner itself is not limited by the requests' vacancies.
    owner = owner_hr(make, ml)
    assert [o.entry.rank for o in offers.call_next(ml, owner, 3, position_id=ml.round.position_id)] == [
        4,
        5,
        6,
    ]
    assert statuses(ml) == ["waived", "called", "called", "called", "called", "called"]


def application_document(person, entry_, text: str) -> Document:
    """A PDF the candidate attached to the application (the applying journey is elsewhere)."""
    sf = uploads.store(pdf_bytes(text), f"{text}.pdf")
    doc = Document(
        owner_id=person.id,
        application_id=entry_.application_id,
        kind="transcript",
        original_name=sf.original_name,
        stored_name=sf.stored_name,
        content_type=sf.content_type,
        size=sf.size,
        sha256=sf.sha256,
    )
    _db.session.add(doc)
    _db.session.commit()
    return doc


def test_an_agency_that_called_a_candidate_downloads_their_application_documents(app, make):
    ml = published_list(make, size=3)
    req, hr = approved_request(make, ml, vacancies=2)
    first, second = entry(ml, 1), entry(ml, 2)
    transcript = application_document(first.candidate, first, "transcript-1")
    other = application_document(second.candidate, second, "transcript-2")
    c = make.client_for(app, hr)
    outsider = make.client_for(app, make.hr(make.agency()))
    # Not called yet: the documents are the owner agency's business only.
    assert c.get(f"/documents/{transcript.id}").status_code == 403
    assert make.client_for(app, owner_hr(make, ml)).get(f"/documents/{transcript.id}").status_code == 200

    [offer] = use_call(req, hr, 1, documents_required=["medical_certificate"])
    resp = c.get(f"/documents/{transcript.id}")
    assert resp.status_code == 200 and hashlib.sha256(resp.data).hexdigest() == transcript.sha256
    assert c.get(f"/documents/{other.id}").status_code == 403  # rank 2 was not called
    assert outsider.get(f"/documents/{transcript.id}").status_code == 403
    # The candidate reports in: the calling agency sees the new file on its request's page.
    offers.accept_offer(
        offer,
        first.candidate,
        today_bangkok() + timedelta(days=20),
        [offers.Upload("medical_certificate", pdf_bytes("ใบรับรองแพทย์"), "ใบรับรองแพทย์.pdf")],
    )
    [medical] = offers.offer_documents(offer)
    text = page(c.get(f"/hr/list-use/requests/{req.id}"))
    assert "ใบรับรองแพทย์.pdf" in text and f"/documents/{medical.id}" in text
    assert c.get(f"/documents/{medical.id}").status_code == 200
    assert c.get(f"/documents/{transcript.id}").status_code == 200

    # A waived offer no longer opens the candidate's file.
    [offer2] = use_call(req, hr, 1)
    assert c.get(f"/documents/{other.id}").status_code == 200
    offers.waive_offer(offer2, second.candidate, "ไม่สะดวก")
    assert c.get(f"/documents/{other.id}").status_code == 403


# ---- two agencies, one list -------------------------------------------------------------------


def test_two_agencies_taking_turns_never_take_the_same_candidate(make):
    """The light version (any database): the two agencies call one after the other."""
    ml = published_list(make, size=40)
    owner = owner_hr(make, ml)
    req, user = approved_request(make, ml, vacancies=40)
    rng = random.Random(7)
    taken: dict[str, list[int]] = {"owner": [], "user": []}
    while True:
        got_any = False
        for name in ("owner", "user"):
            n = rng.randint(1, 3)
            if name == "owner":
                made = offers.call_next(ml, owner, n, position_id=ml.round.position_id)
            else:
                left = offers.remaining_vacancies(req)
                made = use_call(req, user, min(n, left)) if left else []
            ranks = [o.entry.rank for o in made]
            assert ranks == sorted(ranks)
            taken[name] += ranks
            got_any = got_any or bool(made)
        if not got_any:
            break
    assert sorted(taken["owner"] + taken["user"]) == list(range(1, 41))
    assert not set(taken["owner"]) & set(taken["user"])
    no_entry_offered_twice()
    assert offers.list_usage(ml)["remaining"] == 0
    assert offers.list_usage(ml)["pending"] == 40


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason=(
        "the concurrent-call test needs PostgreSQL (row locks, real concurrent transactions): run "
        "with DATABASE_URL=postgresql+psycopg://... ; SQLite serializes all writers"
    ),
)
def test_two_agencies_calling_at_the_same_instant_never_take_the_same_candidate(app, make):
    ml = published_list(make, size=40)
    owner = owner_hr(make, ml)
    req, user = approved_request(make, ml, vacancies=40)
    ids = {"list": ml.id, "position": ml.round.position_id, "req": req.id, "req_position": req.position_id}
    rounds = 20
    barrier = threading.Barrier(2)
    taken: dict[str, list[list[int]]] = {"owner": [], "user": []}
    errors: list[BaseException] = []

    def agency_calls(name: str, user_id: int, use_id: int | None, position_id: int, n: int, rounds: int):
        with app.app_context():  # its own session and connection, as another process would
            try:
                for _round in range(rounds):
                    barrier.wait(timeout=30)  # both agencies call at the same instant
                    _db.session.expire_all()
                    merit_list = _db.session.get(MeritList, ids["list"])
                    actor = _db.session.get(User, user_id)
                    use = _db.session.get(ListUseRequest, use_id) if use_id else None
                    made = offers.call_next(merit_list, actor, n, position_id=position_id, list_use=use)
                    taken[name].append([o.entry.rank for o in made])
            except BaseException as exc:  # report it in the main thread
                errors.append(exc)
                barrier.abort()
            finally:
                _db.session.remove()

    def run(n: int, rounds: int):
        threads = [
            threading.Thread(target=agency_calls, args=("owner", owner.id, None, ids["position"], n, rounds)),
            threading.Thread(
                target=agency_calls, args=("user", user.id, ids["req"], ids["req_position"], n, rounds)
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert not errors, errors

    # 20 rounds of one call each at the same instant: each round takes the next two ranks.
    run(1, rounds)
    for k in range(rounds):
        assert sorted(taken["owner"][k] + taken["user"][k]) == [2 * k + 1, 2 * k + 2]
    _db.session.expire_all()
    no_entry_offered_twice()
    assert _db.session.scalar(select(func.count(Offer.id))) == 40
    assert statuses(ml) == ["called"] * 40
    owner_offers = _db.session.scalar(select(func.count(Offer.id)).where(Offer.list_use_id.is_(None)))
    assert owner_offers == sum(len(r) for r in taken["owner"]) == 40 - sum(len(r) for r in taken["user"])
    assert (
        _db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.dedupe_key.like("offer:%")))
        == 40
    )
    assert verify_chain().ok
    assert offers.list_usage(ml) == {
        "total": 40,
        "called": 40,
        "pending": 40,
        "appointed": 0,
        "waived": 0,
        "lapsed": 0,
        "remaining": 0,
    }

    # A second list, bigger calls (3 at a time) racing until it is empty and beyond: the
    # last calls find fewer than asked, then none.
    ml2 = published_list(make, size=40, agency=ml.round.agency)
    req2 = list_use.request_list_use(ml2, user, req.position_id, 40, "ขอใช้บัญชีที่สอง")
    list_use.decide_list_use(req2, owner, True, "")
    ids.update({"list": ml2.id, "position": ml2.round.position_id, "req": req2.id})
    taken.update({"owner": [], "user": []})
    run(3, 8)
    _db.session.expire_all()
    ranks = [r for calls in taken["owner"] + taken["user"] for r in calls]
    assert sorted(ranks) == list(range(1, 41))  # every entry once, none twice
    no_entry_offered_twice()
    assert statuses(ml2) == ["called"] * 40
    assert all(o.status == OfferStatus.PENDING for o in _db.session.scalars(select(Offer)))
    assert verify_chain().ok

    # Two cron runs of expire-offers at once lapse each offer exactly once.
    counts: list[dict] = []
    clock.set_now(max(o.report_by for o in _db.session.scalars(select(Offer))) + timedelta(minutes=1))

    def cron():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                counts.append(offers.expire_offers())
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()
            finally:
                _db.session.remove()

    barrier.reset()
    runs = [threading.Thread(target=cron) for _ in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(c["lapsed"] for c in counts) == 80
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count(Offer.id)).where(Offer.status == OfferStatus.LAPSED)) == 80
    lapses = _db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "offer.lapse"))
    assert lapses == 80 and verify_chain().ok
