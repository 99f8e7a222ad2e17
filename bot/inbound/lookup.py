"""The database side of threading: requests by token and Message-ID, contacts by address."""

from __future__ import annotations

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from ..model import Contact, Direction, Message, Request, RequestStatus
from ..requests import recipients


def contacts_with(session: Session, address: str, state_code: str | None = None) -> list[Contact]:
    """Contacts that list ``address`` among their emails, in the State if one is given."""
    if not address:
        return []
    address = address.strip().lower()
    query = select(Contact).order_by(Contact.id)
    if address.isascii():  # JSON text escapes other characters
        pattern = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(cast(Contact.emails, String).ilike(f"%{pattern}%", escape="\\"))
    if state_code:
        query = query.where(Contact.state_code == state_code)
    return [c for c in session.scalars(query) if address in (e.strip().lower() for e in c.emails)]


def contact_of(session: Session, address: str, state_code: str | None = None) -> Contact | None:
    found = contacts_with(session, address, state_code)
    return found[0] if found else None


class DatabaseLookup:
    def __init__(self, session: Session):
        self.session = session

    def request_by_token(self, token: str) -> int | None:
        found = self.session.scalar(select(Request).where(Request.token == token))
        return found.id if found is not None else None

    def request_by_message_id(self, message_id: str) -> int | None:
        return self.session.scalar(
            select(Message.request_id)
            .where(Message.direction == Direction.OUT.value, Message.message_id == message_id)
            .where(Message.request_id.is_not(None))
            .limit(1)
        )

    def request_exists(self, request_id: int) -> bool:
        return self.session.get(Request, request_id) is not None

    def open_requests_of(self, address: str) -> list[int]:
        """Open requests addressed to the contact(s) with this address."""
        ids: list[int] = []
        for contact in contacts_with(self.session, address):
            rows = self.session.scalars(
                select(Request).where(Request.state_code == contact.state_code, Request.status == RequestStatus.OPEN.value)
                .order_by(Request.id)
            )
            for request in rows:
                addressed = request.contact_id == contact.id or (
                    request.contact_id is None and contact in recipients(request)
                )
                if addressed and request.id not in ids:
                    ids.append(request.id)
        return ids
