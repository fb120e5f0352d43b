"""Calling candidates from a published merit list and their online reporting-in (รายงานตัว).

An agency calls the next N available entries in rank order; each gets an Offer with a
reporting-in deadline, an email (the outbox) and a line on the candidate's /offers page. The
candidate accepts (uploads the documents asked for, confirms a start date) or waives the right
(สละสิทธิ์); a missed deadline lapses the offer (`flask merit expire-offers`). Waived or lapsed
entries are not replaced automatically: HR calls the next when it asks.

Two agencies can never take the same candidate: each entry is claimed with a conditional UPDATE
(available -> called), and only the caller whose UPDATE changed the row gets it. On PostgreSQL the
candidate rows are first locked in rank order with FOR UPDATE SKIP LOCKED, so two callers at the
same instant take the next entries one after the other instead of fighting over the same top ones.

An appointed candidate leaves the list the offer came from. Their entries in other lists are left
as they are: that is the default rule ("unaffected unless the round's rule says otherwise"), and
rounds have no other rule today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update

from ..accounts.models import User
from ..applications.models import Application, Document, DocumentKind
from ..applications.services import agency_may_see_application
from ..audit.services import record
from ..common.access import is_hr_of
from ..common.clock import BANGKOK, now, today_bangkok
from ..common.errors import Forbidden, NotAllowed, ValidationFailed
from ..common.i18n import writing_locale
from ..common.lookup import get_or_not_found
from ..common.thai import format_datetime
from ..common.urls import message_link
from ..extensions import db
from ..notifications.services import queue_email
from ..recruitment.models import Position
from ..uploads import services as uploads
from .entries import available_in_rank_order
from .labels import list_title
from .models import EntryStatus, ListKind, ListUseRequest, MeritEntry, MeritList, Offer, OfferStatus
from .services import get_list, usable  # H-LIST's rule: a published merit list within its validity

REPORT_DAYS_DEFAULT = 15
REPORT_DAYS_MAX = 90
CALL_MAX = 100
START_DATE_MAX_DAYS = 365
# Offers that hold one of a list-use request's vacancies.
HOLDING = (OfferStatus.PENDING, OfferStatus.ACCEPTED)

# What an offer may ask the candidate to upload, and the Document kind each is stored as.
REPORT_DOCUMENTS = {
    "id_card": DocumentKind.ID_CARD,
    "house_registration": DocumentKind.OTHER,
    "degree": DocumentKind.DEGREE,
    "transcript": DocumentKind.TRANSCRIPT,
    "photo": DocumentKind.PHOTO,
    "medical_certificate": DocumentKind.OTHER,
    "criminal_record": DocumentKind.OTHER,
}
DEFAULT_DOCUMENTS = ("id_card", "degree", "medical_certificate")


def document_label(key: str) -> str:
    labels = {
        "id_card": _("National ID card"),
        "house_registration": _("House registration"),
        "degree": _("Degree certificate"),
        "transcript": _("Transcript"),
        "photo": _("Photograph"),
        "medical_certificate": _("Medical certificate"),
        "criminal_record": _("Criminal record check"),
    }
    return labels.get(key, key)


def status_label(status: str) -> str:
    labels = {
        OfferStatus.PENDING: _("Awaiting reply"),
        OfferStatus.ACCEPTED: _("Accepted"),
        OfferStatus.WAIVED: _("Waived"),
        OfferStatus.LAPSED: _("Lapsed"),
    }
    return labels.get(status, status)


@dataclass
class Upload:
    """One file the candidate uploads for one of the offer's required documents."""

    kind: str  # a key of REPORT_DOCUMENTS
    data: bytes
    filename: str


# ---- rules shared with list use ---------------------------------------------------------------


def owner_agency_id(merit_list: MeritList) -> int:
    return merit_list.round.agency_id


