"""Reading what a user sees and what is stored: a page's text, a PDF's text per page, audit
entries of an action, a list's entry statuses."""

from __future__ import annotations

import html as html_lib
import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db as _db
from app.merit.models import MeritEntry, MeritList


def page(resp) -> str:
    return html_lib.unescape(resp.get_data(as_text=True))


def statuses(ml: MeritList) -> list[str]:
    return list(
        _db.session.scalars(
            select(MeritEntry.status).where(MeritEntry.list_id == ml.id).order_by(MeritEntry.rank)
        )
    )


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page as a reader copying it gets it: every glyph, shaped variants
    included, reads as its characters (no private-use codes)."""
    assert pdf.startswith(b"%PDF-")
    pages = [
        page.extract_text().replace("\u00a0", " ")  # no-break spaces
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]
    assert not [p for p in pages if _PRIVATE_USE.search(p)], "a glyph reads as a private-use code"
    return pages


def page_text(resp) -> str:
    return resp.get_data(as_text=True)


def audit_count(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))
