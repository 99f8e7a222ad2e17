"""What machine mail changes: a delivery failure marks an address, an absence notice holds reminders.

Neither is ever answered. A permanent failure marks the contact's address as
bouncing (the planner then writes to the next contact in line); a transient
one is only noted. An out-of-office notice from a known contact that gives a
return date holds the request's next reminder until that day. Each returns a
note for the message and the audit entries to record with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..model import Contact, Direction, Message, Request, RequestStatus, utcnow
from .lookup import DatabaseLookup
from .parse import ParsedMail
from .submit import addressee

ACTOR = "mail"
Effect = tuple[str | None, list[audit.Entry]]


def bounced_contact(
    session: Session, parsed: ParsedMail, request: Request | None, lookup: DatabaseLookup | None = None
) -> Contact | None:
    """The contact whose address failed: by the failed recipient, else by the message that bounced."""
    bounce = parsed.bounce or {}
    state = request.state_code if request else None
    recipient = (bounce.get("recipient") or "").strip().lower()
    lookup = lookup or DatabaseLookup(session)
    if recipient:
        found = lookup.contact_of(recipient, state) or (lookup.contact_of(recipient) if state else None)
        if found is not None:
            return found
    if bounce.get("message_id"):
        sent_to = session.scalar(
            select(Message.contact_id)
            .where(Message.direction == Direction.OUT.value, Message.message_id == bounce["message_id"])
            .limit(1)
        )
        if sent_to is not None:
            return session.get(Contact, sent_to)
    if request is not None and not recipient:
        return addressee(request)
    return None


def apply_bounce(
    session: Session, row: Message, parsed: ParsedMail, request: Request | None, lookup: DatabaseLookup | None = None
) -> Effect:
    """Mark a permanently failing address; note a transient failure."""
    bounce = parsed.bounce or {}
    contact = bounced_contact(session, parsed, request, lookup)
    recipient = bounce.get("recipient") or (contact.email if contact else None) or "unknown recipient"
    status = bounce.get("status") or "no status"
    detail = f"{recipient}: {status}"
    if bounce.get("diagnostic"):
        detail += f" ({bounce['diagnostic']})"
    if contact is None:
        return f"delivery failure for {detail}; the address is not in the directory", []
    row.contact_id = contact.id
    row.state_code = row.state_code or contact.state_code
    if bounce.get("permanent"):
        if request is not None and request.status == RequestStatus.OPEN.value:
            request.next_action_at = utcnow()
        contact.email_status = "bouncing"
        contact.email_problem = f"permanent delivery failure for {detail}"[:500]
        data = {"address": recipient, "status": bounce.get("status"), "message": row.id,
                "request": request.id if request else None}
        return (f"permanent delivery failure for {detail}; the address is marked as bouncing",
                [audit.Entry("contact.bouncing", contact, ACTOR, data=data)])
    data = {"address": recipient, "status": bounce.get("status"), "message": row.id,
            "request": request.id if request else None}
    return f"transient delivery failure for {detail}", [audit.Entry("contact.bounce_transient", contact, ACTOR, data=data)]


def apply_absence(
    session: Session, row: Message, parsed: ParsedMail, request: Request | None, contact: Contact | None
) -> Effect:
    """Hold reminders until the return date an out-of-office notice gives."""
    back = parsed.return_date
    if back is None or contact is None:
        return None, []
    contact.away_until = back
    held = None
    if request is not None and request.status == RequestStatus.OPEN.value:
        if request.hold_until is None or request.hold_until < back:
            request.hold_until = back
            request.next_action_at = utcnow()
            held = request.id
    entry = audit.Entry("contact.away", contact, ACTOR, data={"until": back.isoformat(), "message": row.id, "request": held})
    return f"away until {back.isoformat()}" + (f"; reminders for [FB-{held}] held until then" if held else ""), [entry]
