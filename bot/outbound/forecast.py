"""What the planner would send in the next days, without sending: ``focalbot plan --dry-run``.

It runs the planner's own decision (``choose.decide_pass``: the ladder, the
replies and holds, the addressees, the digests, the calendar and the gap) over
a copy of the facts, pass after pass from now to the end of the window,
assuming nobody answers. Each letter the planner would write is listed with
its time, its requests and steps, and its To and Cc. Nothing is written: the
session is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import db
from ..model import Request, RequestStatus, State, utcnow
from ..policy.ladder import Policy
from .choose import after_letter, decide_pass, ladder_kind, load_facts

MAX_PASSES = 5000


@dataclass(frozen=True)
class Planned:
    on: date
    request_id: int
    tag: str
    state: str
    kind: str
    step: str
    to: str
    language: str
    cc: tuple[str, ...] = ()
    at: datetime | None = None
    digest: bool = False
    requests: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            **self.__dict__,
            "on": self.on.isoformat(),
            "cc": list(self.cc),
            "at": self.at.isoformat() if self.at else None,
            "requests": list(self.requests),
        }


def forecast(
    policy: Policy, *, today: date | None = None, days: int = 14, now: datetime | None = None
) -> tuple[list[Planned], list[str]]:
    """The letters of the next ``days`` days after today (0: today only), and the problems met."""
    now = now or utcnow()
    if today is not None and today != now.date():
        now = max(now, datetime.combine(today, time(0), UTC))
    end = datetime.combine(now.date() + timedelta(days=days + 1), time(0), UTC)
    out: list[Planned] = []
    problems: list[str] = []
    with db.session() as s:
        try:
            _simulate(s, policy, now, end, out, problems)
        finally:
            s.rollback()
    return out, problems


def _simulate(
    s, policy: Policy, now: datetime, end: datetime, out: list[Planned], problems: list[str]
) -> None:
    rows = list(
        s.scalars(
            select(Request)
            .where(Request.status == RequestStatus.OPEN.value)
            .options(
                selectinload(Request.state).selectinload(State.contacts),
                selectinload(Request.contact),
            )
            .order_by(Request.next_action_at, Request.id)
        )
    )
    facts = load_facts(s, [r.id for r in rows])
    next_at = {r.id: r.next_action_at for r in rows}
    paused = {r.id for r in rows if r.paused}
    seen: set[str] = set()
    clock = now
    for _ in range(MAX_PASSES):
        due = [
            r
            for r in rows
            if next_at[r.id] is not None and next_at[r.id] <= clock and (r.id not in paused)
        ]
        if due:
            _pass(s, policy, due, facts, next_at, paused, clock, out, problems, seen)
        upcoming = [t for rid, t in next_at.items() if t is not None and rid not in paused]
        later = min((t for t in upcoming if t > clock), default=None)
        if not any(t <= clock for t in upcoming):
            if later is None or later >= end:
                return
            clock = later
        else:
            clock = clock + timedelta(minutes=1)  # what stays due goes at the next pass
            if clock >= end:
                return


def _pass(s, policy, due, facts, next_at, paused, clock, out, problems, seen) -> None:
    decision = decide_pass(s, due, facts, policy, clock)
    for _key, _area, message in decision.problems:
        if message not in seen:
            seen.add(message)
            problems.append(message)
    for r in due:
        later = decision.later.get(r.id)
        if later is None:
            continue
        next_at[r.id] = (
            later.at if later.at is None or later.at > clock else clock + timedelta(minutes=1)
        )
    for draft in decision.drafts:
        to = draft.to[0]
        ids = tuple(r.id for r in draft.requests)
        for r, step in zip(draft.requests, draft.steps, strict=True):
            out.append(
                Planned(
                    on=clock.date(),
                    request_id=r.id,
                    tag=r.tag,
                    state=r.state_code,
                    kind=r.kind,
                    step=step.name,
                    to=", ".join(a.email for a in draft.to),
                    language=to.languages[0],
                    cc=tuple(a.email for a in draft.cc),
                    at=clock,
                    digest=len(ids) > 1,
                    requests=ids,
                )
            )
            facts.done[r.id].add(step.name)
            facts.sent[r.id] = clock
            nxt = after_letter(r, step, policy.ladder(ladder_kind(r)), policy, clock)
            next_at[r.id] = nxt.at
        if to.contact is not None:
            facts.last_automated[to.contact.id] = clock
