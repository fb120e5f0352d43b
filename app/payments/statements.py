"""Importing the bank's bill-payment report (CSV): each line is matched on ref1 and the exact
amount; only a match marks a payment paid. Everything else (an unknown reference, a wrong amount,
a transaction already imported, a second payment of a paid application, an unreadable line) is
listed on the import's page, never applied. The column mapping is STATEMENT_COLUMNS (config.py),
described in docs/booking-and-fees.md."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application
from ..audit.services import record
from ..common.access import need_hr_of
from ..common.clock import BANGKOK, now
from ..common.errors import NotAllowed, ValidationFailed
from ..common.i18n import labeller
from ..extensions import db
from ..recruitment.models import Round
from . import thaiqr
from .models import LineOutcome, Payment, PaymentStatus, StatementImport, StatementLine
from .services import mark_paid, parse_amount

REQUIRED = ("date", "time", "ref1", "amount")
OUTCOME_LABELS = {
    LineOutcome.MATCHED: lambda: _("Matched: marked paid"),
    LineOutcome.UNKNOWN_REFERENCE: lambda: _("Unknown reference"),
    LineOutcome.WRONG_AMOUNT: lambda: _("Amount differs from the fee"),
    LineOutcome.DUPLICATE: lambda: _("Duplicate: already imported"),
    LineOutcome.ALREADY_PAID: lambda: _("Application already paid: refund the second payment"),
    LineOutcome.INVALID: lambda: _("Line could not be read"),
}
outcome_label = labeller(OUTCOME_LABELS)


@dataclass
class ParsedLine:
    line_no: int
    paid_at: datetime | None = None
    ref1: str = ""
    ref2: str = ""
    amount: object = None
    payer: str = ""
    transaction_id: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The transaction's identity across files: the bank's id, else a digest of its facts."""
        if self.transaction_id:
            return f"id:{self.transaction_id}"[:80]
        facts = f"{self.paid_at.isoformat() if self.paid_at else ''}|{self.ref1}|{self.ref2}|{self.amount}"
        return "sha:" + hashlib.sha256(facts.encode()).hexdigest()


def _decode(data: bytes, filename: str) -> str:
    for encoding in ("utf-8-sig", "cp874"):  # Thai banks export UTF-8 or Windows-874 (TIS-620)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        _("%(file)s: the file is neither UTF-8 nor Thai Windows-874 text.", file=filename), "file"
    )


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", (header or "").strip().lower())


def column_map(headers: list[str], filename: str) -> dict[str, int]:
    """Which column holds each field, by STATEMENT_COLUMNS; a missing required one is an error
    naming the file and the field."""
    normal = [_norm(h) for h in headers]
    found: dict[str, int] = {}
    for name, aliases in current_app.config["STATEMENT_COLUMNS"].items():
        for alias in aliases:
            if _norm(alias) in normal:
                found[name] = normal.index(_norm(alias))
                break
    missing = [n for n in REQUIRED if n not in found]
    if missing:
        raise ValidationFailed(
            _(
                "%(file)s, line 1: no column for %(fields)s (see the column mapping in the help).",
                file=filename,
                fields=", ".join(missing),
            ),
            "file",
        )
    return found


def _parse_datetime(date_text: str, time_text: str) -> datetime | None:
    date_text, time_text = (date_text or "").strip(), (time_text or "").strip() or "00:00"
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", date_text)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date_text)
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    if year > 2400:  # Buddhist Era
        year -= 543
    t = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?", time_text)
    if not t:
        return None
    try:
        local = datetime(year, month, day, int(t[1]), int(t[2]), int(t[3] or 0), tzinfo=BANGKOK)
    except ValueError:
        return None
    return local.astimezone(UTC)


def parse_statement(data: bytes, filename: str) -> list[ParsedLine]:
    """The file's lines as ParsedLine (errors per line, not raised: they are listed)."""
    text = _decode(data, filename)
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValidationFailed(_("%(file)s is empty.", file=filename), "file")
    cols = column_map(rows[0], filename)
    out = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(name: str, row=row) -> str:
            i = cols.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        line = ParsedLine(
            line_no=number,
            ref1=thaiqr.normalise_reference(cell("ref1"))[:40],
            ref2=thaiqr.normalise_reference(cell("ref2"))[:40],
            payer=cell("payer")[:200],
            transaction_id=cell("transaction_id")[:70],
        )
        line.paid_at = _parse_datetime(cell("date"), cell("time"))
        if line.paid_at is None:
            line.errors.append(_("date or time not readable (%(d)s %(t)s)", d=cell("date"), t=cell("time")))
        line.amount = parse_amount(cell("amount"))
        if line.amount is None or line.amount <= 0:
            line.errors.append(_("amount not readable (%(a)s)", a=cell("amount")))
            line.amount = None
        if not line.ref1:
            line.errors.append(_("no reference 1"))
        out.append(line)
    return out


