"""What the planner would send in the next days, without sending: ``focalbot plan --dry-run``.

It assumes nobody answers: every step of every open request that falls due in
the window is listed, at the date its ladder gives (the calendar and the gap
then move it within hours or days of that date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from .. import db
from ..model import OutboxItem, Request, RequestStatus
from ..policy.ladder import Policy, PolicyError
from ..policy.plan import RequestState, pending
from ..requests import recipients


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

    def as_dict(self) -> dict:
        return {**self.__dict__, "on": self.on.isoformat()}


def forecast(policy: Policy, *, today: date, days: int) -> tuple[list[Planned], list[str]]:
    end = today + timedelta(days=days)
    out: list[Planned] = []
    problems: list[str] = []
    with db.session() as s:
        done: dict[int, set[str]] = {}
        for rid, step in s.execute(select(OutboxItem.request_id, OutboxItem.step)):
            done.setdefault(rid, set()).add(step)
        for r in s.scalars(select(Request).where(Request.status == RequestStatus.OPEN.value).order_by(Request.id)):
            if r.paused:
                continue
            try:
                ladder = policy.ladder("appoint_focal_point" if r.purpose == "appoint" else r.kind)
            except PolicyError as exc:
                problems.append(f"{r.tag}: {exc}")
                continue
            state = RequestState(r.id, r.kind, r.status, r.created_at.date(), r.due_date, frozenset(done.get(r.id, ())))
            steps = pending(state, ladder)
            fallen = [(on, step) for on, step in steps if on <= today]
            upcoming = ([(today, fallen[-1][1])] if fallen else []) + [(on, step) for on, step in steps if today < on <= end]
            hold = max(filter(None, [r.snoozed_until, r.hold_until]), default=None)
            to = recipients(r)
            for on, step in upcoming:
                if hold and on <= hold:
                    on = hold + timedelta(days=1)
                    if on > end:
                        continue
                out.append(Planned(on, r.id, r.tag, r.state_code, r.kind, step.name,
                                   to[0].email if to else "", to[0].language if to else ""))
            if upcoming and not to:
                problems.append(f"{r.tag} {r.state_code}: no contact with a working email address")
    out.sort(key=lambda p: (p.on, p.request_id))
    return out, problems
