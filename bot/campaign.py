"""Campaigns: one kind of request opened for a set of States at once.

States are chosen by ISO code, by being party to an instrument, by United
Nations regional group, or by several of these together (a State must match
each one given). A State that already has an open request of the same kind,
instrument and reporting cycle is skipped with the reason, unless the caller
includes such States; the campaign is kept as a row its requests point to and
recorded as one audit event besides each request's own. A preview runs the
same selection and opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import audit, kinds
from .directory.data import UN_GROUPS
from .model import (
    Campaign,
    Instrument,
    Participation,
    Request,
    RequestStatus,
    State,
    StateInstrument,
)
from .requests import open_request, recipients


class CampaignError(ValueError):
    """The campaign cannot be created as asked; nothing was opened."""


@dataclass
class CampaignResult:
    campaign_id: int | None = None  # None for a preview
    chosen: list[str] = field(default_factory=list)  # States a request is (or would be) opened for
    already_open: dict[str, int] = field(default_factory=dict)  # State: its open request's id
    opened: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (State code, reason)
    first_emails: int = 0  # opened requests with someone to write to
    unreachable: list[str] = field(
        default_factory=list
    )  # States of opened requests with no one to write to


def create_campaign(
    session: Session,
    *,
    kind: str,
    due: date,
    instrument: str | None = None,
    cycle: str = "",
    subject: str = "",
    states: list[str] | None = None,
    parties_to: str | None = None,
    group: str | None = None,
    include_open: bool = False,
    preview: bool = False,
    actor: str,
) -> CampaignResult:
    """Open one request per selected State, in the caller's transaction.

    ``include_open`` also opens one for the States that have an open request of the
    same kind already; ``preview`` counts what would be opened and changes nothing.
    """
    if kind not in kinds.names():
        raise CampaignError(f"unknown request kind {kind!r}; use one of {', '.join(kinds.names())}")
    instrument = instrument.upper() if instrument else None
    parties_to = parties_to.upper() if parties_to else None
    group = group.upper() if group else None
    for code in filter(None, (instrument, parties_to)):
        if session.get(Instrument, code) is None:
            raise CampaignError(f"no instrument {code!r}")
    if group is not None and group not in UN_GROUPS:
        raise CampaignError(f"unknown regional group {group!r}; use one of {', '.join(UN_GROUPS)}")
    if states is None and parties_to is None and group is None:
        raise CampaignError(
            "choose the States: by code, by party status to an instrument, or by regional group"
        )
    result = CampaignResult()
    chosen = _select(session, result, states, parties_to, group)
    result.already_open = {
        code: rid
        for code, rid in _open_requests(session, kind, instrument, cycle).items()
        if code in {s.code for s in chosen}
    }
    campaign = None
    if not preview:
        campaign = Campaign(
            kind=kind,
            instrument_code=instrument,
            cycle=cycle,
            subject=subject,
            due_date=due,
            selection={"states": states, "parties_to": parties_to, "group": group},
            created_by=actor,
        )
        session.add(campaign)
        session.flush()
        result.campaign_id = campaign.id
    for state in chosen:
        if state.code in result.already_open and not include_open:
            result.skipped.append(
                (state.code, f"already has an open request [FB-{result.already_open[state.code]}]")
            )
            continue
        result.chosen.append(state.code)
        if campaign is None:
            stored, purpose = kinds.opening(kind, None)
            request = Request(state=state, kind=stored, purpose=purpose)  # never added
        else:
            request = open_request(
                session,
                state,
                kind,
                due,
                instrument_code=instrument,
                cycle=cycle,
                subject=subject,
                actor=actor,
            )
            request.campaign_id = campaign.id
            result.opened.append(request.id)
        if recipients(request):
            result.first_emails += 1
        else:
            result.unreachable.append(state.code)
    if campaign is None:
        return result
    audit.record(
        session,
        "campaign.created",
        actor=actor,
        subject_type="campaign",
        subject_id=str(campaign.id),
        kind=kind,
        due=due.isoformat(),
        instrument=instrument,
        cycle=cycle,
        selection=campaign.selection,
        include_open=include_open,
        opened=result.opened,
        skipped=[list(s) for s in result.skipped],
        unreachable=result.unreachable,
    )
    session.flush()
    return result


def _select(
    session: Session,
    result: CampaignResult,
    codes: list[str] | None,
    parties_to: str | None,
    group: str | None,
) -> list[State]:
    query = select(State).options(selectinload(State.contacts)).order_by(State.code)
    everyone = {s.code: s for s in session.scalars(query)}
    if codes is not None:
        wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
        for code in wanted:
            if code not in everyone:
                result.skipped.append((code, "no State with this code"))
        pool = [everyone[c] for c in wanted if c in everyone]
    else:
        pool = list(everyone.values())
    chosen = []
    parties = _parties(session, parties_to) if parties_to else set()
    for state in pool:
        if parties_to and state.code not in parties:
            if codes is not None:
                result.skipped.append((state.code, f"not a party to {parties_to}"))
            continue
        if group and state.un_group != group:
            if codes is not None:
                result.skipped.append((state.code, f"not in the regional group {group}"))
            continue
        chosen.append(state)
    return chosen


def _parties(session: Session, instrument: str) -> set[str]:
    return set(
        session.scalars(
            select(StateInstrument.state_code).where(
                StateInstrument.instrument_code == instrument,
                StateInstrument.status == Participation.PARTY.value,
            )
        )
    )


def _open_requests(
    session: Session, kind: str, instrument: str | None, cycle: str
) -> dict[str, int]:
    """{State code: id} of the open requests a campaign would repeat."""
    query = select(Request.state_code, Request.id).where(
        Request.status == RequestStatus.OPEN.value,
        Request.kind == kind,
        Request.cycle == cycle,
        Request.instrument_code.is_(None)
        if instrument is None
        else Request.instrument_code == instrument,
    )
    return {code: rid for code, rid in session.execute(query.order_by(Request.id.desc()))}
