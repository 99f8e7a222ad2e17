"""The audit log: the only writer of AuditEvent, and the chain's verifier.

Each event's ``payload`` is the canonical JSON of what happened; its ``hash``
is HMAC-SHA256, keyed with the audit key (``AUDIT_KEY_FILE``, kept outside the
database), over the previous event's hash and that payload: whoever can write
the database but has not the key cannot make a chain that verifies. Writers
first update the single ``audit_head`` row, which takes the row lock
(PostgreSQL) or the write lock (SQLite), so concurrent writers extend the chain
one at a time.

Events are never changed or removed: the ORM refuses it (``bot.model.system``)
and so do triggers in the database (migration 0012).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .model import AuditEvent, AuditHead, AuditLogImmutable, utcnow

__all__ = [
    "GENESIS",
    "WRONG_KEY",
    "AuditLogImmutable",
    "Entry",
    "VerifyResult",
    "canonical",
    "chain_hash",
    "current_key",
    "data_of",
    "key_id",
    "record",
    "record_many",
    "use_key",
    "verify",
]

GENESIS = "0" * 64
WRONG_KEY = "the audit key does not match this log"

_key: bytes | None = None


def use_key(key: bytes) -> None:
    """The key this process chains and verifies with (``create_app`` sets it)."""
    global _key
    if not key:
        raise ValueError("the audit key is empty")
    _key = key


def current_key() -> bytes:
    if _key is None:
        raise RuntimeError("the audit key is not loaded: build the app (bot.app.create_app)")
    return _key


def key_id(key: bytes) -> str:
    """A short name of a key that gives nothing of it away: the first 8 hex of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def chain_hash(key: bytes, prev_hash: str, payload: str) -> str:
    return hmac.new(key, (prev_hash + "\n" + payload).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class Entry:
    """One event to append: what happened, to what, by whom."""

    action: str
    subject: Any = None
    actor: str = "system"
    subject_type: str | None = None
    subject_id: Any = None
    data: dict[str, Any] = field(default_factory=dict)


def record(
    session: Session,
    action: str,
    subject: Any = None,
    *,
    actor: str = "system",
    subject_type: str | None = None,
    subject_id: Any = None,
    at: datetime | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event in the caller's transaction.

    ``subject`` is a model instance (its class name and primary key are taken)
    or None with ``subject_type``/``subject_id`` given. Extra keywords are the
    event's data and must be JSON-serialisable.
    """
    return record_many(
        session, [Entry(action, subject, actor, subject_type, subject_id, data)], at=at
    )[0]


def record_many(
    session: Session, entries: list[Entry], *, at: datetime | None = None
) -> list[AuditEvent]:
    """Append several events in the caller's transaction, taking the chain's head once."""
    if not entries:
        return []
    if any(e.subject is not None and inspect(e.subject).identity is None for e in entries):
        session.flush()  # a new subject needs its primary key
    key = current_key()
    seq, prev = _lock_head(session, len(entries))
    at = at or utcnow()
    events = []
    for entry in entries:
        subject_type, subject_id = entry.subject_type, entry.subject_id
        if entry.subject is not None:
            subject_type = subject_type or type(entry.subject).__name__.lower()
            ident = inspect(entry.subject).identity
            subject_id = ident[0] if len(ident) == 1 else ident
        fields = {
            "seq": seq,
            "at": at.isoformat(),
            "actor": entry.actor,
            "action": entry.action,
            "subject_type": subject_type or "",
            "subject_id": "" if subject_id is None else str(subject_id),
        }
        payload = canonical({**fields, "data": entry.data})
        digest = chain_hash(key, prev, payload)
        events.append(
            AuditEvent(**{**fields, "at": at}, payload=payload, prev_hash=prev, hash=digest)
        )
        seq, prev = seq + 1, digest
    session.add_all(events)
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev),
        execution_options={"synchronize_session": False},
    )
    return events


def _lock_head(session: Session, count: int = 1) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers; return the first and the chain's last hash."""
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + count)
        .returning(AuditHead.seq, AuditHead.last_hash),
        execution_options={"synchronize_session": False},
    ).first()
    if row is None:  # first event ever: create the head, unless a concurrent writer just did
        try:
            with session.begin_nested():
                session.add(AuditHead(id=1, seq=0, last_hash=GENESIS))
        except IntegrityError:
            pass
        return _lock_head(session, count)
    return int(row[0]) - count + 1, str(row[1])


