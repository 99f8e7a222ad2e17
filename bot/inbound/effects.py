"""What machine mail changes: a delivery failure marks an address, an absence notice holds reminders.

Neither is ever answered. A permanent failure marks the contact's address as
bouncing (the planner then writes to the next contact in line); a transient
one is only noted. An out-of-office notice from a known contact that gives a
return date holds the request's next reminder until that day.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import audit
from ..model import Contact, Direction, Message, Request, RequestStatus, utcnow
from .lookup import contact_of
from .parse import ParsedMail
from .submit import addressee

ACTOR = "mail"


def bounced_contact(session: Session, parsed: ParsedMail, request: Request | None) -> Contact | None:
    """The contact whose address failed: by the failed recipient, else by the message that bounced."""
    bounce = parsed.bounce or {}
    state = request.state_code if request else None
    recipient = (bounce.get("recipient") or "").strip().lower()
    if recipient:
        found = contact_of(session, recipient, state) or (contact_of(session, recipient) if state else None)
        if found is not None:
            return found
    if bounce.get("message_id"):
        sent = session.query(Message).filter(
            Message.direction == Direction.OUT.value, Message.message_id == bounce["message_id"]
        ).first()
        if sent is not None and sent.contact_id is not None:
            return session.get(Contact, sent.contact_id)
    if request is not None and not recipient:
        return addressee(request)
    return None


def apply_bounce(session: Session, row: Message, parsed: ParsedMail, request: Request | None) -> str | None:
    """Mark a permanently failing address; note a transient failure. A note for the message."""
    bounce = parsed.bounce or {}
    contact = bounced_contact(session, parsed, request)
    recipient = bounce.get("recipient") or (contact.email if contact else None) or "unknown recipient"
    status = bounce.get("status") or "no status"
    detail = f"{recipient}: {status}"
    if bounce.get("diagnostic"):
        detail += f" ({bounce['diagnostic']})"
    if contact is None:
        return f"delivery failure for {detail}; the address is not in the directory"
    row.contact_id = contact.id
    row.state_code = row.state_code or contact.state_code
    if bounce.get("permanent"):
        if request is not None and request.status == RequestStatus.OPEN.value:
            request.next_action_at = utcnow()
        contact.email_status = "bouncing"
        contact.email_problem = f"permanent delivery failure for {detail}"[:500]
        audit.record(
            session, "contact.bouncing", contact, actor=ACTOR, address=recipient, status=bounce.get("status"),
            message=row.id, request=request.id if request else None,
        )
        return f"permanent delivery failure for {detail}; the address is marked as bouncing"
    audit.record(
        session, "contact.bounce_transient", contact, actor=ACTOR, address=recipient, status=bounce.get("status"),
        message=row.id, request=request.id if request else None,
    )
    return f"transient delivery failure for {detail}"


def apply_absence(
    session: Session, row: Message, parsed: ParsedMail, request: Request | None, contact: Contact | None
) -> str | None:
    """Hold reminders until the return date an out-of-office notice gives."""
    back = parsed.return_date
    if back is None or contact is None:
        return None
    contact.away_until = back
    held = None
    if request is not None and request.status == RequestStatus.OPEN.value:
        if request.hold_until is None or request.hold_until < back:
            request.hold_until = back
            request.next_action_at = utcnow()
            held = request.id
    audit.record(
        session, "contact.away", contact, actor=ACTOR, until=back.isoformat(), message=row.id, request=held,
    )
    return f"away until {back.isoformat()}" + (f"; reminders for [FB-{held}] held until then" if held else "")