@dataclass
class ImportResult:
    statement: StatementImport
    counts: dict[str, int]


def import_statement(actor, filename: str, data: bytes) -> ImportResult:
    """Import a bill-payment report for HR's agency. Refused as a whole when the same file was
    imported before; otherwise every line is stored with its outcome, in one transaction."""
    need_hr_of(actor, getattr(actor, "agency_id", None))
    filename = (filename or "statement.csv")[:255]
    if not data:
        raise ValidationFailed(_("Choose the bank's file."), "file")
    if len(data) > current_app.config["STATEMENT_MAX_BYTES"]:
        raise ValidationFailed(_("%(file)s is too large.", file=filename), "file")
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(select(StatementImport).where(StatementImport.sha256 == digest))
    if earlier is not None:
        raise NotAllowed(
            _(
                "%(file)s was already imported (import %(n)s): nothing was applied twice.",
                file=filename,
                n=earlier.id,
            )
        )
    lines = parse_statement(data, filename)
    statement = StatementImport(
        agency_id=actor.agency_id,
        filename=filename,
        sha256=digest,
        imported_by_id=actor.id,
        imported_at=now(),
    )
    db.session.add(statement)
    db.session.flush()
    seen: set[str] = set()
    counts = dict.fromkeys(LineOutcome.ALL, 0)
    for parsed in lines:
        row = StatementLine(
            import_id=statement.id,
            line_no=parsed.line_no,
            line_key=parsed.key,
            paid_at=parsed.paid_at,
            ref1=parsed.ref1,
            ref2=parsed.ref2,
            amount=parsed.amount,
            payer=parsed.payer,
            outcome=LineOutcome.INVALID,
        )
        db.session.add(row)
        db.session.flush()
        _judge(row, parsed, actor, seen)
        counts[row.outcome] += 1
    record(
        "statement.import",
        statement,
        actor=actor,
        after={
            "file": filename,
            "sha256": digest,
            "lines": len(lines),
            **{k: v for k, v in counts.items() if v},
        },
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same file imported by someone else at this very moment
        db.session.rollback()
        raise NotAllowed(
            _("%(file)s was already imported: nothing was applied twice.", file=filename)
        ) from None
    return ImportResult(statement, counts)


def _judge(row: StatementLine, parsed: ParsedLine, actor, seen: set[str]) -> None:
    if parsed.errors:
        row.outcome, row.note = LineOutcome.INVALID, "; ".join(parsed.errors)
        return
    earlier = db.session.scalar(
        select(StatementLine.id)
        .where(StatementLine.line_key == row.line_key, StatementLine.id != row.id)
        .limit(1)
    )
    if row.line_key in seen or earlier is not None:
        row.outcome = LineOutcome.DUPLICATE
        return
    seen.add(row.line_key)
    payment = db.session.scalar(
        select(Payment)
        .join(Application, Application.id == Payment.application_id)
        .join(Round, Round.id == Application.round_id)
        .where(Payment.reference == row.ref1, Round.agency_id == actor.agency_id)
    )
    if payment is None:
        row.outcome = LineOutcome.UNKNOWN_REFERENCE
        return
    row.payment_id = payment.id
    if payment.status != PaymentStatus.PENDING:
        row.outcome = LineOutcome.ALREADY_PAID
        return
    if row.amount != payment.amount:
        row.outcome = LineOutcome.WRONG_AMOUNT
        row.note = _("expected %(fee)s", fee=f"{payment.amount:,.2f}")
        return
    if mark_paid(
        payment, at=row.paid_at, actor=actor, line_id=row.id, reason=f"statement line {row.line_no}"
    ):
        row.outcome = LineOutcome.MATCHED
    else:
        row.outcome = LineOutcome.ALREADY_PAID


def imports_of_agency(agency_id: int) -> list[StatementImport]:
    return list(
        db.session.scalars(
            select(StatementImport)
            .where(StatementImport.agency_id == agency_id)
            .order_by(StatementImport.id.desc())
        )
    )
