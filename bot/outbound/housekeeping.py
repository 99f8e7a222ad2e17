"""Requests the secretariat's policy opens by itself.

- Directory updates recur: a State whose entries were last updated more than
  the policy's ``every_months`` ago gets a new directory-update request.
- A State party to an instrument with no reporting focal point, or with no
  designated central authority for an instrument it is party to, is asked,
  through its permanent mission, to designate them (purpose ``appoint``; the
  missing roles are in the request's subject).

Run hourly by beat and by ``focalbot tick``: it reads the States (a few
hundred rows), never the whole request table.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from .. import db
from ..model import Contact, Request, RequestStatus, Role, State, StateInstrument, utcnow
from ..policy.ladder import Policy
from ..requests import open_request


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _has_open(s, state_code: str, kind: str, purpose: str | None) -> bool:
    q = select(Request.id).where(
        Request.state_code == state_code,
        Request.kind == kind,
        Request.status == RequestStatus.OPEN.value,
    )
    q = (
        q.where(Request.purpose.is_(None))
        if purpose is None
        else q.where(Request.purpose == purpose)
    )
    return s.scalar(q.limit(1)) is not None


def open_recurring(policy: Policy, *, now: datetime | None = None) -> list[int]:
    """Open the requests that recurrence and missing designations call for; return their ids."""
    now = now or utcnow()
    today = now.date()
    opened: list[int] = []
    with db.session() as s:
        states = s.scalars(
            select(State).where(exists().where(Contact.state_code == State.code))
        ).all()
        for rec in policy.recurrence:
            for state in states:
                last = state.directory_updated_at or max(
                    (c.last_updated_at for c in state.contacts), default=None
                )
                if last is None or add_months(last.date(), rec.every_months) > today:
                    continue
                if _has_open(s, state.code, rec.kind, None):
                    continue
                r = open_request(
                    s, state, rec.kind, today + timedelta(days=rec.due_days), actor="policy"
                )
                opened.append(r.id)
        parties = s.scalars(
            select(State).where(
                exists().where(
                    StateInstrument.state_code == State.code, StateInstrument.status == "party"
                )
            )
        ).all()
        for state in parties:
            missing = missing_designations(state)
            if not missing or _has_open(s, state.code, "directory_update", "appoint"):
                continue
            r = open_request(
                s,
                state,
                "directory_update",
                today + timedelta(days=60),
                subject=",".join(missing),
                purpose="appoint",
                actor="policy",
            )
            opened.append(r.id)
    return opened


# The authorities a party to each instrument is asked to designate.
REQUIRED_ROLES = {
    "UNTOC": (Role.MLA, Role.EXTRADITION),
    "SOM": (Role.SOM_8_6,),
}


def missing_designations(state: State) -> list[str]:
    """The roles a State party has not designated: its focal point, and the authorities its
    instruments call for."""
    have = {c.role for c in state.contacts}
    missing = [] if Role.FOCAL_POINT.value in have else [Role.FOCAL_POINT.value]
    for p in state.participation:
        if p.status == "party":
            missing += [
                r.value for r in REQUIRED_ROLES.get(p.instrument_code, ()) if r.value not in have
            ]
    return list(dict.fromkeys(missing))
