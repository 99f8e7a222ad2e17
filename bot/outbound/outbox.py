"""The transactional outbox.

A message to send is a ``Message`` row (direction ``out``) holding the final
bytes and Message-ID, written by ``enqueue`` (the one place that queues mail:
letters, digests and receipts) in the same transaction as the change that
called for it, with an ``OutboxItem`` per request and step it carries. Senders
claim a row with a conditional UPDATE and, in the same transaction, check that
every request it carries still wants it (a letter for a request answered,
waived, closed or paused since it was planned is cancelled, not sent); then
they send the stored bytes and record the result. A row left in ``sending`` by
a process that died is reclaimed by the sweeper and sent again with the same
Message-ID.

A letter that no longer applies (cancelled, or refused or bounced for its
addressee) keeps its items under a *retired* step name (``step~message id``):
the link to its requests stays, and the step itself is free to be planned
again, to the next contact in line or after the request is resumed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .. import audit, db, tokens
from ..links import scrub_letter
from ..model import Contact, Delivery, Direction, Message, OutboxItem, Request, utcnow
from ..policy.plan import wants_letter
from .senders import PermanentFailure, Sender, TemporaryFailure

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 12
STALE_CLAIM = timedelta(minutes=10)


def retry_after(seconds: float) -> None:
    """The wait before a letter's first retry in this process (SEND_RETRY_SECONDS)."""
    global BACKOFF_BASE
    BACKOFF_BASE = timedelta(seconds=seconds)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes (SEND_RETRY_SECONDS, doubling) after each failed attempt, capped at
    six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass
class DeliveryResult:
    message_id: int
    outcome: str  # sent, retry, failed, skipped
    detail: str = ""


UNSENT = (Delivery.QUEUED.value, Delivery.RETRY.value)
RECEIPT = "receipt"


def enqueue(
    session: Session,
    row: Message,
    items: list[tuple[int, str]],
    *,
    entries: list[audit.Entry] | None = None,
    flush: bool = True,
    **data,
) -> Message:
    """Queue ``row`` (final bytes and Message-ID) carrying ``items`` (request id, step).

    The one place outgoing mail is written: letters, digests and receipts. The
    unique (request, step) of the items raises IntegrityError when a step was
    queued already; callers run this in a savepoint. Its audit event is recorded
    now, or added to ``entries`` for a caller that records a batch at once; with
    ``flush`` False the rows wait for the caller's next flush (and so does the error).
    """
    row.direction = Direction.OUT.value
    row.delivery = Delivery.QUEUED.value
    session.add(row)
    session.add_all(OutboxItem(message=row, request_id=rid, step=step) for rid, step in items)
    if flush:
        session.flush()
    entry = audit.Entry(
        "message.queued",
        row,
        data={
            "requests": [rid for rid, _ in items],
            "steps": [step for _, step in items],
            "to": row.to_addrs,
            "language": row.language,
            "kind": row.kind,
            **data,
        },
    )
    if entries is None:
        audit.record_many(session, [entry])
    else:
        entries.append(entry)
    return row


def retired(step: str, message_id: int) -> str:
    """The name a step's item is kept under once its letter no longer counts."""
    return f"{step}~{message_id}"[:32]


def _retire(session: Session, message_id: int, *, replan: bool) -> list[OutboxItem]:
    """Free the steps ``message_id`` carried; with ``replan`` the planner looks at their requests
    now."""
    items = list(session.scalars(select(OutboxItem).where(OutboxItem.message_id == message_id)))
    now = utcnow()
    for item in items:
        if "~" not in item.step:
            item.step = retired(item.step, message_id)
        if replan:
            request = session.get(Request, item.request_id)
            if request is not None and request.status == "open":
                request.next_action_at = now
    session.flush()
    return items


def cancel(
    session: Session,
    ids: list[int],
    reason: str,
    *,
    actor: str = "system",
    states: tuple[str, ...] = UNSENT,
    resend: bool = False,
) -> list[int]:
    """Cancel the letters among ``ids`` still in ``states``; the other requests of a
    cancelled digest are planned again at the next pass. Returns the ids cancelled.

    A letter that may have reached the server (``maybe_delivered``) keeps its steps: they are
    not written again under another Message-ID. With ``resend`` (a new addressee, a new
    deadline: another letter, not the same one again) its steps are freed all the same."""
    if not ids:
        return []
    done = list(
        session.scalars(
            update(Message)
            .where(Message.id.in_(ids), Message.delivery.in_(states))
            .values(
                delivery=Delivery.CANCELLED.value,
                error=f"cancelled: {reason}"[:2000],
                next_attempt_at=None,
            )
            .returning(Message.id)
            .execution_options(synchronize_session="fetch")
        )
    )
    if done:  # never sent: kept without the tokens of its form links, which no one has
        rows = session.execute(select(Message.id, Message.raw).where(Message.id.in_(done)))
        session.execute(update(Message), [{"id": i, "raw": scrub_letter(raw)} for i, raw in rows])
    maybe = set() if resend else set(
        session.scalars(select(Message.id).where(Message.id.in_(done), Message.maybe_delivered))
    )
    entries = []
    for mid in sorted(done):
        if mid in maybe:  # the server may have it: its steps stay done, never sent again
            items = list(session.scalars(select(OutboxItem).where(OutboxItem.message_id == mid)))
        else:
            items = _retire(session, mid, replan=True)
        data: dict[str, object] = {
            "reason": reason,
            "requests": [i.request_id for i in items],
            "steps": [i.step.split("~")[0] for i in items],
        }
        if mid in maybe:
            data["steps_kept"] = "an earlier attempt may have been delivered"
        entries.append(
            audit.Entry(
                "message.cancelled", subject_type="message", subject_id=mid, actor=actor, data=data
            )
        )
    audit.record_many(session, entries)
    return sorted(done)