@dataclass
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    last_hash: str = GENESIS  # of the last event that holds
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.ok:
            notes = "".join(f"; {note}" for note in self.notes)
            return f"audit chain intact: {self.count} events{notes}"
        return f"audit chain broken at event {self.broken_seq} (id {self.broken_id}): {self.reason}"


def verify(session: Session, key: bytes | None = None, batch: int = 2000) -> VerifyResult:
    """Walk the chain in order and check its end against the head row; report the first
    event that does not hold.

    The head is read after the events: an event committed meanwhile (with its head, in
    one transaction) is walked too, so that a verify beside busy writers does not see a
    head ahead of the chain and call it broken.
    """
    key = key or current_key()
    prev = GENESIS
    expected_seq = 1
    count = 0
    last_id = 0
    notes: list[str] = []
    looked_again_for = -1
    while True:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
            .execution_options(populate_existing=True)  # as stored, not as the session has it
        ).all()
        for ev in rows:
            problem = _check(key, ev, prev, expected_seq)
            if problem:
                return VerifyResult(False, count, ev.seq, ev.id, problem, prev, notes)
            if ev.action == REKEYED:
                notes.extend(_rekey_note(ev))
            prev = ev.hash
            expected_seq += 1
            count += 1
            last_id = ev.id
        session.expunge_all()
        if rows:
            continue
        head = session.execute(
            select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
        ).first()
        if head is not None and head.seq > count and looked_again_for != head.seq:
            looked_again_for = head.seq  # written while we walked: walk on
            continue
        problem = _head_problem(head, count, prev)
        if problem:
            return VerifyResult(False, count, count + 1, last_id, problem, prev, notes)
        return VerifyResult(True, count, last_hash=prev, notes=notes)


REKEYED = "audit.rekeyed"


def _rekey_note(ev: AuditEvent) -> list[str]:
    """What the re-keying found of the chain before it, when that was not intact."""
    before = data_of(ev).get("previous_chain", "intact")
    if before == "intact":
        return []
    return [f"before it was keyed (event {ev.seq}) the chain was {before}"]


def _head_problem(head: Any, count: int, last_hash: str) -> str:
    if head is None:
        if count == 0:
            return ""  # nothing was ever recorded
        return (
            f"the head row is missing after event {count}: events at the end may have been "
            "removed with it"
        )
    if head.seq > count:
        return (
            f"the chain ends at event {count} but its head records {head.seq}: events are "
            "missing at the end"
        )
    if head.seq < count:
        return (
            f"the head records {head.seq} events but the chain goes on to event {count}: "
            "the head was altered"
        )
    if head.last_hash != last_hash:
        return f"the head's hash differs from event {count}'s: the head was altered"
    return ""


def _check(key: bytes, ev: AuditEvent, prev: str, expected_seq: int) -> str:
    if ev.seq != expected_seq:
        return f"event {expected_seq} is missing (next found is {ev.seq})"
    if ev.prev_hash != prev:
        return (
            "its link to the previous event does not match (an event before it was removed "
            "or replaced)"
        )
    if chain_hash(key, prev, ev.payload) != ev.hash:
        if expected_seq == 1:
            return f"{WRONG_KEY} (check AUDIT_KEY_FILE), or its first event was altered"
        return "its stored hash does not match its content"
    try:
        p = json.loads(ev.payload)
    except ValueError:
        return "its payload is not valid JSON"
    columns = {
        "seq": ev.seq,
        "actor": ev.actor,
        "action": ev.action,
        "subject_type": ev.subject_type,
        "subject_id": ev.subject_id,
    }
    for name, value in columns.items():
        if p.get(name) != value:
            return f"its {name} column ({value!r}) differs from what was hashed ({p.get(name)!r})"
    if p.get("at") != ev.at.isoformat():
        return f"its time ({ev.at.isoformat()}) differs from what was hashed ({p.get('at')})"
    return ""


def data_of(ev: AuditEvent) -> dict[str, Any]:
    return json.loads(ev.payload).get("data", {})
