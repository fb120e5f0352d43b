"""Queue emails with the change that causes them; send each exactly once, retrying failures.

`queue_email` adds a row in the caller's transaction (so an email exists only if the change
committed) and is idempotent on its `dedupe_key`. `send_pending` claims messages with a
conditional UPDATE, so two senders running at once never send the same message twice.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from ..common.clock import now
from ..extensions import db
from .models import OutboxEmail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=10)  # a sender that died mid-send releases its claim


@dataclass
class Attachment:
    filename: str
    mimetype: str
    content: bytes

    def to_json(self) -> dict:
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content_b64": base64.b64encode(self.content).decode("ascii"),
        }


def queue_email(
    *,
    to: str,
    subject: str,
    body: str,
    dedupe_key: str,
    user_id: int | None = None,
    attachments: list[Attachment] | None = None,
) -> OutboxEmail:
    """Add a message to the outbox (the caller commits). Queuing the same key again is a no-op."""
    existing = db.session.scalar(select(OutboxEmail).where(OutboxEmail.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxEmail(
        dedupe_key=dedupe_key,
        to_address=to,
        subject=subject[:300],
        body_text=body,
        user_id=user_id,
        attachments=[a.to_json() for a in attachments or []],
        next_attempt_at=now(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _deliver(message: OutboxEmail) -> None:
    """SMTP when MAIL_SERVER is set; otherwise the message is written to the log (development)."""
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body_text)
    for att in message.attachments or []:
        maintype, _, subtype = att["mimetype"].partition("/")
        email.add_attachment(
            base64.b64decode(att["content_b64"]),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=att["filename"],
        )
    server = cfg["MAIL_SERVER"]
    if not server:
        log.info(
            "email (not sent: no MAIL_SERVER) to=%s subject=%s\n%s",
            message.to_address,
            message.subject,
            message.body_text,
        )
        return
    with smtplib.SMTP(server, cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


def send_pending(limit: int = 50, at: datetime | None = None, deliver=None) -> dict:
    """Send what is due; returns counts. Safe to run from several processes at once."""
    at = at or now()
    deliver = deliver or _deliver
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            or_(
                OutboxEmail.status == "pending",
                (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < at - CLAIM_TIMEOUT),
            ),
            OutboxEmail.next_attempt_at <= at,
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    for message_id in due:
        claimed = db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == message_id,
                or_(
                    OutboxEmail.status == "pending",
                    (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < at - CLAIM_TIMEOUT),
                ),
            )
            .values(status="sending", claimed_at=at, attempts=OutboxEmail.attempts + 1)
        ).rowcount
        db.session.commit()
        if not claimed:  # another sender took it
            counts["skipped"] += 1
            continue
        message = db.session.get(OutboxEmail, message_id)
        try:
            deliver(message)
        except Exception as exc:  # any delivery failure is retried later
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                counts["failed"] += 1
            else:
                message.status = "pending"
                message.next_attempt_at = at + _backoff(message.attempts)
                counts["retry"] += 1
            log.warning("email %s failed (attempt %s): %s", message.id, message.attempts, message.last_error)
        else:
            message.status, message.sent_at = "sent", at
            counts["sent"] += 1
        db.session.commit()
    return counts
