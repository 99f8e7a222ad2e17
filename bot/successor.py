""" "This is no longer me": a person who has left a post names a successor; the secretariat decides.

A proposal comes from the form ``/f/TOKEN/successor`` or from an email ("I have
left this post; my successor is NAME <email>"). Nothing changes in the directory
until an officer approves it on the desk. Approval then:

- adds a new contact in the same role (and instrument, organisation, languages),
- marks the old contact as having left (``left_at``, ``successor_id``): it is no
  longer written to, by any ladder,
- points the requests addressed to the old contact at the new one
  (``requests.readdress``), which cancels their unsent letters so that the next
  planning pass writes to the successor,
- revokes the old contact's form links,
- sets the State's last directory update.

Every step is audited.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, links, requests
from .model import Contact, Message, Request, SuccessorProposal, utcnow
from .outbound import outbox

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class SuccessorError(ValueError):
    """A proposal cannot be made or decided as asked; ``code`` names why."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def clean_email(value: str) -> str | None:
    """The address normalised, or None when it is not one."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def propose(
    session: Session,
    contact: Contact,
    *,
    name: str,
    email: str,
    title: str = "",
    note: str = "",
    source: str,
    request: Request | None = None,
    message: Message | None = None,
    actor: str = "",
) -> SuccessorProposal:
    address = clean_email(email)
    if address is None:
        raise SuccessorError(f"{email!r} is not an email address", "bad_email")
    if address.lower() in (e.lower() for e in contact.emails):
        raise SuccessorError("the successor's address is the contact's own", "same_email")
    proposal = SuccessorProposal(
        contact_id=contact.id,
        request_id=request.id if request else None,
        message_id=message.id if message else None,
        source=source,
        name=name.strip()[:200],
        title=title.strip()[:200],
        email=address,
        note=note.strip()[:2000],
        status=PENDING,
    )
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        "successor.proposed",
        proposal,
        actor=actor or contact.email or source,
        contact=contact.id,
        request=proposal.request_id,
        source=source,
        name=proposal.name,
        email=address,
    )
    return proposal


def pending(session: Session, state_code: str | None = None) -> list[SuccessorProposal]:
    query = select(SuccessorProposal).where(SuccessorProposal.status == PENDING)
    if state_code:
        query = query.join(Contact, Contact.id == SuccessorProposal.contact_id).where(
            Contact.state_code == state_code
        )
    return list(session.scalars(query.order_by(SuccessorProposal.id)))


def _require_pending(proposal: SuccessorProposal) -> None:
    if proposal.status != PENDING:
        raise SuccessorError(f"proposal {proposal.id} is already {proposal.status}", "decided")


def approve(session: Session, proposal: SuccessorProposal, *, actor: str) -> Contact:
    """The successor takes over the post; returns the new contact."""
    _require_pending(proposal)
    old = proposal.contact
    if not old.active:
        raise SuccessorError(f"contact {old.id} has already left the post", "already_left")
    now = utcnow()
    new = Contact(
        state_code=old.state_code,
        role=old.role,
        instrument_code=old.instrument_code,
        name=proposal.name,
        title=proposal.title,
        organisation=old.organisation,
        emails=[proposal.email],
        address=old.address,
        languages=list(old.languages),
        access=old.access,
        last_updated_at=now,
    )
    session.add(new)
    session.flush()
    audit.record(
        session,
        "contact.created",
        new,
        actor=actor,
        state=new.state_code,
        role=new.role,
        successor_of=old.id,
        proposal=proposal.id,
    )
    old.left_at, old.successor_id = now, new.id
    audit.record(session, "contact.left", old, actor=actor, successor=new.id, proposal=proposal.id)
    reason = f"{old.name or old.role} has left the post; successor {new.name or new.email}"
    for req in session.scalars(select(Request).where(Request.contact_id == old.id)):
        requests.readdress(session, req, new, actor=actor, reason=reason)
    # letters already written to the old contact under the State's role (not addressed to it
    # by name) go again, to whoever now holds the role
    unsent = session.scalars(
        select(Message.id).where(
            Message.contact_id == old.id,
            Message.delivery.in_(outbox.UNSENT),
            Message.kind.is_distinct_from(outbox.RECEIPT),
        )
    )
    outbox.cancel(session, list(unsent), reason, actor=actor)
    links.revoke_for_contact(session, old, actor=actor, reason="the contact has left the post")
    old.state.directory_updated_at = now
    proposal.status, proposal.decided_at, proposal.decided_by = APPROVED, now, actor
    proposal.new_contact_id = new.id
    audit.record(session, "successor.approved", proposal, actor=actor, old=old.id, new=new.id)
    return new


def reject(session: Session, proposal: SuccessorProposal, *, actor: str, reason: str = "") -> None:
    _require_pending(proposal)
    proposal.status, proposal.decided_at, proposal.decided_by = REJECTED, utcnow(), actor
    audit.record(session, "successor.rejected", proposal, actor=actor, reason=reason)