@agency_may_see_application.connect
def _calling_agency_sees_the_application(application: Application, *, agency_id: int) -> bool:
    """An agency that called the candidate (e.g. through list use) sees the application's
    documents while its offer is pending or accepted."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Offer.entry_id == MeritEntry.id,
                    MeritEntry.application_id == application.id,
                    Offer.agency_id == agency_id,
                    Offer.status.in_(HOLDING),
                )
            )
        )
    )


def _on_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _list_snapshot(merit_list: MeritList) -> dict:
    return {
        "list_id": merit_list.id,
        "round_id": merit_list.round_id,
        "track": merit_list.track,
        "version": merit_list.version,
    }


def _offer_snapshot(offer: Offer) -> dict:
    return {
        "status": offer.status,
        "entry_id": offer.entry_id,
        "rank": offer.entry.rank,
        "entry_status": offer.entry.status,
        "agency_id": offer.agency_id,
        "position_id": offer.position_id,
        "list_use_id": offer.list_use_id,
        "report_by": offer.report_by,
        "start_date": offer.start_date,
        "responded_at": offer.responded_at,
        "note": offer.note,
    }


# ---- calling ----------------------------------------------------------------------------------


def report_deadline(report_days: int, at: datetime | None = None) -> datetime:
    """The end (23:59:59 Bangkok) of the day `report_days` days after today, in UTC."""
    day = (at or now()).astimezone(BANGKOK).date() + timedelta(days=report_days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=BANGKOK).astimezone(UTC)


def remaining_vacancies(request: ListUseRequest) -> int:
    """Approved vacancies not yet held by a pending or accepted offer under the request."""
    if request.status != "approved":
        return 0
    held = (
        db.session.scalar(
            select(func.count(Offer.id)).where(Offer.list_use_id == request.id, Offer.status.in_(HOLDING))
        )
        or 0
    )
    return max(0, request.vacancies - held)


def _check_call(
    merit_list: MeritList,
    actor: User,
    n,
    position_id,
    report_days,
    documents_required,
    list_use: ListUseRequest | None,
) -> tuple[Position, list]:
    if not is_hr_of(actor, actor.agency_id):
        raise Forbidden(_("Only HR staff of an agency may call candidates."))
    if list_use is None:
        if actor.agency_id != owner_agency_id(merit_list):
            raise Forbidden(
                _(
                    "Only the list's agency may call from it directly; other agencies "
                    "request to use the list first."
                )
            )
    else:
        if list_use.list_id != merit_list.id or list_use.agency_id != actor.agency_id:
            raise Forbidden(_("This list-use request is not your agency's request for this list."))
        if list_use.status != "approved":
            raise NotAllowed(_("The request to use this list has not been approved."))
    if merit_list.kind != ListKind.MERIT:
        raise NotAllowed(_("Candidates are called only from a final merit list."))
    if not usable(merit_list):
        raise NotAllowed(
            _(
                "This list can no longer be used: it is not published, has expired, "
                "was superseded or was cancelled."
            )
        )
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= CALL_MAX:
        raise ValidationFailed(_("Call from 1 to %(max)s candidates at a time.", max=CALL_MAX), "n")
    if not isinstance(report_days, int) or not 1 <= report_days <= REPORT_DAYS_MAX:
        raise ValidationFailed(
            _("The reporting-in period must be from 1 to %(max)s days.", max=REPORT_DAYS_MAX), "report_days"
        )
    documents = list(dict.fromkeys(documents_required))
    unknown = [d for d in documents if d not in REPORT_DOCUMENTS]
    if unknown:
        raise ValidationFailed(
            _("Unknown document: %(name)s.", name=", ".join(unknown)), "documents_required"
        )
    position = db.session.get(Position, position_id) if position_id else None
    if position is None:
        raise ValidationFailed(_("Choose the position to fill."), "position_id")
    if position.agency_id != actor.agency_id:
        raise Forbidden(_("The position must belong to your agency."), "position_id")
    if list_use is not None and position.id != list_use.position_id:
        raise ValidationFailed(
            _("Calls under a list-use request fill the position it was approved for."), "position_id"
        )
    return position, documents


def _claim(merit_list: MeritList, n: int) -> list[int]:
    """Claim up to n available entries in rank order; returns the ids this caller won."""
    won: list[int] = []
    tried: list[int] = []
    while len(won) < n:
        query = available_in_rank_order(merit_list, MeritEntry.id).limit(n - len(won))
        if tried:
            query = query.where(MeritEntry.id.notin_(tried))
        if _on_postgres():
            query = query.with_for_update(skip_locked=True)
        ids = db.session.scalars(query).all()
        if not ids:
            break
        for entry_id in ids:
            tried.append(entry_id)
            claimed = db.session.execute(
                update(MeritEntry)
                .where(MeritEntry.id == entry_id, MeritEntry.status == EntryStatus.AVAILABLE)
                .values(status=EntryStatus.CALLED)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                won.append(entry_id)
    return won


def call_next(
    merit_list: MeritList,
    actor: User,
    n: int,
    *,
    position_id: int,
    report_days: int = REPORT_DAYS_DEFAULT,
    documents_required: list[str] | tuple[str, ...] = DEFAULT_DOCUMENTS,
    list_use: ListUseRequest | None = None,
    ip: str = "",
) -> list[Offer]:
    """Call the next `n` available candidates of the list, in rank order, for `position_id`.

    Returns the offers made, which are fewer than `n` when fewer entries were available (the
    caller says so). One transaction: claims, offers, emails and audit entries commit together.
    """
    position, documents = _check_call(
        merit_list, actor, n, position_id, report_days, documents_required, list_use
    )
    try:
        if list_use is not None:
            if _on_postgres():  # serialize callers under one request so vacancies hold
                db.session.execute(
                    select(ListUseRequest.id).where(ListUseRequest.id == list_use.id).with_for_update()
                )
            left = remaining_vacancies(list_use)
            if left == 0:
                raise NotAllowed(
                    _("Every approved vacancy of this request already has a pending or accepted offer.")
                )
            if n > left:
                raise ValidationFailed(
                    _("Only %(left)s approved vacancies remain under this request.", left=left), "n"
                )
        won = _claim(merit_list, n)
        at = now()
        deadline = report_deadline(report_days, at)
        offers: list[Offer] = []
        entries = (
            db.session.scalars(
                select(MeritEntry)
                .where(MeritEntry.id.in_(won))
                .order_by(MeritEntry.rank)
                .execution_options(populate_existing=True)
            ).all()
            if won
            else []
        )
        for entry in entries:
            offer = Offer(
                entry_id=entry.id,
                agency_id=actor.agency_id,
                position_id=position.id,
                list_use_id=list_use.id if list_use else None,
                status=OfferStatus.PENDING,
                called_by_id=actor.id,
                called_at=at,
                report_by=deadline,
                documents_required=documents,
            )
            db.session.add(offer)
            db.session.flush()
            _queue_offer_email(offer, entry, merit_list, position)
            record(
                "offer.call",
                offer,
                actor=actor,
                ip=ip,
                after=_offer_snapshot(offer)
                | _list_snapshot(merit_list)
                | {"candidate_id": entry.candidate_id, "requested": n},
            )
            offers.append(offer)
        if len(offers) < n:
            record(
                "merit_list.call_short",
                merit_list,
                actor=actor,
                ip=ip,
                after={
                    "requested": n,
                    "called": len(offers),
                    "list_use_id": list_use.id if list_use else None,
                },
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offers


def _offers_link() -> str:
    return message_link("merit.offers_mine")


def _queue_offer_email(offer: Offer, entry: MeritEntry, merit_list: MeritList, position: Position) -> None:
    candidate = entry.candidate
    locale = writing_locale(candidate)
    with force_locale(locale):
        agency = offer.agency.name(locale) if offer.agency else ""
        title = position.title(locale)
        subject = _("You are called to report in: %(position)s, %(agency)s", position=title, agency=agency)
        docs = "\n".join(f"- {document_label(d)}" for d in offer.documents_required) or _("(none)")
        body = _(
            "Dear %(name)s,\n\n"
            '%(agency)s calls you from the list "%(list)s" (rank %(rank)s) to be appointed '
            "as %(position)s.\n\n"
            "Report in online by %(deadline)s: accept the offer, upload these documents and "
            "confirm your start date, or waive the right.\n%(docs)s\n\n"
            "If you do not answer by the deadline the offer lapses.\n\n%(link)s\n",
            name=candidate.display_name(locale),
            agency=agency,
            list=list_title(merit_list, locale),
            rank=entry.rank,
            position=title,
            deadline=format_datetime(offer.report_by, locale),
            docs=docs,
            link=_offers_link(),
        )
    queue_email(
        to=candidate.email, subject=subject, body=body, dedupe_key=f"offer:{offer.id}", user_id=candidate.id
    )


# ---- the candidate reports in -----------------------------------------------------------------


def offer_for_candidate(offer_id: int, candidate: User) -> Offer:
    offer = get_or_not_found(Offer, offer_id, _("No such offer."))
    if offer.entry.candidate_id != candidate.id:
        raise Forbidden(_("This offer is not yours."))
    return offer


def offers_of_candidate(candidate: User) -> list[Offer]:
    return list(
        db.session.scalars(
            select(Offer)
            .join(MeritEntry, Offer.entry_id == MeritEntry.id)
            .where(MeritEntry.candidate_id == candidate.id)
            .order_by(Offer.called_at.desc(), Offer.id.desc())
        )
    )


def pending_offers_count(candidate: User) -> int:
    """For a dashboard badge: offers awaiting the candidate's answer."""
    return (
        db.session.scalar(
            select(func.count(Offer.id))
            .join(MeritEntry, Offer.entry_id == MeritEntry.id)
            .where(
                MeritEntry.candidate_id == candidate.id,
                Offer.status == OfferStatus.PENDING,
                Offer.report_by >= now(),
            )
        )
        or 0
    )


