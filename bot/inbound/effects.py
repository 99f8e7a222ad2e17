"""What machine mail changes: a delivery failure marks an address, an absence notice holds
reminders.

Neither is ever answered. A permanent failure marks the contact's address as
bouncing (the planner then writes to the next contact in line); a transient
one is only noted. An out-of-office notice from a known contact that gives a
return date holds the request's next reminder until that day. Each returns a
note for the message and the audit entries to record with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, requests
from ..model import Contact, Direction, Message, OutboxItem, Request, RequestStatus, utcnow
from ..outbound import outbox
from .lookup import DatabaseLookup
from .parse import ParsedMail
from .submit import addressee

ACTOR = "mail"
Effect = tuple[str | None, list[audit.Entry]]


def bounced_contact(
    session: Session,
    parsed: ParsedMail,
    request: Request | None,
    lookup: DatabaseLookup | None = None,
) -> Contact | None:
    """The contact whose address failed: by the failed recipient, else by the message that
    bounced."""
    bounce = parsed.bounce or {}
    state = request.state_code if request else None
    recipient = (bounce.get("recipient") or "").strip().lower()
    lookup = lookup or DatabaseLookup(session)
    if recipient:
        found = lookup.contact_of(recipient, state) or (
            lookup.contact_of(recipient) if state else None
        )
        if found is not None:
            return found
    if bounce.get("message_id"):
        sent_to = session.scalar(
            select(Message.contact_id)
            .where(
                Message.direction == Direction.OUT.value, Message.message_id == bounce["message_id"]
            )
            .limit(1)
        )
        if sent_to is not None:
            return session.get(Contact, sent_to)
    if request is not None and not recipient:
        return addressee(request)
    return None


def bounced_letter(
    session: Session, parsed: ParsedMail, request: Request | None, contact: Contact
) -> Message | None:
    """The letter of ours that bounced: by the Message-ID the notice quotes, else the
    latest letter of the request (named by the VERP address) sent to that contact."""
    bounce = parsed.bounce or {}
    query = select(Message).where(Message.direction == Direction.OUT.value)
    if bounce.get("message_id"):
        found = session.scalar(query.where(Message.message_id == bounce["message_id"]).limit(1))
        if found is not None:
            return found
    if request is None:
        return None
    carried = select(OutboxItem.message_id).where(OutboxItem.request_id == request.id)
    return session.scalar(
        query.where(
            Message.id.in_(carried), Message.contact_id == contact.id, Message.kind != "receipt"
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def apply_bounce(
    session: Session,
    row: Message,
    parsed: ParsedMail,
    request: Request | None,
    lookup: DatabaseLookup | None = None,
) -> Effect:
    """Mark a permanently failing address; note a transient failure."""
    bounce = parsed.bounce or {}
    contact = bounced_contact(session, parsed, request, lookup)
    recipient = (
        bounce.get("recipient") or (contact.email if contact else None) or "unknown recipient"
    )
    status = bounce.get("status") or "no status"
    detail = f"{recipient}: {status}"
    if bounce.get("diagnostic"):
        detail += f" ({bounce['diagnostic']})"
    if contact is None:
        return f"delivery failure for {detail}; the address is not in the directory", []
    row.contact_id = contact.id
    row.state_code = row.state_code or contact.state_code
    if bounce.get("permanent"):
        was_ok = contact.email_status == "ok"
        bounced = bounced_letter(session, parsed, request, contact)
        entries = []
        if bounced is not None:  # the step goes to the next contact in line at the next pass
            entries = outbox.release(
                session, bounced, contact, f"permanent delivery failure for {detail}"
            )
        elif request is not None and request.status == RequestStatus.OPEN.value:
            request.next_action_at = utcnow()
        if contact.email_status == "ok":
            contact.email_status = "bouncing"
        contact.email_problem = f"permanent delivery failure for {detail}"[:500]
        data = {
            "address": recipient,
            "status": bounce.get("status"),
            "message": row.id,
            "request": request.id if request else None,
            "letter": bounced.id if bounced else None,
        }
        entries = [e for e in entries if e.action != "contact.bouncing"]
        if was_ok or not entries:
            entries.insert(0, audit.Entry("contact.bouncing", contact, ACTOR, data=data))
        return (
            f"permanent delivery failure for {detail}; the address is marked as bouncing",
            entries,
        )
    data = {
        "address": recipient,
        "status": bounce.get("status"),
        "message": row.id,
        "request": request.id if request else None,
    }
    return f"transient delivery failure for {detail}", [
        audit.Entry("contact.bounce_transient", contact, ACTOR, data=data)
    ]


def apply_absence(
    session: Session,
    row: Message,
    parsed: ParsedMail,
    filed: list[Request],
    contact: Contact | None,
) -> Effect:
    """Hold reminders of the requests it was filed under until the return date that an
    out-of-office notice gives."""
    back = parsed.return_date
    if back is None or contact is None:
        return None, []
    contact.away_until = back
    held = [
        r.id
        for r in filed
        if requests.hold(session, r, back, actor=ACTOR, reason="out-of-office notice")
    ]
    entry = audit.Entry(
        "contact.away",
        contact,
        ACTOR,
        data={
            "until": back.isoformat(),
            "message": row.id,
            "request": held[0] if held else None,
            "requests": held,
        },
    )
    note = f"away until {back.isoformat()}"
    if held:
        note += "; reminders for " + ", ".join(f"[FB-{i}]" for i in held) + " held until then"
    return note, [entry]
