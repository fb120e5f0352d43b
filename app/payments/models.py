"""Application fees: a round's fee, each application's payment (reference, status), and the bank
statement files HR imports with every line and what became of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class RoundFee(db.Model):
    """The application fee of a round, to be paid within `pay_within_days` of applying."""

    __tablename__ = "round_fees"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    pay_within_days: Mapped[int] = mapped_column(Integer, default=3)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    round = relationship("Round")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("pay_within_days BETWEEN 1 AND 60", name="pay_within_range"),
    )


class PaymentStatus:
    PENDING = "pending"
    PAID = "paid"
    REFUNDED = "refunded"
    ALL = (PENDING, PAID, REFUNDED)


class Payment(db.Model):
    """What one application owes, under the reference (ref1) printed on its slip and in its QR."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_rule: Mapped[str] = mapped_column(String(30), default="")
    refund_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    application = relationship("Application")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending','paid','refunded')", name="status_known"),
        CheckConstraint("status = 'pending' OR paid_at IS NOT NULL", name="paid_has_time"),
    )


class StatementImport(db.Model):
    """One bank file HR imported; the same file (by its SHA-256) is never imported twice."""

    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.line_no"
    )


class LineOutcome:
    MATCHED = "matched"
    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_AMOUNT = "wrong_amount"
    DUPLICATE = "duplicate"  # the same transaction in an earlier file (or twice in this one)
    ALREADY_PAID = "already_paid"  # a second payment of a paid application: refund it
    INVALID = "invalid"  # the line could not be read
    ALL = (MATCHED, UNKNOWN_REFERENCE, WRONG_AMOUNT, DUPLICATE, ALREADY_PAID, INVALID)


class StatementLine(db.Model):
    """A line of an imported file and its outcome; only `matched` lines marked a payment paid."""

    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("statement_imports.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    # The bank's transaction id, or a digest of the line's date, time, references and amount.
    line_key: Mapped[str] = mapped_column(String(80), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ref1: Mapped[str] = mapped_column(String(40), default="")
    ref2: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    payer: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)

    statement: Mapped[StatementImport] = relationship(back_populates="lines")
    payment: Mapped[Payment | None] = relationship(foreign_keys=[payment_id])

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('matched','unknown_reference','wrong_amount','duplicate','already_paid','invalid')",
            name="outcome_known",
        ),
    )
