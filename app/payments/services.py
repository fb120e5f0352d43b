"""Application fees: a round's fee, each application's payment and its slip data (reference,
Thai QR), HR marking payments by hand, refunds by the stated rules. Importing the bank's file is
in statements.py. Every state change is audited in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from blinker import signal
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..common.access import need_hr_of, need_hr_of_round
from ..common.clock import now
from ..common.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from ..common.i18n import labeller
from ..common.lookup import get_or_not_found
from ..extensions import db
from ..recruitment.models import Round
from . import thaiqr
from .models import Payment, PaymentStatus, RoundFee

# Sent (sender = the Payment) after a payment was marked paid, in the same transaction: seat
# booking confirms the seat the payment was holding (booking.services connects to it).
payment_received = signal("payment-received")

# The rules a refund must name (docs/booking-and-fees.md, "Refunds"): a fee is not refunded
# otherwise, whatever becomes of the application.
REFUND_RULES = {
    "round_cancelled": lambda: _("The round was cancelled before the examination"),
    "paid_twice": lambda: _("The same application was paid twice (the second payment)"),
    "paid_after_refusal": lambda: _("Paid after the application was rejected as ineligible on its own data"),
}
refund_rule_label = labeller(REFUND_RULES)
STATUS_LABELS = {
    PaymentStatus.PENDING: lambda: _("Awaiting payment"),
    PaymentStatus.PAID: lambda: _("Paid"),
    PaymentStatus.REFUNDED: lambda: _("Refunded"),
}
payment_status_label = labeller(STATUS_LABELS)
MAX_FEE = Decimal("100000")


# ---- the round's fee ---------------------------------------------------------------------------


def fee_of(round_: Round | int) -> RoundFee | None:
    round_id = round_ if isinstance(round_, int) else round_.id
    return db.session.scalar(select(RoundFee).where(RoundFee.round_id == round_id))


def parse_amount(text: str | Decimal | None) -> Decimal | None:
    """A baht amount as HR or a bank writes it ("1,234.50"), or None when it cannot be read."""
    if text is None:
        return None
    try:
        value = Decimal(str(text).replace(",", "").replace("฿", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


def set_fee(round_: Round, actor, amount: Decimal | None, pay_within_days: int | None) -> RoundFee | None:
    """HR sets, changes or (amount None/0) removes the round's fee, while nobody has paid yet."""
    need_hr_of_round(actor, round_)
    fee = fee_of(round_)
    paid = db.session.scalar(
        select(Payment.id)
        .join(Application, Application.id == Payment.application_id)
        .where(Application.round_id == round_.id, Payment.status != PaymentStatus.PENDING)
        .limit(1)
    )
    if paid is not None:
        raise NotAllowed(_("Candidates have already paid this round's fee: it can no longer change."))
    before = {"amount": fee.amount, "pay_within_days": fee.pay_within_days} if fee else None
    if not amount:
        if fee is None:
            return None
        db.session.execute(
            Payment.__table__.delete().where(
                Payment.application_id.in_(select(Application.id).where(Application.round_id == round_.id))
            )
        )
        db.session.delete(fee)
        record("fee.remove", round_, actor=actor, before=before)
        db.session.commit()
        return None
    if not Decimal("0") < amount <= MAX_FEE:
        raise ValidationFailed(_("The fee is more than 0 and at most 100,000 baht."), "amount")
    if pay_within_days is None or not 1 <= pay_within_days <= 60:
        raise ValidationFailed(_("Payment is due within 1 to 60 days."), "pay_within_days")
    if fee is None:
        fee = RoundFee(round_id=round_.id)
        db.session.add(fee)
    fee.amount, fee.pay_within_days, fee.set_by_id, fee.updated_at = amount, pay_within_days, actor.id, now()
    # Slips not yet paid follow the new amount.
    db.session.execute(
        update(Payment)
        .where(
            Payment.status == PaymentStatus.PENDING,
            Payment.application_id.in_(select(Application.id).where(Application.round_id == round_.id)),
        )
        .values(amount=amount)
    )
    db.session.flush()
    record(
        "fee.set",
        round_,
        actor=actor,
        before=before,
        after={"amount": amount, "pay_within_days": pay_within_days},
    )
    db.session.commit()
    return fee


# ---- an application's payment ------------------------------------------------------------------


def payment_of(application: Application) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.application_id == application.id))


def needs_payment(application: Application) -> bool:
    """Does the application still have a fee to pay (its round has one and it is not paid)?"""
    if fee_of(application.round_id) is None:
        return False
    payment = payment_of(application)
    return payment is None or payment.status != PaymentStatus.PAID


def is_paid_or_free(application: Application) -> bool:
    """An application counts only once paid: true when paid, or when its round has no fee."""
    return not needs_payment(application)


