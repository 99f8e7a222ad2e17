"""Recording one incoming message: the edge between mailboxes and the database.

The raw bytes are stored first, in their own transaction, under a key that
makes a message seen twice recorded once. Then the message is parsed, matched
to a request and recorded in a second transaction. Input never makes this
raise: what cannot be parsed is kept raw with the reason.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, defer, make_transient_to_detached

from .. import audit, db, requests
from ..config import Settings
from ..lease import Outcome
from ..model import (
    Contact,
    Delivery,
    Direction,
    Message,
    MessageLink,
    Request,
    RequestStatus,
)
from . import effects, evidence, receipts, store, submit
from .lookup import DatabaseLookup
from .parse import ParsedMail, ParseError, parse
from .thread import Match, locate

log = logging.getLogger(__name__)
ACTOR = "mail"


@dataclass
class IngestResult:
    outcome: str  # processed, triage, unparsable, duplicate
    message_pk: int | None = None
    request_id: int | None = None
    kind: str | None = None
    method: str | None = None
    reason: str = ""
    receipt: int | None = None
    request_ids: list[int] = field(default_factory=list)  # every request it was filed under


@dataclass
class PollResult:
    fetched: int = 0
    recorded: int = 0
    duplicates: int = 0
    unparsable: int = 0
    triage: int = 0
    skipped: str = ""  # why the mailbox was not read (another reader holds its lease)
    results: list[IngestResult] = field(default_factory=list, repr=False)

    def add(self, result: IngestResult) -> None:
        self.fetched += 1
        self.results.append(result)
        if result.outcome == "duplicate":
            self.duplicates += 1
            return
        self.recorded += 1
        if result.outcome == "unparsable":
            self.unparsable += 1
        elif result.outcome == "triage":
            self.triage += 1


def not_read(mailbox: str, holder: Outcome | None) -> PollResult:
    """The result of a poll that found another reader holding the mailbox's lease."""
    reason = "another reader has the mailbox: lease " + (holder.describe() if holder else "lost")
    log.info("%s: not read, %s", mailbox, reason)
    return PollResult(skipped=reason)


def dedup_key(raw: bytes) -> tuple[str, str | None]:
    """The key a message is recorded once under, and its Message-ID if it has a usable one."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        value = str(headers.get("Message-ID") or "").strip()
    except Exception:
        value = ""
    value = " ".join(value.split())
    if value and len(value) <= 300 and value.isascii():
        return value, value
    return "sha256:" + hashlib.sha256(raw).hexdigest(), None


def ingest(raw: bytes, *, source: str, settings: Settings) -> IngestResult:
    db.init(settings.database_url)
    stored = _store_raw(raw, source)
    if stored is None:
        return IngestResult("duplicate", reason="already recorded")
    pk = stored.pk
    try:
        parsed = parse(
            raw,
            reply_local=settings.reply_local,
            our_domain=settings.mail_domain,
            authserv_id=settings.authserv_id,
        )
    except ParseError as exc:
        return _set_aside(pk, Delivery.UNPARSABLE, exc.reason, "message.unparsable")
    except Exception as exc:  # the parser guards itself; this keeps a worker alive regardless
        log.exception("parser failed on message %s", pk)
        return _set_aside(
            pk,
            Delivery.UNPARSABLE,
            f"parser failed: {type(exc).__name__}: {exc}",
            "message.unparsable",
        )
    try:
        return _record(stored, parsed, settings)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.exception("could not record message %s", pk)
        return _set_aside(
            pk,
            Delivery.TRIAGE,
            f"could not be recorded: {type(exc).__name__}: {exc}",
            "message.received",
        )


@dataclass(frozen=True)
class Stored:
    """The row the raw bytes were stored in: its id and, when this run inserted it, its columns."""

    pk: int
    columns: dict | None = None


_MESSAGES = cast(Table, Message.__table__)
_INSERT_RAW = _MESSAGES.insert().returning(_MESSAGES.c.id)
_DELIVERY = select(_MESSAGES.c.delivery).where(_MESSAGES.c.id == bindparam("pk")).with_for_update()
_KNOWN = (
    "request_id",
    "state_code",
    "contact_id",
    "language",
    "kind",
    "match_method",
    "text",
    "error",
)


def _store_raw(raw: bytes, source: str) -> Stored | None:
    """Store the bytes; where they are, or None when the message was recorded before.

    A row left at ``received`` by an interrupted run is taken up again.
    """
    key, message_id = dedup_key(raw)
    columns: dict[str, Any] = {
        "direction": Direction.IN.value,
        "message_id": message_id,
        "dedup_key": key,
        "delivery": Delivery.RECEIVED.value,
        "source": source[:300],
        "subject": "",
        "from_addr": "",
        "to_addrs": [],
    }
    try:
        with db.session() as s:
            pk = s.execute(_INSERT_RAW, {**columns, "raw": raw}).scalar_one()
        return Stored(pk, columns)
    except IntegrityError:  # recorded before, or by another worker at the same moment
        pass
    with db.session() as s:
        existing = s.execute(
            select(Message.id, Message.direction, Message.delivery).where(Message.dedup_key == key)
        ).first()
    if (
        existing is not None
        and existing.direction == Direction.IN.value
        and existing.delivery == Delivery.RECEIVED.value
    ):
        return Stored(existing.id)
    return None


def _claim(s: Session, stored: Stored) -> Message | None:
    """The stored row, locked, if it still waits to be recorded; else None.

    A row this run inserted is not read back: its delivery is checked (which locks
    it) and the columns already known are taken as they were written.
    """
    if stored.columns is None:
        row = s.get(Message, stored.pk, with_for_update=True, options=[defer(Message.raw)])
        return row if row is not None and row.delivery == Delivery.RECEIVED.value else None
    if s.scalar(_DELIVERY, {"pk": stored.pk}) != Delivery.RECEIVED.value:
        return None
    row = Message(id=stored.pk, **stored.columns, **dict.fromkeys(_KNOWN))
    make_transient_to_detached(row)
    s.add(row)
    return row


def _set_aside(pk: int, delivery: Delivery, reason: str, action: str) -> IngestResult:
    with db.session() as s:
        row = s.get(Message, pk, with_for_update=True, options=[defer(Message.raw)])
        if row is None or row.delivery != Delivery.RECEIVED.value:
            return IngestResult("duplicate", pk, reason="already recorded")
        row.delivery = delivery.value
        row.error = reason
        audit.record(s, action, row, actor=ACTOR, delivery=delivery.value, reason=reason)
    return IngestResult(delivery.value, pk, reason=reason)


def _fill(row: Message, parsed: ParsedMail) -> None:
    row.subject = parsed.subject[:500]
    row.from_addr = parsed.from_addr[:320]
    row.to_addrs = parsed.to_addrs + parsed.cc_addrs
    row.language = parsed.language
    row.kind = parsed.kind
    row.text = parsed.new_text
    if parsed.message_id and row.message_id is None:
        row.message_id = parsed.message_id[:300]


def _record(stored: Stored, parsed: ParsedMail, settings: Settings) -> IngestResult:
    pk = stored.pk
    with db.session() as s, s.no_autoflush:
        row = _claim(s, stored)
        if row is None:
            return IngestResult("duplicate", pk, reason="already recorded")
        lookup = DatabaseLookup(s)
        if parsed.is_loop:
            match = Match(None, None, "loop: sent from our own domain; dropped")
        else:
            match = locate(parsed, lookup)
        request = lookup.request(match.request_id) if match.request_id is not None else None
        filed = [r for r in (lookup.request(i) for i in match.request_ids) if r is not None]
        _fill(row, parsed)
        row.request_id = request.id if request else None
        row.match_method = match.recorded_method
        row.state_code = request.state_code if request else None
        contact = lookup.contact_of(parsed.from_addr, row.state_code)
        if contact is not None:
            row.contact_id = contact.id
            row.state_code = row.state_code or contact.state_code
        notes = store.keep(
            s, row, parsed.files, settings.attachment_dir, settings.attachment_max_bytes
        )
        effect: str | None = None
        entries: list[audit.Entry] = []
        trusted = parsed.dmarc != "fail" and not parsed.is_loop
        if trusted and parsed.kind == "bounce":
            effect, entries = effects.apply_bounce(s, row, parsed, request, lookup)
        elif trusted and parsed.kind == "auto_reply":
            effect, entries = effects.apply_absence(s, row, parsed, filed, contact)
        outcome, reason = decide(parsed, match, request, contact, settings.authserv_id, effect)
        row.delivery = outcome
        if outcome == Delivery.PROCESSED.value and len(filed) > 1:
            s.add_all(MessageLink(message_id=row.id, request_id=r.id) for r in filed)
        weight = evidence.weigh(match, known_sender=contact is not None, dmarc=parsed.dmarc)
        head = [reason] if outcome == Delivery.TRIAGE.value or parsed.is_loop else []
        head += [effect] if effect else []
        row.error = "; ".join(head + notes + [p for p in parsed.problems if p != "loop"]) or None
        entries.append(
            audit.Entry(
                "message.received",
                row,
                row.from_addr or ACTOR,
                data={
                    "kind": parsed.kind,
                    "delivery": outcome,
                    "request": row.request_id,
                    "requests": [r.id for r in filed],
                    "method": match.recorded_method,
                    "stands": weight.stands,
                    "reason": reason,
                    "language": parsed.language,
                    "problems": parsed.problems,
                    "guesses": list(match.guesses),
                    "attachments": len(parsed.files),
                },
            )
        )
        audit.record_many(s, entries)
        if trusted and parsed.successor and contact is not None and parsed.kind == "reply":
            _propose_successor(s, row, parsed.successor, contact, request)
        receipt = None
        if outcome == Delivery.PROCESSED.value and parsed.kind == "reply" and request is not None:
            submission = None
            for each in filed:
                answer = submit.record_answer(
                    s,
                    row,
                    each,
                    parsed.new_text,
                    parsed.answers,
                    parsed.attachments,
                    actor=row.from_addr or ACTOR,
                    stands=weight.stands,
                )
                if answer is None and each.status == RequestStatus.OPEN.value and not each.paused:
                    # a reply without an answer: the ladder waits, as the planner would decide
                    requests.pause(s, each, actor=row.from_addr or ACTOR, reason="reply received")
                if each is request:
                    submission = answer
            if contact is not None:
                received = submission.data if submission is not None else {}
                receipt = receipts.queue_receipt(
                    s,
                    settings,
                    row,
                    request,
                    contact,
                    received=received,
                    references=parsed.references,
                )
                if isinstance(receipt, str):
                    log.debug("message %s: %s", row.id, receipt)
    return IngestResult(
        outcome,
        pk,
        row.request_id,
        parsed.kind,
        match.recorded_method,
        reason,
        receipt if isinstance(receipt, int) else None,
        [r.id for r in filed],
    )


def _propose_successor(s, row: Message, named: dict, contact, request) -> None:
    """A known sender names a successor: a proposal for the desk (nothing changes before)."""
    from .. import successor

    try:
        with s.begin_nested():
            successor.propose(
                s, contact, name=named.get("name", ""), email=named.get("email", ""),
                source="email", request=request, message=row, actor=row.from_addr or ACTOR,
            )
    except successor.SuccessorError as exc:
        log.info("message %s names a successor that cannot be proposed: %s", row.id, exc)


def decide(
    parsed: ParsedMail,
    match: Match,
    request: Request | None,
    contact: Contact | None,
    authserv_id: str = "",
    effect: str | None = None,
) -> tuple[str, str]:
    """Where the message goes: processed, or triage with the reason a person should look."""
    if parsed.is_loop:
        return Delivery.PROCESSED.value, match.reason
    if parsed.dmarc == "fail":
        domain = parsed.sender_domain or "the sender's domain"
        return (
            Delivery.TRIAGE.value,
            f"{match.reason}; DMARC failed for {domain} (checked by {authserv_id or 'our server'})",
        )
    if not parsed.from_addr:
        return Delivery.TRIAGE.value, f"{match.reason}; the message has no sender address"
    if parsed.kind in ("bounce", "auto_reply") and (
        request is not None or contact is not None or effect
    ):
        return Delivery.PROCESSED.value, match.reason
    if request is None:
        return Delivery.TRIAGE.value, match.reason
    if parsed.kind != "reply":
        return Delivery.PROCESSED.value, match.reason
    if contact is None:
        return (
            Delivery.TRIAGE.value,
            f"{match.reason}; the sender {parsed.from_addr} is not a known contact of "
            f"{request.state_code}",
        )
    if submit.text_answered(request):
        if request.status in (RequestStatus.CLOSED.value, RequestStatus.WAIVED.value):
            return Delivery.TRIAGE.value, f"{match.reason}; the request is {request.status}"
        if not parsed.new_text:
            return Delivery.TRIAGE.value, f"{match.reason}; the reply has no text of its own"
    return Delivery.PROCESSED.value, match.reason
