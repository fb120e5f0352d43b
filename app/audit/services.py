"""Writing and verifying the audit chain.

An entry is written in the same transaction as the change it records, so a change and its
record land together or not at all. The hash covers the entry's content and the previous hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, text

from ..common.clock import now
from ..extensions import db
from .models import AuditEntry

GENESIS = "0" * 64


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _digest(entry: AuditEntry) -> str:
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(action: str, obj=None, *, actor=None, before: dict | None = None,
           after: dict | None = None, object_type: str | None = None,
           object_id: str | int | None = None, ip: str = "") -> AuditEntry:
    """Append an entry to the chain in the current transaction (the caller commits)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Serialize appenders so each sees the true last entry; released at commit.
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    session.flush()
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=now(),
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip=ip or "",
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    first_broken: AuditEntry | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not entries:
            return ChainReport(checked)
        for entry in entries:
            if entry.seq != expected_seq:
                return ChainReport(checked, entry, f"expected seq {expected_seq}, found {entry.seq}")
            if entry.prev_hash != prev_hash:
                return ChainReport(checked, entry, "prev_hash does not match the previous entry")
            if _digest(entry) != entry.hash:
                return ChainReport(checked, entry, "content does not match its hash")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
            last_seq = entry.seq


def entries_for(object_type: str, object_id) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == object_type,
                                 AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.seq)
    ))
