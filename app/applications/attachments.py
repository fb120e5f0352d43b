"""An application's documents: storing what the candidate uploads (while applying, or added later
while allowed), which documents a round expects and which are missing."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..common.errors import DomainError, Forbidden, NotAllowed, ValidationFailed
from ..extensions import db
from ..recruitment.models import Mode, Round
from ..uploads import services as uploads
from .models import (
    Application,
    Document,
    DocumentKind,
)
from .services import ACTIVE, WITHDRAWABLE_ROUND_STATES, Upload, new_document


def add_document_refusal(app_: Application, user: User) -> DomainError | None:
    """Why `user` may not add a document to `app_` now, or None if they may."""
    if app_.candidate_id != user.id:
        return Forbidden(_("This is not your application."))
    if app_.status not in ACTIVE or app_.round.status not in WITHDRAWABLE_ROUND_STATES:
        return NotAllowed(_("Documents can no longer be added to this application."))
    return None


def add_document(app_: Application, user: User, upload: Upload, ip: str = "") -> Document:
    refusal = add_document_refusal(app_, user)
    if refusal:
        raise refusal
    if upload.kind not in DocumentKind.ALL:
        raise ValidationFailed(_("Unknown document type."), "kind")
    sf = uploads.store(upload.data, upload.filename)
    try:
        doc = new_document(user, app_, upload.kind, sf)
        db.session.add(doc)
        db.session.flush()
        record(
            "document.upload",
            doc,
            actor=user,
            ip=ip,
            after={
                "application": app_.number,
                "kind": doc.kind,
                "name": doc.original_name,
                "sha256": doc.sha256,
                "size": doc.size,
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove(sf.stored_name)
        raise
    return doc


class DocumentRefused(ValidationFailed):
    """A file refused while applying; `kind` says which document input it was chosen in."""

    def __init__(self, message: str, kind: str):
        super().__init__(message, "file")
        self.kind = kind


def keep_for_application(user: User, uploads_: list[Upload], ip: str = "") -> list[Document]:
    """Files chosen while applying, stored (checked by content) before the application is
    submitted, so the candidate can check their answers first; `apply(documents=…)` attaches
    them. All or none: a refused file (DocumentRefused, naming it) leaves none of them stored."""
    stored: list[tuple[str, uploads.StoredFile]] = []
    try:
        for up in uploads_:
            if up.kind not in DocumentKind.ALL:
                raise DocumentRefused(_("Unknown document type."), up.kind)
            try:
                stored.append((up.kind, uploads.store(up.data, up.filename)))
            except ValidationFailed as err:
                raise DocumentRefused(err.message, up.kind) from None
        docs = [new_document(user, None, kind, sf) for kind, sf in stored]
        db.session.add_all(docs)
        db.session.flush()
        for doc in docs:
            record(
                "document.upload",
                doc,
                actor=user,
                ip=ip,
                after={
                    "application": None,
                    "kind": doc.kind,
                    "name": doc.original_name,
                    "sha256": doc.sha256,
                },
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        for _k, sf in stored:
            uploads.remove(sf.stored_name)
        raise
    return docs


def unattached_documents(user: User, ids) -> list[Document]:
    """The user's own documents among `ids` that belong to no application yet (the files of
    an application being checked before it is submitted), in upload order."""
    ids = [int(i) for i in ids or []]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.id.in_(ids), Document.owner_id == user.id, Document.application_id.is_(None))
            .order_by(Document.uploaded_at, Document.id)
        )
    )


def missing_documents(round_: Round, kinds) -> list[str]:
    """The kinds of document the round expects that are not among `kinds`."""
    have = set(kinds)
    return [k for k in expected_documents(round_) if k not in have]


def expected_documents(round_: Round) -> list[str]:
    """The document kinds a round asks for (all optional at submission; HR checks them)."""
    kinds = [DocumentKind.ID_CARD, DocumentKind.TRANSCRIPT, DocumentKind.DEGREE]
    if round_.mode == Mode.DISABILITY or round_.requires_disability_registration:
        kinds.append(DocumentKind.DISABILITY_CARD)
    if round_.mode == Mode.SELECTION_EXAM or round_.min_service_years is not None:
        kinds.append(DocumentKind.SERVICE_RECORD)
    return kinds
