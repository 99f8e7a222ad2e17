"""The one owner of a change to a directory entry: applied, with its history, or held.

Every change to an entry's fields goes through ``apply_change``: the previous value of each
field is kept as a ``ContactChange`` row (who, when, from which message or form), and the
State's last update moves only when the change is the State's own (a confirmation or a change
by its focal point), never for a correction by the secretariat. Whether a focal point's change
applies at once or waits for an officer is ``applies_at_once``, from ``bot/data/directory.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import DATA_DIR, audit
from ..model import Contact, ContactChange, State, utcnow

POLICY_FILE = DATA_DIR / "directory.toml"
EDITABLE = (
    "name",
    "title",
    "organisation",
    "emails",
    "phone",
    "fax",
    "address",
    "languages",
    "info",
    "office_hours",
    "access",
)
SOURCES = ("form", "email", "desk", "import")


@dataclass(frozen=True)
class ChangePolicy:
    sources: frozenset[str]
    states: frozenset[str]
    fields: frozenset[str]


def load_policy(path: Path | None = None) -> ChangePolicy:
    data = tomllib.loads((path or POLICY_FILE).read_text("utf-8")).get("at_once", {})
    return ChangePolicy(
        frozenset(data.get("sources", [])),
        frozenset(c.upper() for c in data.get("states", [])),
        frozenset(data.get("fields", [])),
    )


def applies_at_once(policy: ChangePolicy, source: str, state_code: str, fields: list[str]) -> bool:
    """Whether a focal point's change applies without an officer's approval."""
    if not fields or source in policy.sources or state_code.upper() in policy.states:
        return True
    return all(f in policy.fields for f in fields)


def apply_change(
    session: Session,
    contact: Contact,
    changes: dict[str, Any],
    *,
    actor: str,
    source: str,
    by_state: bool,
    submission_id: int | None = None,
    message_id: int | None = None,
    now: datetime | None = None,
    **audit_data: Any,
) -> list[str]:
    """Set the fields of ``changes`` (field -> new value) and keep their previous values.

    With no field changed and ``by_state``, the State confirmed its entry. Returns the fields
    changed.
    """
    assert source in SOURCES, source
    now = now or utcnow()
    changed = [f for f in EDITABLE if f in changes and getattr(contact, f) != changes[f]]
    common = dict(
        contact_id=contact.id,
        at=now,
        actor=actor,
        source=source,
        by_state=by_state,
        submission_id=submission_id,
        message_id=message_id,
    )
    for field in changed:
        old, new = _plain(getattr(contact, field)), _plain(changes[field])
        session.add(ContactChange(field=field, old=old, new=new, **common))
        setattr(contact, field, changes[field])
    if not changed and by_state:
        session.add(ContactChange(field="", **common))
    if changed or by_state:
        contact.last_updated_at = now
    if by_state:
        state = session.get(State, contact.state_code)
        if state is not None:
            state.directory_updated_at = now
    audit.record(
        session,
        "contact.updated" if changed else "contact.confirmed",
        contact,
        actor=actor,
        fields=changed,
        source=source,
        by_state=by_state,
        submission=submission_id,
        message=message_id,
        **audit_data,
    )
    return changed


def history(session: Session, contact_ids: list[int]) -> dict[int, list[ContactChange]]:
    """Each contact's changes, newest first, in one query."""
    out: dict[int, list[ContactChange]] = {i: [] for i in contact_ids}
    if contact_ids:
        rows = session.scalars(
            select(ContactChange)
            .where(ContactChange.contact_id.in_(contact_ids))
            .order_by(ContactChange.at.desc(), ContactChange.id.desc())
        )
        for row in rows:
            out[row.contact_id].append(row)
    return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value
