"""Leases: one holder at a time for what only one process should do, across machines.

A lease is a row (name, holder, expires_at, acquired_at) in the database every process
already shares, so it works on the embedded SQLite file as on PostgreSQL, with no Redis.
``decide`` says whether a holder may take or renew a lease given the row and the time;
``acquire``, ``renew`` and ``release`` apply it atomically: the first holder inserts the row
(INSERT ... ON CONFLICT DO NOTHING), later ones update it only if it still holds what was
read and is free, expired or their own (a conditional UPDATE), so of two processes racing
for an expired lease exactly one gets it. SQLite's ``BEGIN IMMEDIATE`` serialises the whole
transaction as well.

A holder is named ``hostname:pid:random``. Releasing a lease empties its holder and ends it
now, so that the next process need not wait for it to expire.

Renewals write no audit event (beat renews every few seconds). A change of hands does:
``lease.taken_over`` whenever a lease is taken from a holder whose time ran out without
releasing it (it died or stalled), and, for leases held for long (``audit_changes``: the
beat, the mailbox listener), ``lease.acquired`` and ``lease.released`` as well. A mailbox poll
takes and releases its lease each minute, so only its take-overs are recorded.

The times compared are each process's own clock (UTC): the machines' clocks must agree
to well within a lease's length, as NTP keeps them.
"""

from __future__ import annotations

import enum
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import audit, db
from .model import Lease, utcnow

log = logging.getLogger(__name__)
BEAT = "beat"


def mailbox_lease(mailbox: str) -> str:
    """The lease a reader of ``mailbox`` (its redacted URL or Maildir path) must hold."""
    return f"mailbox:{mailbox}"


def holder_id() -> str:
    """A new holder name: this host, this process and a random part (threads differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-200:]


class Verdict(enum.StrEnum):
    TAKE = "take"  # nobody holds it (no row, or released)
    RENEW = "renew"  # the holder holds it already
    TAKE_OVER = "take_over"  # another held it and its time ran out
    REFUSE = "refuse"  # another holds it, still in time


@dataclass(frozen=True)
class Held:
    """A lease's row as read."""

    holder: str
    expires_at: datetime
    acquired_at: datetime


def decide(row: Held | None, holder: str, now: datetime) -> Verdict:
    """Whether ``holder`` may take or renew the lease whose row is ``row`` at ``now``."""
    if row is None or not row.holder:
        return Verdict.TAKE
    if row.holder == holder:
        return Verdict.RENEW
    if row.expires_at <= now:
        return Verdict.TAKE_OVER
    return Verdict.REFUSE


@dataclass(frozen=True)
class Outcome:
    """What ``acquire`` did: whether the lease is now the caller's, and whose it is."""

    verdict: Verdict
    holder: str  # who holds it now
    expires_at: datetime
    previous: str = ""  # the holder it was taken over from

    @property
    def held(self) -> bool:
        return self.verdict is not Verdict.REFUSE

    def describe(self) -> str:
        return f"held by {self.holder} until {self.expires_at.isoformat(timespec='seconds')}"


def _read(s: Session, name: str) -> Held | None:
    row = s.execute(
        select(Lease.holder, Lease.expires_at, Lease.acquired_at).where(Lease.name == name)
    ).first()
    return Held(row[0], row[1], row[2]) if row is not None else None


