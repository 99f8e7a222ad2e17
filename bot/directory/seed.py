"""Filling the directory from the data files, and the demonstration data.

``seed`` brings instruments and States in line with ``bot/data`` (and the
optional participation file); run twice, the second run changes nothing.
``seed_demo`` adds focal points writing in each of the six languages, some
authorities and missions, and open requests, some already due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..auth import set_password
from ..model import (
    DirectoryResource,
    Instrument,
    Participation,
    Request,
    State,
    StateInstrument,
    User,
)
from ..requests import open_request
from . import data
from .contacts import FIELDS, ContactIndex, contact_key, upsert_contact
from .resources import add_resource


@dataclass
class SeedResult:
    instruments_created: int = 0
    instruments_updated: int = 0
    states_created: int = 0
    states_updated: int = 0
    participation_set: int = 0

    @property
    def changed(self) -> bool:
        return any(vars(self).values())

    def counts(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class DemoResult:
    seed: SeedResult
    contacts_created: int = 0
    requests_opened: int = 0
    resources_added: int = 0
    languages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.seed.changed or bool(self.contacts_created or self.requests_opened)


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def seed(
    session: Session, *, actor: str, participation: Path | None = data.PARTICIPATION_FILE
) -> SeedResult:
    """Upsert instruments, States and (if the file exists) their participation."""
    result = SeedResult()
    instruments = data.load_instruments()
    states = data.load_states()
    existing_i = {i.code: i for i in session.scalars(select(Instrument))}
    for row in instruments:
        values = {"names": row.names, "parent_code": row.parent, "position": row.position}
        inst = existing_i.get(row.code)
        if inst is None:
            session.add(Instrument(code=row.code, **values))
            session.flush()
            result.instruments_created += 1
        elif _apply(inst, values):
            result.instruments_updated += 1
    existing_s = {s.code: s for s in session.scalars(select(State))}
    for srow in states:
        values = {
            "names": srow.names,
            "un_group": srow.un_group,
            "language": srow.language,
            "timezone": srow.timezone,
            "weekend": srow.weekend,
        }
        state = existing_s.get(srow.code)
        if state is None:
            session.add(State(code=srow.code, **values))
            result.states_created += 1
        elif _apply(state, values):
            result.states_updated += 1
    session.flush()
    if participation is not None and participation.exists():
        known_i = {i.code for i in session.scalars(select(Instrument))}
        rows = data.load_participation(participation, {s.code for s in states}, known_i)
        result.participation_set = set_participation(session, rows)
    if result.changed:
        counts: dict[str, Any] = dict(result.counts())
        audit.record(session, "directory.seeded", actor=actor, subject_type="directory", **counts)
    return result


def set_participation(session: Session, rows: list[tuple[str, str, str]]) -> int:
    """Record each (State, instrument, status); return how many rows changed."""
    current = {
        (p.state_code, p.instrument_code): p for p in session.scalars(select(StateInstrument))
    }
    changed = 0
    for code, instrument, status in rows:
        row = current.get((code, instrument))
        if row is None:
            row = StateInstrument(state_code=code, instrument_code=instrument, status=status)
            session.add(row)
            current[(code, instrument)] = row
            changed += 1
        elif row.status != status:
            row.status = status
            changed += 1
    session.flush()
    return changed


def seed_demo(
    session: Session, *, today: date, actor: str, path: Path = data.DEMO_FILE
) -> DemoResult:
    """Add the demonstration States' contacts, participation and requests (once)."""
    result = DemoResult(seed=seed(session, actor=actor))
    demo = data.load_demo(path)
    states = {s.code: s for s in session.scalars(select(State))}
    unknown = sorted({e["code"] for e in demo.get("state", [])} - set(states))
    if unknown:
        raise data.DataError(f"{path.name}: unknown State codes {', '.join(unknown)}")
    demo_states = [states[entry["code"]] for entry in demo.get("state", [])]
    index = ContactIndex(session, [s.code for s in demo_states])
    parties: list[tuple[str, str, str]] = []
    for entry, state in zip(demo.get("state", []), demo_states, strict=True):
        result.languages.append(state.language)
        parties += [
            (state.code, code, Participation.PARTY.value) for code in entry.get("parties", [])
        ]
        for c in entry.get("contact", []):
            values = {f: c[f] for f in FIELDS if f in c}
            values.setdefault("languages", [state.language])
            if index.get(_key(state.code, c)) is None:
                upsert_contact(
                    session,
                    index,
                    state,
                    c["role"],
                    c.get("instrument"),
                    values,
                    actor=actor,
                    source="demo",
                )
                result.contacts_created += 1
    result.resources_added = _demo_resources(session, demo.get("resource", []), actor)
    changed = set_participation(session, parties)
    if changed:
        result.seed.participation_set += changed
        audit.record(
            session,
            "directory.seeded",
            actor=actor,
            subject_type="directory",
            source="demo",
            participation_set=changed,
        )
    for spec in demo.get("request", []):
        codes = (
            [s.code for s in demo_states] if spec.get("states", "all") == "all" else spec["states"]
        )
        for code in codes:
            if _open_demo_request(session, index, states[code], spec, today, actor):
                result.requests_opened += 1
    return result


def _demo_resources(session: Session, specs: list[dict[str, Any]], actor: str) -> int:
    if not specs or session.scalar(select(DirectoryResource.id).limit(1)) is not None:
        return 0
    for position, spec in enumerate(specs):
        add_resource(session, spec["title"], spec["url"], actor=actor, position=position)
    return len(specs)


def demo_directory_users(session: Session, path: Path = data.DEMO_FILE) -> list[tuple[str, str]]:
    """Make the demo's authorised users that do not exist yet; their (email, password)."""
    made = []
    for spec in data.load_demo(path).get("directory_user", []):
        if session.scalar(select(User.id).where(User.email == spec["email"])) is None:
            _, password, _ = set_password(
                session, spec["email"], name=spec.get("name"), role="directory", actor="system"
            )
            made.append((spec["email"], password))
    return made


def _key(state_code: str, c: dict[str, Any]) -> tuple[str, str, str, str]:
    return contact_key(state_code, c["role"], c.get("instrument"), c.get("emails", []))


def _open_demo_request(
    session: Session,
    index: ContactIndex,
    state: State,
    spec: dict[str, Any],
    today: date,
    actor: str,
) -> bool:
    instrument = spec.get("instrument")
    cycle, subject = spec.get("cycle", ""), spec.get("subject", "")
    exists = session.scalar(
        select(Request.id).where(
            Request.state_code == state.code,
            Request.kind == spec["kind"],
            Request.cycle == cycle,
            Request.subject == subject,
            Request.instrument_code.is_(None)
            if instrument is None
            else Request.instrument_code == instrument,
        )
    )
    if exists is not None:
        return False
    contact = None
    if spec.get("contact_role"):
        contact = next(
            (
                c
                for k, c in index.by_key.items()
                if k[0] == state.code and k[1] == spec["contact_role"]
            ),
            None,
        )
    open_request(
        session,
        state,
        spec["kind"],
        today + timedelta(days=int(spec["due_in_days"])),
        instrument_code=instrument,
        cycle=cycle,
        subject=subject,
        contact=contact,
        actor=actor,
    )
    return True
