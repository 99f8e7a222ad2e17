"""The transactional outbox.

A message to send is a ``Message`` row (direction ``out``) holding the final
bytes and Message-ID, written in the same transaction as the change that
called for it. Senders claim a row with a conditional UPDATE, send the stored
bytes, and record the result. A row left in ``sending`` by a process that died
is reclaimed by the sweeper and sent again with the same Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import audit, db, tokens
from ..model import Delivery, Direction, Message, utcnow
from .senders import PermanentFailure, Sender, TemporaryFailure

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 12
STALE_CLAIM = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, capped at six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass
class DeliveryResult:
    message_id: int
    outcome: str  # sent, retry, failed, skipped
    detail: str = ""


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.direction == Direction.OUT.value,
            Message.delivery.in_([Delivery.QUEUED.value, Delivery.RETRY.value]),
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .values(delivery=Delivery.SENDING.value, claimed_at=now, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def bounce_address(token: str | None, domain: str) -> str:
    """The envelope sender: ``bounces+TOKEN@domain`` (VERP), so a bounce names its request."""
    return tokens.reply_address(token, f"bounces@{domain}") if token else f"bounces@{domain}"


def deliver(message_id: int, sender: Sender, domain: str, *, now: datetime | None = None) -> DeliveryResult:
    """Claim, send and record one outbox row. Safe to call twice for the same row."""
    now = now or utcnow()
    with db.session() as s:
        if not _claim(s, message_id, now):
            return DeliveryResult(message_id, "skipped", "not due or claimed elsewhere")
        msg = s.get(Message, message_id)
        assert msg is not None
        raw, rcpts, attempts = msg.raw, list(msg.to_addrs), msg.attempts
        envelope_from = bounce_address(msg.request.token if msg.request else None, domain)
    try:
        response = sender.send(envelope_from, rcpts, raw)
    except TemporaryFailure as exc:
        return _record_failure(message_id, attempts, str(exc), permanent=attempts >= MAX_ATTEMPTS)
    except PermanentFailure as exc:
        return _record_failure(message_id, attempts, str(exc), permanent=True)
    except Exception as exc:  # a sender bug must not leave the row claimed for ever
        log.exception("sender failed on message %s", message_id)
        return _record_failure(message_id, attempts, f"{type(exc).__name__}: {exc}", permanent=False)
    with db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        msg.delivery = Delivery.SENT.value
        msg.sent_at = utcnow()
        msg.smtp_response = response[:500]
        msg.error = None
        audit.record(s, "message.sent", msg, request=msg.request_id, response=response[:200], attempt=attempts)
    return DeliveryResult(message_id, "sent", response)


def _record_failure(message_id: int, attempts: int, error: str, *, permanent: bool) -> DeliveryResult:
    with db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        msg.error = error[:2000]
        if permanent:
            msg.delivery = Delivery.FAILED.value
            msg.next_attempt_at = None
            audit.record(s, "message.failed", msg, request=msg.request_id, error=error[:300], attempt=attempts)
            return DeliveryResult(message_id, "failed", error)
        msg.delivery = Delivery.RETRY.value
        msg.next_attempt_at = utcnow() + backoff(attempts)
        audit.record(
            s, "message.retry", msg, request=msg.request_id, error=error[:300], attempt=attempts,
            next_attempt=msg.next_attempt_at.isoformat(),
        )
        return DeliveryResult(message_id, "retry", error)


def reclaim_stale(session: Session, now: datetime) -> list[int]:
    """Put rows claimed long ago by a process that died back in the queue."""
    ids = list(
        session.scalars(
            select(Message.id).where(
                Message.direction == Direction.OUT.value,
                Message.delivery == Delivery.SENDING.value,
                Message.claimed_at < now - STALE_CLAIM,
            )
        )
    )
    for mid in ids:
        changed = session.execute(
            update(Message)
            .where(Message.id == mid, Message.delivery == Delivery.SENDING.value)
            .values(delivery=Delivery.RETRY.value, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            audit.record(session, "message.reclaimed", subject_type="message", subject_id=mid)
    return ids


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(Message.id)
            .where(
                Message.direction == Direction.OUT.value,
                Message.delivery.in_([Delivery.QUEUED.value, Delivery.RETRY.value]),
                or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def sweep(now: datetime | None = None) -> list[int]:
    """Reclaim stale claims and return the ids that are due to be sent."""
    now = now or utcnow()
    with db.session() as s:
        reclaim_stale(s, now)
    with db.session() as s:
        return due_ids(s, now)