def can_respond(offer: Offer, at: datetime | None = None) -> bool:
    return offer.status == OfferStatus.PENDING and (at or now()) <= offer.report_by


def _check_response(offer: Offer, candidate: User) -> datetime:
    if offer.entry.candidate_id != candidate.id:
        raise Forbidden(_("This offer is not yours."))
    if offer.status != OfferStatus.PENDING:
        raise NotAllowed(_("This offer has already been answered or has lapsed."))
    at = now()
    if at > offer.report_by:
        raise NotAllowed(_("The reporting-in deadline has passed."))
    return at


def _settle(offer: Offer, status: str, entry_status: str, at: datetime, **values) -> None:
    """Move a pending offer and its called entry on; refuses if someone else moved it first."""
    moved = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == OfferStatus.PENDING)
        .values(status=status, responded_at=at, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise NotAllowed(_("This offer has already been answered or has lapsed."))
    db.session.execute(
        update(MeritEntry)
        .where(MeritEntry.id == offer.entry_id, MeritEntry.status == EntryStatus.CALLED)
        .values(status=entry_status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(offer)
    db.session.refresh(offer.entry)


def accept_offer(
    offer: Offer, candidate: User, start_date: date | None, uploads_: list[Upload], ip: str = ""
) -> Offer:
    """Report in: the documents the offer asks for, a start date; the entry is appointed."""
    at = _check_response(offer, candidate)
    if start_date is None:
        raise ValidationFailed(_("Enter the date you can start work."), "start_date")
    today = today_bangkok()
    if start_date < today:
        raise ValidationFailed(_("The start date cannot be in the past."), "start_date")
    if start_date > today + timedelta(days=START_DATE_MAX_DAYS):
        raise ValidationFailed(_("The start date must be within a year."), "start_date")
    for up in uploads_:
        if up.kind not in offer.documents_required:
            raise ValidationFailed(_("This offer does not ask for that document."), f"doc_{up.kind}")
    given = {up.kind for up in uploads_ if up.data or up.filename}
    for kind in offer.documents_required:
        if kind not in given:
            raise ValidationFailed(
                _("Upload the document asked for: %(document)s.", document=document_label(kind)),
                f"doc_{kind}",
            )
    stored: list[tuple[str, uploads.StoredFile]] = []
    try:
        for up in uploads_:
            try:
                stored.append((up.kind, uploads.store(up.data, up.filename)))
            except ValidationFailed as err:
                raise ValidationFailed(err.message, f"doc_{up.kind}") from None
        before = _offer_snapshot(offer)
        _settle(offer, OfferStatus.ACCEPTED, EntryStatus.APPOINTED, at, start_date=start_date)
        documents = []
        for kind, sf in stored:
            doc = Document(
                owner_id=candidate.id,
                application_id=offer.entry.application_id,
                kind=REPORT_DOCUMENTS[kind],
                original_name=sf.original_name,
                stored_name=sf.stored_name,
                content_type=sf.content_type,
                size=sf.size,
                sha256=sf.sha256,
                uploaded_at=at,
            )
            db.session.add(doc)
            documents.append((kind, doc))
        db.session.flush()
        record(
            "offer.accept",
            offer,
            actor=candidate,
            ip=ip,
            before=before,
            after=_offer_snapshot(offer)
            | {
                "documents": [
                    {"requirement": kind, "document_id": d.id, "name": d.original_name, "sha256": d.sha256}
                    for kind, d in documents
                ]
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        for _kind, sf in stored:
            uploads.remove(sf.stored_name)
        raise
    return offer


def offer_documents(offer: Offer) -> list[Document]:
    """The documents uploaded when the offer was accepted (stored with its reply's time)."""
    if offer.status != OfferStatus.ACCEPTED or offer.responded_at is None:
        return []
    return list(
        db.session.scalars(
            select(Document)
            .where(
                Document.application_id == offer.entry.application_id,
                Document.owner_id == offer.entry.candidate_id,
                Document.uploaded_at == offer.responded_at,
            )
            .order_by(Document.id)
        )
    )


def waive_offer(offer: Offer, candidate: User, reason: str, ip: str = "") -> Offer:
    """สละสิทธิ์: the candidate gives up this offer; the entry is waived."""
    at = _check_response(offer, candidate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for waiving the right."), "reason")
    if len(reason) > 1000:
        raise ValidationFailed(_("Keep the reason under 1,000 characters."), "reason")
    try:
        before = _offer_snapshot(offer)
        _settle(offer, OfferStatus.WAIVED, EntryStatus.WAIVED, at, note=reason)
        record("offer.waive", offer, actor=candidate, ip=ip, before=before, after=_offer_snapshot(offer))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offer


def expire_offers(at: datetime | None = None) -> dict:
    """Lapse the pending offers whose deadline has passed. Idempotent; safe to run at once
    from several processes (each offer lapses once, whoever gets there first)."""
    at = at or now()
    due = db.session.scalars(
        select(Offer.id).where(Offer.status == OfferStatus.PENDING, Offer.report_by < at).order_by(Offer.id)
    ).all()
    counts = {"lapsed": 0, "skipped": 0}
    try:
        for offer_id in due:
            moved = db.session.execute(
                update(Offer)
                .where(Offer.id == offer_id, Offer.status == OfferStatus.PENDING)
                .values(status=OfferStatus.LAPSED, responded_at=at)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                counts["skipped"] += 1
                continue
            offer = db.session.get(Offer, offer_id)
            db.session.refresh(offer)
            db.session.execute(
                update(MeritEntry)
                .where(MeritEntry.id == offer.entry_id, MeritEntry.status == EntryStatus.CALLED)
                .values(status=EntryStatus.LAPSED)
                .execution_options(synchronize_session=False)
            )
            db.session.refresh(offer.entry)
            record("offer.lapse", offer, before={"status": OfferStatus.PENDING}, after=_offer_snapshot(offer))
            counts["lapsed"] += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


# ---- what HR sees ---------------------------------------------------------------------------


def list_usage(merit_list: MeritList) -> dict:
    """How the list has been used: entries by status, plus `called` (ever called) and
    `remaining` (still available)."""
    rows = dict(
        db.session.execute(
            select(MeritEntry.status, func.count(MeritEntry.id))
            .where(MeritEntry.list_id == merit_list.id)
            .group_by(MeritEntry.status)
        ).all()
    )
    total = sum(rows.values())
    remaining = rows.get(EntryStatus.AVAILABLE, 0)
    return {
        "total": total,
        "called": total - remaining,
        "pending": rows.get(EntryStatus.CALLED, 0),
        "appointed": rows.get(EntryStatus.APPOINTED, 0),
        "waived": rows.get(EntryStatus.WAIVED, 0),
        "lapsed": rows.get(EntryStatus.LAPSED, 0),
        "remaining": remaining,
    }


def list_for_owner(list_id: int, actor: User) -> MeritList:
    merit_list = get_list(list_id)
    if not is_hr_of(actor, owner_agency_id(merit_list)):
        raise Forbidden(_("Only HR of the list's agency may see its calls."))
    return merit_list


def offers_of_list(merit_list: MeritList, list_use: ListUseRequest | None = None) -> list[Offer]:
    query = (
        select(Offer)
        .join(MeritEntry, Offer.entry_id == MeritEntry.id)
        .where(MeritEntry.list_id == merit_list.id)
    )
    if list_use is not None:
        query = query.where(Offer.list_use_id == list_use.id)
    return list(db.session.scalars(query.order_by(Offer.called_at.desc(), MeritEntry.rank)))


def next_available(merit_list: MeritList, limit: int = 5) -> list[MeritEntry]:
    """The next entries a call would take, for HR to see before calling."""
    return list(db.session.scalars(available_in_rank_order(merit_list).limit(limit)))


def positions_of_agency(agency_id: int) -> list[Position]:
    return list(
        db.session.scalars(
            select(Position).where(Position.agency_id == agency_id).order_by(Position.title_th, Position.id)
        )
    )
