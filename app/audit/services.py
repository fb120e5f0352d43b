"""Writing, anchoring and verifying the audit chain.

An entry is written in the same transaction as the change it records, so a change and its
record land together or not at all. The hash covers the entry's content and the previous hash.
An anchor records the chain's head (seq, hash) at a moment that matters (a list published or
withdrawn, `flask audit anchor`); verification recomputes the chain and checks it still reaches
every anchor with the same hash, so a deleted tail or a re-hashed rewrite before an anchor shows.
What this proves and what it does not: docs/audit.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, select, text

from ..common.clock import now
from ..extensions import db
from .models import AuditAnchor, AuditEntry

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


def record(
    action: str,
    obj=None,
    *,
    actor=None,
    before: dict | None = None,
    after: dict | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    ip: str = "",
) -> AuditEntry:
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


def record_many(
    action: str,
    object_type: str,
    items: list[tuple[int | str, dict | None]],
    *,
    actors: list | None = None,
    befores: list[dict | None] | None = None,
) -> int:
    """Append one entry per (object_id, after), in order, exactly as `record` would one by one,
    with one lock, one read of the chain's head and one insert for all of them (a proctor's
    start of thousands of attempts, an outage's time given back to all of them). `actors` and
    `befores`, if given, are one actor and one `before` per item. The caller commits."""
    if not items:
        return 0
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    session.flush()
    seq, prev = head()
    at = now()
    rows = []
    for i, (object_id, after) in enumerate(items):
        actor = actors[i] if actors is not None else None
        seq += 1
        # (plain rows, no ORM objects: thousands of them cost more than the hashing)
        row = {
            "seq": seq,
            "at": at,
            "actor_id": getattr(actor, "id", actor),
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": _jsonable(befores[i]) if befores is not None and befores[i] is not None else None,
            "after": _jsonable(after) if after is not None else None,
            "ip": "",
            "prev_hash": prev,
        }
        row["hash"] = prev = _digest(SimpleNamespace(**row))
        rows.append(row)
    session.execute(insert(AuditEntry.__table__), rows)
    return len(rows)


@dataclass
class ChainReport:
    checked: int
    first_broken: AuditEntry | None = None
    reason: str = ""
    anchors_checked: int = 0
    # The anchor the chain fails (truncated below it, or a different hash at its seq).
    anchor: AuditAnchor | None = None
    last_seq: int = 0

    @property
    def ok(self) -> bool:
        return self.first_broken is None and self.anchor is None


def head() -> tuple[int, str]:
    """The chain's last (seq, hash); (0, GENESIS) when empty."""
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def anchor(
    reason: str, obj=None, *, object_type: str | None = None, object_id: str | int | None = None
) -> AuditAnchor:
    """Record the chain's head now (in the current transaction, after the entries it
    follows; the caller commits). Print or export it: an anchor kept only in this database
    can be rewritten with it (docs/audit.md)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    session.flush()
    seq, hash_ = head()
    if obj is not None:
        object_type, object_id = object_type or obj.__tablename__, obj.id
    found = AuditAnchor(
        seq=seq,
        hash=hash_,
        at=now(),
        reason=(reason or "")[:200],
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
    )
    session.add(found)
    session.flush()
    return found


def anchors_for(object_type: str, object_id) -> list[AuditAnchor]:
    return list(
        db.session.scalars(
            select(AuditAnchor)
            .where(AuditAnchor.object_type == object_type, AuditAnchor.object_id == str(object_id))
            .order_by(AuditAnchor.seq, AuditAnchor.id)
        )
    )


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every hash in order and report the first entry that does not match; then
    check every anchor: the chain must reach its seq (else it was truncated) with its hash
    (else it was rewritten and re-hashed before it)."""
    anchors = list(db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq, AuditAnchor.id)))
    wanted: dict[int, list[AuditAnchor]] = {}
    for a in anchors:
        wanted.setdefault(a.seq, []).append(a)
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq, last_good_anchor, anchors_checked = 0, 0, 0
    while True:
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not entries:
            break
        for entry in entries:
            if entry.seq != expected_seq:
                return ChainReport(
                    checked,
                    entry,
                    f"expected seq {expected_seq}, found {entry.seq}",
                    anchors_checked,
                    last_seq=last_seq,
                )
            if entry.prev_hash != prev_hash:
                return ChainReport(
                    checked,
                    entry,
                    "prev_hash does not match the previous entry",
                    anchors_checked,
                    last_seq=last_seq,
                )
            if _digest(entry) != entry.hash:
                return ChainReport(
                    checked, entry, "content does not match its hash", anchors_checked, last_seq=last_seq
                )
            for a in wanted.get(entry.seq, ()):
                if a.hash != entry.hash:
                    return ChainReport(
                        checked,
                        entry,
                        f"hash differs from anchor #{a.id} recorded {a.at.isoformat()} "
                        f"({a.reason}): an entry after seq {last_good_anchor} and up to seq "
                        f"{entry.seq} was rewritten and the chain re-hashed",
                        anchors_checked,
                        anchor=a,
                        last_seq=entry.seq,
                    )
                anchors_checked += 1
                last_good_anchor = entry.seq
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
            last_seq = entry.seq
    beyond = [a for a in anchors if a.seq > last_seq]
    if beyond:
        a = beyond[0]
        return ChainReport(
            checked,
            None,
            f"the chain ends at seq {last_seq} but anchor #{a.id} recorded "
            f"{a.at.isoformat()} ({a.reason}) saw it reach seq {a.seq}: entries "
            f"{last_seq + 1}..{a.seq} (at least) were deleted",
            anchors_checked,
            anchor=a,
            last_seq=last_seq,
        )
    return ChainReport(checked, anchors_checked=anchors_checked, last_seq=last_seq)


def entries_for(object_type: str, object_id) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )
