"""The email outbox: a message is stored with the change that causes it and sent exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..common.clock import now
from ..common.types import UTCDateTime
from ..extensions import db


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same logical message is queued once (e.g. "invite:interview:12:v3").
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # [{"filename", "mimetype", "content_b64"}] (small attachments such as .ics invitations)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    # Set when a sender claims the message, so two senders never send it twice.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        CheckConstraint("status IN ('pending','sending','sent','failed')", name="status_known"),
    )
