"""The database side of threading: requests by token and Message-ID, contacts by address."""

from __future__ import annotations

from sqlalchemy import String, bindparam, cast, select
from sqlalchemy.orm import Session

from ..model import Contact, Direction, Message, OutboxItem, Request, RequestStatus
from ..requests import recipients


def _listed(contact: Contact, address: str) -> bool:
    return address in (e.strip().lower() for e in contact.emails or [])


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
    return [c for c in session.scalars(query) if _listed(c, address)]


def contact_of(session: Session, address: str, state_code: str | None = None) -> Contact | None:
    found = contacts_with(session, address, state_code)
    return found[0] if found else None


_BY_TOKEN = (
    select(Request, Contact)
    .outerjoin(Contact, Contact.state_code == Request.state_code)
    .where(Request.token == bindparam("token"))
    .order_by(Contact.id)
)


class DatabaseLookup:
    """Lookups for one message, in one session.

    A request found by its token is loaded together with the contacts of its
    State, in one query; the requests and contacts loaded are kept (which also
    keeps them in the session's identity map), so that asking again costs no
    query.
    """

    def __init__(self, session: Session):
        self.session = session
        self.requests: dict[int, Request] = {}
        self.state_contacts: dict[str, list[Contact]] = {}

    def request_by_token(self, token: str) -> int | None:
        rows = self.session.execute(_BY_TOKEN, {"token": token}).all()
        if not rows:
            return None
        request = rows[0][0]
        self.requests[request.id] = request
        self.state_contacts[request.state_code] = [c for _, c in rows if c is not None]
        return request.id

    def request_by_message_id(self, message_id: str) -> int | None:
        return self.session.scalar(
            select(Message.request_id)
            .where(Message.direction == Direction.OUT.value, Message.message_id == message_id)
            .where(Message.request_id.is_not(None))
            .limit(1)
        )

    def _carried(self, where) -> list[int]:
        """The requests carried by the outgoing digest ``where`` selects, in the digest's order."""
        digest = (
            select(Message.id)
            .where(Message.direction == Direction.OUT.value, Message.kind == "digest", where)
            .limit(1)
            .scalar_subquery()
        )
        ids = list(
            self.session.scalars(
                select(OutboxItem.request_id)
                .where(OutboxItem.message_id == digest)
                .order_by(OutboxItem.id)
            )
        )
        return list(dict.fromkeys(ids))

    def digest_by_token(self, token: str) -> list[int]:
        return self._carried(Message.token == token)

    def digest_by_message_id(self, message_id: str) -> list[int]:
        return self._carried(Message.message_id == message_id)

    def request_kind(self, request_id: int) -> str | None:
        found = self.request(request_id)
        return found.kind if found is not None else None

    def request(self, request_id: int) -> Request | None:
        found = self.requests.get(request_id)
        if found is None:
            found = self.session.get(Request, request_id)
            if found is not None:
                self.requests[request_id] = found
        return found

    def request_exists(self, request_id: int) -> bool:
        return self.request(request_id) is not None

    def contact_of(self, address: str, state_code: str | None = None) -> Contact | None:
        """The first contact (by id) listing ``address``, in the State if one is given."""
        if state_code and state_code in self.state_contacts:
            address = (address or "").strip().lower()
            if not address:
                return None
            return next((c for c in self.state_contacts[state_code] if _listed(c, address)), None)
        return contact_of(self.session, address, state_code)

    def open_requests_of(self, address: str) -> list[int]:
        """Open requests addressed to the contact(s) with this address."""
        ids: list[int] = []
        for contact in contacts_with(self.session, address):
            rows = self.session.scalars(
                select(Request)
                .where(
                    Request.state_code == contact.state_code,
                    Request.status == RequestStatus.OPEN.value,
                )
                .order_by(Request.id)
            )
            for request in rows:
                addressed = request.contact_id == contact.id or (
                    request.contact_id is None and contact in recipients(request)
                )
                if addressed and request.id not in ids:
                    ids.append(request.id)
                    self.requests[request.id] = request
        return ids