def cancel_for(
    session: Session,
    request: Request,
    reason: str,
    *,
    actor: str = "system",
    resend: bool = False,
) -> list[int]:
    """Cancel the unsent letters carrying a step of ``request`` (receipts are still sent)."""
    ids = set(
        session.scalars(
            select(OutboxItem.message_id)
            .join(Message, Message.id == OutboxItem.message_id)
            .where(
                OutboxItem.request_id == request.id,
                Message.delivery.in_(UNSENT),
                Message.kind.is_distinct_from(RECEIPT),
            )
        )
    )
    return cancel(session, sorted(ids), reason, actor=actor, resend=resend)


def _unwanted(session: Session, ids: list[int], now: datetime) -> dict[int, str]:
    """{message id: why} for the claimed letters a request of theirs no longer wants."""
    rows = session.execute(
        select(OutboxItem.message_id, Request)
        .join(Request, Request.id == OutboxItem.request_id)
        .join(Message, Message.id == OutboxItem.message_id)
        .where(OutboxItem.message_id.in_(ids), Message.kind.is_distinct_from(RECEIPT))
    )
    out: dict[int, str] = {}
    for mid, request in rows:
        why = wants_letter(
            request.status, request.paused, request.snoozed_until, request.hold_until, now.date()
        )
        if why is not None and mid not in out:
            out[mid] = f"request {request.tag} {why} before sending"
    return out


