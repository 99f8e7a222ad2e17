"""What the online directory shows: its entries, filtered, paged, and limited to what the
caller may see.

An entry marked ``restricted`` is left out by the query itself unless the caller is an
authorised user, so that no page, search, count or file can hold it. Queries per page are
bounded: the States, the matching States' codes, the page's entries, the instruments and the
version (for ETag and Last-Modified).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ..model import Access, Contact, DirectoryResource, Instrument, State
from .data import AuthorityType, load_authority_types

PAGE_SIZE = 10  # States per page
# The fields of an entry in /directory.json and /directory.csv, in this order (see README).
PUBLIC_FIELDS = (
    "state",
    "state_name",
    "un_group",
    "instrument",
    "authority_type",
    "article",
    "organisation",
    "name",
    "title",
    "emails",
    "phone",
    "fax",
    "address",
    "office_hours",
    "languages",
    "info",
    "access",
    "last_updated",
)


@functools.cache
def authority_types() -> dict[str, AuthorityType]:
    return {t.code: t for t in load_authority_types()}


@dataclass(frozen=True)
class Filters:
    instrument: str = ""
    authority: str = ""
    group: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def one(name: str, limit: int = 100) -> str:
            return str(args.get(name, "") or "").strip()[:limit]

        return cls(one("instrument").upper(), one("type").lower(), one("group").upper(), one("q"))

    def as_args(self) -> dict[str, str]:
        pairs = {"instrument": self.instrument, "type": self.authority}
        pairs.update(group=self.group, q=self.q)
        return {k: v for k, v in pairs.items() if v}


@dataclass
class StateEntries:
    state: State
    by_instrument: list[tuple[str, list[Contact]]] = field(default_factory=list)


def _visible(restricted: bool) -> Select:
    query = select(Contact).where(
        Contact.left_at.is_(None), Contact.role.in_(list(authority_types()))
    )
    if not restricted:
        query = query.where(Contact.access == Access.PUBLIC.value)
    return query


def instrument_of(contact: Contact) -> str:
    return contact.instrument_code or authority_types()[contact.role].instrument


def _filtered(query: Select, filters: Filters, states: dict[str, State]) -> Select:
    types = authority_types()
    if filters.authority:
        query = query.where(Contact.role == filters.authority)
    if filters.instrument:
        codes = [c for c, t in types.items() if t.instrument == filters.instrument]
        query = query.where(
            or_(
                Contact.instrument_code == filters.instrument,
                Contact.instrument_code.is_(None) & Contact.role.in_(codes),
            )
        )
    if filters.group:
        query = query.where(
            Contact.state_code.in_([c for c, s in states.items() if s.un_group == filters.group])
        )
    if filters.q:
        needle = filters.q.casefold()
        named = [
            c
            for c, s in states.items()
            if needle == c.casefold() or any(needle in n.casefold() for n in s.names.values())
        ]
        like = f"%{filters.q}%"
        query = query.where(
            or_(
                Contact.state_code.in_(named),
                Contact.organisation.ilike(like),
                Contact.name.ilike(like),
                Contact.address.ilike(like),
            )
        )
    return query


def all_states(session: Session) -> dict[str, State]:
    return {s.code: s for s in session.scalars(select(State))}


def instruments(session: Session) -> list[Instrument]:
    return list(session.scalars(select(Instrument).order_by(Instrument.position)))


def _group(contacts: list[Contact], states: dict[str, State], order: list[str]) -> list:
    position = {c: i for i, c in enumerate(order)}
    kind = {c: t.position for c, t in authority_types().items()}
    grouped: dict[str, dict[str, list[Contact]]] = {}
    for c in sorted(contacts, key=lambda c: (kind[c.role], c.id)):
        grouped.setdefault(c.state_code, {}).setdefault(instrument_of(c), []).append(c)
    return [
        StateEntries(states[code], list(grouped.get(code, {}).items()))
        for code in sorted(grouped, key=lambda c: position.get(c, 0))
    ]


def page(
    session: Session,
    filters: Filters,
    *,
    restricted: bool,
    number: int,
    lang: str,
    states: dict[str, State],
) -> tuple[list[StateEntries], int]:
    """The page's States with their entries, and the number of pages."""
    codes = set(
        session.scalars(
            _filtered(_visible(restricted), filters, states)
            .with_only_columns(Contact.state_code)
            .distinct()
        )
    )
    order = sorted(codes, key=lambda c: states[c].name(lang).casefold())
    pages = max(1, -(-len(order) // PAGE_SIZE))
    shown = order[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    contacts = (
        list(
            session.scalars(
                _filtered(_visible(restricted), filters, states).where(
                    Contact.state_code.in_(shown)
                )
            )
        )
        if shown
        else []
    )
    return _group(contacts, states, shown), pages


def one_state(session: Session, state: State, *, restricted: bool) -> StateEntries:
    contacts = list(session.scalars(_visible(restricted).where(Contact.state_code == state.code)))
    found = _group(contacts, {state.code: state}, [state.code])
    return found[0] if found else StateEntries(state)


_ENTRY_COLUMNS = (
    Contact.state_code,
    Contact.instrument_code,
    Contact.role,
    Contact.organisation,
    Contact.name,
    Contact.title,
    Contact.emails,
    Contact.phone,
    Contact.fax,
    Contact.address,
    Contact.office_hours,
    Contact.languages,
    Contact.info,
    Contact.access,
)


def entries(session: Session, *, restricted: bool) -> list[dict[str, Any]]:
    """Every entry the caller may see, as /directory.json and /directory.csv give them."""
    found = session.execute(
        select(State.code, State.names, State.un_group, State.directory_updated_at)
    )
    states = {code: (names, group, moment) for code, names, group, moment in found}
    types = authority_types()
    query = _visible(restricted).with_only_columns(*_ENTRY_COLUMNS)
    rows = []
    for c in session.execute(query.order_by(Contact.state_code, Contact.id)):
        names, group, updated = states[c.state_code]
        kind = types[c.role]
        rows.append(
            {
                "state": c.state_code,
                "state_name": names.get("en") or c.state_code,
                "un_group": group,
                "instrument": c.instrument_code or kind.instrument,
                "authority_type": c.role,
                "article": kind.article,
                "organisation": c.organisation,
                "name": c.name,
                "title": c.title,
                "emails": list(c.emails or []),
                "phone": c.phone,
                "fax": c.fax,
                "address": c.address,
                "office_hours": c.office_hours,
                "languages": list(c.languages or []),
                "info": c.info,
                "access": c.access,
                "last_updated": updated.isoformat() if updated else None,
            }
        )
    return rows


def resources(session: Session) -> list[DirectoryResource]:
    return list(
        session.scalars(
            select(DirectoryResource).order_by(DirectoryResource.position, DirectoryResource.id)
        )
    )


def version(session: Session, *, restricted: bool) -> tuple[str, datetime | None]:
    """A tag that changes whenever anything the caller may see changes, and the latest
    change's time (for Last-Modified)."""
    contacts = session.execute(
        _visible(restricted).with_only_columns(
            func.count(Contact.id), func.max(Contact.last_updated_at)
        )
    ).one()
    states = session.execute(select(func.max(State.directory_updated_at))).one()
    links = session.execute(
        select(func.count(DirectoryResource.id), func.max(DirectoryResource.id))
    ).one()
    moments = [m for m in (contacts[1], states[0]) if m is not None]
    raw = repr((tuple(contacts), tuple(states), tuple(links), restricted))
    return hashlib.sha256(raw.encode()).hexdigest()[:32], max(moments) if moments else None