def _insert(s: Session, name: str, holder: str, until: datetime, now: datetime) -> bool:
    """Insert the lease's first row; False when a concurrent holder inserted it first."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Lease)
        .values(name=name, holder=holder, expires_at=until, acquired_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Lease.name)
    )
    return s.execute(statement).first() is not None


def _event(s: Session, action: str, name: str, **data: str) -> None:
    entry = audit.Entry(
        action, subject_type="lease", subject_id=name[:64], data={"name": name, **data}
    )
    audit.record_many(s, [entry])


def acquire(
    name: str,
    holder: str,
    seconds: float,
    *,
    now: datetime | None = None,
    audit_changes: bool = False,
) -> Outcome:
    """Take or renew ``name`` for ``seconds`` from ``now`` if ``decide`` allows it."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    while True:
        with db.session() as s:
            row = _read(s, name)
            verdict = decide(row, holder, now)
            if verdict is Verdict.REFUSE:
                assert row is not None
                return Outcome(verdict, row.holder, row.expires_at)
            if row is None:
                if not _insert(s, name, holder, until, now):
                    continue  # another holder inserted it meanwhile: read it again
            else:
                values: dict[str, object] = {"holder": holder, "expires_at": until}
                if verdict is not Verdict.RENEW:
                    values["acquired_at"] = now
                changed = s.execute(
                    update(Lease)
                    .where(
                        Lease.name == name,
                        Lease.holder == row.holder,  # still what was read
                        or_(Lease.holder == "", Lease.holder == holder, Lease.expires_at <= now),
                    )
                    .values(**values),
                    execution_options={"synchronize_session": False},
                ).rowcount  # type: ignore[attr-defined]
                if changed != 1:
                    continue  # it changed hands meanwhile: decide again on the new row
            previous = row.holder if row is not None and verdict is Verdict.TAKE_OVER else ""
            if verdict is Verdict.TAKE_OVER:
                assert row is not None
                _event(
                    s,
                    "lease.taken_over",
                    name,
                    holder=holder,
                    previous=previous,
                    expired_at=row.expires_at.isoformat(),
                )
            elif verdict is Verdict.TAKE and audit_changes:
                _event(s, "lease.acquired", name, holder=holder)
            return Outcome(verdict, holder, until, previous)


def renew(name: str, holder: str, seconds: float, *, now: datetime | None = None) -> bool:
    """Extend ``holder``'s lease; False when it is no longer theirs (taken over meanwhile)."""
    now = now or utcnow()
    with db.session() as s:
        changed = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now + timedelta(seconds=seconds)),
            execution_options={"synchronize_session": False},
        ).rowcount  # type: ignore[attr-defined]
    return changed == 1


def release(
    name: str, holder: str, *, now: datetime | None = None, audit_changes: bool = False
) -> bool:
    """Give the lease up now, if it is still ``holder``'s."""
    now = now or utcnow()
    with db.session() as s:
        changed = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(holder="", expires_at=now),
            execution_options={"synchronize_session": False},
        ).rowcount  # type: ignore[attr-defined]
        if changed == 1 and audit_changes:
            _event(s, "lease.released", name, holder=holder)
    return changed == 1


class Claim:
    """One holder's use of one lease: taken once, renewed while working, released at the end."""

    def __init__(
        self, name: str, seconds: float, holder: str | None = None, audit_changes: bool = False
    ):
        self.name = name
        self.seconds = seconds
        self.holder = holder or holder_id()
        self.audit_changes = audit_changes
        self.outcome: Outcome | None = None

    @property
    def held(self) -> bool:
        return self.outcome is not None and self.outcome.held

    def take(self) -> Outcome:
        self.outcome = acquire(
            self.name, self.holder, self.seconds, audit_changes=self.audit_changes
        )
        return self.outcome

    def renew(self) -> bool:
        """Extend the lease; when it was lost, the claim no longer holds it."""
        if renew(self.name, self.holder, self.seconds):
            return True
        log.warning("lease %s was taken by another holder from %s", self.name, self.holder)
        self.outcome = None
        return False

    def release(self) -> None:
        if self.held:
            release(self.name, self.holder, audit_changes=self.audit_changes)
        self.outcome = None


@contextmanager
def claimed(claim: Claim) -> Iterator[Claim]:
    """Take ``claim`` for a block and release it after, unless the caller held it already
    (a listener running a poll under its own lease keeps it)."""
    outcome = claim.take()
    try:
        yield claim
    finally:
        if outcome.verdict is not Verdict.RENEW and claim.held:
            try:
                claim.release()
            except Exception as exc:  # it expires by itself; the block's own error matters
                log.warning("could not release lease %s: %s", claim.name, type(exc).__name__)