def unpaid_application_ids(round_id: int) -> set[int]:
    """The round's applications that do not count yet because their fee is unpaid."""
    if fee_of(round_id) is None:
        return set()
    paid = select(Payment.application_id).where(Payment.status == PaymentStatus.PAID)
    return set(
        db.session.scalars(
            select(Application.id).where(Application.round_id == round_id, Application.id.not_in(paid))
        )
    )


def open_payment(application: Application, actor) -> Payment:
    """The application's payment, created (pending, with its reference and due date) the first
    time its owner asks for the slip."""
    if actor is None or actor.id != application.candidate_id:
        raise Forbidden(_("This is not your application."))
    fee = fee_of(application.round_id)
    if fee is None:
        raise NotFound(_("This round has no application fee."))
    payment = payment_of(application)
    if payment is not None:
        return payment
    if application.status in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
        raise NotAllowed(_("This application is no longer in the running: there is nothing to pay."))
    payment = Payment(
        application_id=application.id,
        reference=thaiqr.reference_of(application.number, application.id),
        amount=fee.amount,
        status=PaymentStatus.PENDING,
        due_at=now() + timedelta(days=fee.pay_within_days),
        created_at=now(),
    )
    db.session.add(payment)
    try:
        db.session.flush()
    except IntegrityError:  # the same slip opened twice at once, or (rarely) a reference taken
        db.session.rollback()
        existing = payment_of(application)
        if existing is not None:
            return existing
        payment.reference = thaiqr.reference_of("", application.id)
        db.session.add(payment)
        db.session.flush()
    record(
        "payment.open",
        payment,
        actor=actor,
        after={"application": application.id, "reference": payment.reference, "amount": payment.amount},
    )
    db.session.commit()
    return payment


@dataclass(frozen=True)
class SlipData:
    """What the slip page and PDF show (computed once, used by both)."""

    payment: Payment
    application: Application
    round: Round
    payee: str
    biller_id: str
    ref1: str
    ref2: str
    qr_payload: str


def slip(payment: Payment) -> SlipData:
    application = payment.application
    round_ = application.round
    ref2 = thaiqr.round_reference(round_.code)
    biller = current_app.config["PAYMENT_BILLER_ID"]
    return SlipData(
        payment=payment,
        application=application,
        round=round_,
        payee=current_app.config["PAYMENT_PAYEE_TH"],
        biller_id=biller,
        ref1=payment.reference,
        ref2=ref2,
        qr_payload=thaiqr.bill_payment_payload(biller, payment.reference, ref2, payment.amount),
    )


def mark_paid(payment: Payment, *, at: datetime, actor, line_id: int | None = None, reason: str = "") -> bool:
    """Pending → paid, once (a conditional UPDATE: two imports at once cannot both apply it).
    Audited; tells seat booking. The caller commits. False if it was no longer pending."""
    done = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.PAID, paid_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        return False
    db.session.refresh(payment)
    record(
        "payment.paid",
        payment,
        actor=actor,
        before={"status": PaymentStatus.PENDING},
        after={"status": PaymentStatus.PAID, "paid_at": at, "statement_line": line_id, "reason": reason},
    )
    payment_received.send(payment)
    return True


def record_payment_by_hand(payment: Payment, actor, reason: str) -> Payment:
    """HR marks a payment received that no statement line matched (a payment at the counter,
    a wrong amount HR has checked with the bank), with the reason."""
    need_hr_of(actor, payment.application.round.agency_id)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_("Give the reason (what proves the payment)."), "reason")
    if not mark_paid(payment, at=now(), actor=actor, reason=reason):
        raise NotAllowed(_("This payment is not awaiting payment."))
    db.session.commit()
    return payment


def refund(payment: Payment, actor, rule: str, note: str = "") -> Payment:
    """HR records a refund made under one of REFUND_RULES (audited)."""
    need_hr_of(actor, payment.application.round.agency_id)
    if rule not in REFUND_RULES:
        raise ValidationFailed(_("Choose the rule the refund is made under."), "rule")
    if payment.status != PaymentStatus.PAID:
        raise NotAllowed(_("Only a paid fee can be refunded."))
    before = {"status": payment.status}
    payment.status, payment.refunded_at = PaymentStatus.REFUNDED, now()
    payment.refund_rule, payment.refund_note = rule, (note or "").strip()[:2000]
    record(
        "payment.refund",
        payment,
        actor=actor,
        before=before,
        after={"status": payment.status, "rule": rule, "note": payment.refund_note},
    )
    db.session.commit()
    return payment


def payments_of_agency(agency_id: int, status: str | None = None) -> list[Payment]:
    query = (
        select(Payment)
        .join(Application, Application.id == Payment.application_id)
        .join(Round, Round.id == Application.round_id)
        .where(Round.agency_id == agency_id)
        .order_by(Payment.id.desc())
    )
    if status:
        query = query.where(Payment.status == status)
    return list(db.session.scalars(query))


def get_payment(payment_id: int) -> Payment:
    return get_or_not_found(Payment, payment_id, _("No such payment."))