def _claim(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Claim the rows among ``ids`` that are due and not claimed by anyone else, and
    cancel, in the same transaction, those whose requests no longer want them."""
    if not ids:
        return []
    claimed = session.scalars(
        update(Message)
        .where(
            Message.id.in_(ids),
            Message.direction == Direction.OUT.value,
            Message.delivery.in_([Delivery.QUEUED.value, Delivery.RETRY.value]),
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .values(delivery=Delivery.SENDING.value, claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    ).all()
    unwanted = _unwanted(session, list(claimed), now) if claimed else {}
    for mid, why in unwanted.items():
        cancel(session, [mid], why, actor="sender", states=(Delivery.SENDING.value,))
    return sorted(set(claimed) - set(unwanted))


def bounce_address(token: str | None, domain: str) -> str:
    """The envelope sender: ``bounces+TOKEN@domain`` (VERP), so a bounce names its request."""
    return tokens.reply_address(token, f"bounces@{domain}") if token else f"bounces@{domain}"


@dataclass
class _Claimed:
    id: int
    raw: bytes
    rcpts: list[str]
    attempts: int
    envelope_from: str
    request_id: int | None


def deliver(
    message_id: int, sender: Sender, domain: str, *, now: datetime | None = None
) -> DeliveryResult:
    """Claim, send and record one outbox row. Safe to call twice for the same row."""
    results = deliver_batch([message_id], sender, domain, now=now)
    return (
        results[0]
        if results
        else DeliveryResult(message_id, "skipped", "not due or claimed elsewhere")
    )


def deliver_batch(
    ids: list[int], sender: Sender, domain: str, *, now: datetime | None = None
) -> list[DeliveryResult]:
    """Claim the due rows among ``ids`` in one transaction, send them over one
    connection, and record every result in one transaction."""
    now = now or utcnow()
    with db.session() as s:
        claimed_ids = _claim(s, ids, now)
        rows = s.execute(
            select(
                Message.id,
                Message.raw,
                Message.to_addrs,
                Message.attempts,
                func.coalesce(Request.token, Message.token),
                Message.request_id,
            )
            .outerjoin(Request, Request.id == Message.request_id)
            .where(Message.id.in_(claimed_ids))
            .order_by(Message.id)
        )
        claimed = [
            _Claimed(i, raw, list(to), n, bounce_address(token, domain), rid)
            for i, raw, to, n, token, rid in rows
        ]
    # (row, outcome, detail, recipient refused, the server may have it)
    outcomes: list[tuple[_Claimed, str, str, bool, bool]] = []
    with sender.batch():
        for row in claimed:
            try:
                outcomes.append(
                    (row, "sent", sender.send(row.envelope_from, row.rcpts, row.raw), False, False)
                )
            except TemporaryFailure as exc:
                outcome = "failed" if row.attempts >= MAX_ATTEMPTS else "retry"
                outcomes.append((row, outcome, str(exc), False, exc.maybe_delivered))
            except PermanentFailure as exc:
                outcomes.append((row, "failed", str(exc), exc.recipient_refused, False))
            except Exception as exc:  # a sender bug must not leave the row claimed for ever
                log.exception("sender failed on message %s", row.id)
                outcomes.append((row, "retry", f"{type(exc).__name__}: {exc}", False, True))
    with db.session() as s:
        sent = [(row, detail) for row, outcome, detail, _, _ in outcomes if outcome == "sent"]
        entries: list[audit.Entry] = []
        if sent:  # the common case, written in bulk
            stamp = utcnow()
            s.execute(
                update(Message),
                [
                    {
                        "id": row.id,
                        "delivery": Delivery.SENT.value,
                        "sent_at": stamp,
                        "smtp_response": detail[:500],
                        "error": None,
                        "raw": scrub_letter(row.raw),  # sent: its form links are kept hashed only
                    }
                    for row, detail in sent
                ],
            )
            # one event for the batch, naming every message, its request and the server's answer
            entries.append(
                audit.Entry(
                    "message.sent",
                    subject_type="message",
                    subject_id=sent[0][0].id if len(sent) == 1 else "batch",
                    data={
                        "messages": [
                            {
                                "id": row.id,
                                "request": row.request_id,
                                "response": detail[:200],
                                "attempt": row.attempts,
                            }
                            for row, detail in sent
                        ]
                    },
                )
            )
        for row, outcome, detail, refused, maybe in outcomes:
            msg = s.get(Message, row.id)
            if outcome != "sent" and msg is not None:
                if maybe:
                    msg.maybe_delivered = True
                entries += _record_failure(s, msg, row.attempts, outcome, detail, refused)
        audit.record_many(s, entries)
    return [DeliveryResult(row.id, outcome, detail) for row, outcome, detail, _, _ in outcomes]


def _record_failure(
    s: Session, msg: Message, attempt: int, outcome: str, detail: str, refused: bool
) -> list[audit.Entry]:
    """Write a failed send's result to its row; return the audit entries for it."""
    msg.error = detail[:2000]
    if outcome == "retry":
        msg.delivery = Delivery.RETRY.value
        msg.next_attempt_at = utcnow() + backoff(attempt)
        return [
            audit.Entry(
                "message.retry",
                msg,
                data={
                    "request": msg.request_id,
                    "error": detail[:300],
                    "attempt": attempt,
                    "next_attempt": msg.next_attempt_at.isoformat(),
                },
            )
        ]
    msg.delivery, msg.next_attempt_at = Delivery.FAILED.value, None
    msg.raw = scrub_letter(msg.raw)  # never delivered: kept without its links' tokens
    entries = [
        audit.Entry(
            "message.failed",
            msg,
            data={"request": msg.request_id, "error": detail[:300], "attempt": attempt},
        )
    ]
    if refused:
        entries += _release(s, msg, detail)
    return entries


def _release(s: Session, msg: Message, detail: str) -> list[audit.Entry]:
    """The address was refused during the SMTP session."""
    contact = s.get(Contact, msg.contact_id) if msg.contact_id else None
    return release(s, msg, contact, detail)


def release(s: Session, msg: Message, contact: Contact | None, detail: str) -> list[audit.Entry]:
    """``contact``'s address failed for ``msg`` (refused at RCPT, or bounced after
    acceptance): mark it, and when it was the letter's addressee give its steps back
    to the planner, which sends them to the next contact in line at its next pass."""
    entries = []
    if contact is not None and contact.email_status == "ok":
        contact.email_status, contact.email_problem = "bouncing", detail[:500]
        entries.append(
            audit.Entry(
                "contact.bouncing", contact, data={"reason": detail[:200], "message": msg.id}
            )
        )
    if contact is None or msg.contact_id in (None, contact.id):
        items = _retire(s, msg.id, replan=True)
        if items:
            entries.append(
                audit.Entry(
                    "message.steps_released",
                    msg,
                    data={
                        "requests": [i.request_id for i in items],
                        "steps": [i.step.split("~")[0] for i in items],
                    },
                )
            )
    return entries


def reclaim_stale(session: Session, now: datetime, stale: timedelta = STALE_CLAIM) -> list[int]:
    """Put rows claimed long ago by a process that died back in the queue."""
    ids = list(
        session.scalars(
            select(Message.id).where(
                Message.direction == Direction.OUT.value,
                Message.delivery == Delivery.SENDING.value,
                Message.claimed_at < now - stale,
            )
        )
    )
    for mid in ids:
        changed = session.execute(  # type: ignore[attr-defined]  # a CursorResult
            update(Message)
            .where(Message.id == mid, Message.delivery == Delivery.SENDING.value)
            .values(delivery=Delivery.RETRY.value, next_attempt_at=now, maybe_delivered=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:  # the sender that died may have handed it to the server
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


def sweep(now: datetime | None = None, stale: timedelta = STALE_CLAIM) -> list[int]:
    """Reclaim stale claims and return the ids that are due to be sent."""
    now = now or utcnow()
    with db.session() as s:
        reclaim_stale(s, now, stale)
    with db.session() as s:
        return due_ids(s, now)
