"""Creating and updating contacts, as imports and the demo data both do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..model import Contact, State, utcnow
from .changes import EDITABLE, apply_change

FIELDS = EDITABLE  # a contact's directory fields: the ones a change may set

Key = tuple[str, str, str, str]


def contact_key(state_code: str, role: str, instrument_code: str | None, emails: list[str]) -> Key:
    """A contact is the same contact when State, role, instrument and first email agree."""
    return (state_code, role, instrument_code or "", emails[0].lower() if emails else "")


class ContactIndex:
    """The existing contacts of some States, by key."""

    def __init__(self, session: Session, state_codes: Iterable[str]) -> None:
        codes = sorted(set(state_codes))
        found = (
            session.scalars(select(Contact).where(Contact.state_code.in_(codes))).all()
            if codes
            else []
        )
        self.by_key: dict[Key, Contact] = {}
        for c in found:
            self.by_key.setdefault(
                contact_key(c.state_code, c.role, c.instrument_code, c.emails or []), c
            )

    def get(self, key: Key) -> Contact | None:
        return self.by_key.get(key)

    def add(self, key: Key, contact: Contact) -> None:
        self.by_key[key] = contact


def upsert_contact(
    session: Session,
    index: ContactIndex,
    state: State,
    role: str,
    instrument_code: str | None,
    values: dict[str, Any],
    *,
    actor: str,
    now: datetime | None = None,
    **audit_data: Any,
) -> str:
    """Create or update one contact; return ``created``, ``updated`` or ``unchanged``.

    Only the fields in ``values`` are compared and written. A change sets the
    contact's ``last_updated_at`` and the State's ``directory_updated_at`` and
    writes one audit event naming the changed fields.
    """
    now = now or utcnow()
    key = contact_key(state.code, role, instrument_code, values.get("emails") or [])
    contact = index.get(key)
    if contact is None:
        contact = Contact(
            state_code=state.code,
            role=role,
            instrument_code=instrument_code,
            last_updated_at=now,
            created_at=now,
        )
        for field in FIELDS:
            if field in values:
                setattr(contact, field, values[field])
        session.add(contact)
        session.flush()
        index.add(key, contact)
        state.directory_updated_at = now
        audit.record(
            session,
            "contact.created",
            contact,
            actor=actor,
            state=state.code,
            role=role,
            instrument=instrument_code,
            fields=sorted(f for f in FIELDS if values.get(f)),
            **audit_data,
        )
        return "created"
    if not any(f in values and getattr(contact, f) != values[f] for f in FIELDS):
        return "unchanged"
    apply_change(
        session,
        contact,
        {f: values[f] for f in FIELDS if f in values},
        actor=actor,
        source="import",
        by_state=True,
        now=now,
        state=state.code,
        role=role,
        instrument=instrument_code,
        **audit_data,
    )
    return "updated"
