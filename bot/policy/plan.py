"""What a request needs next, computed without I/O.

The planner hands each due request to ``decide`` as a plain ``RequestState``
and gets back either a step to send now, or when to look again and why. The
calendar (working hours, weekends, holidays) and the per-contact gap are
applied afterwards, per addressee, by the planner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .ladder import Ladder, Step


@dataclass(frozen=True)
class RequestState:
    id: int
    kind: str
    status: str
    opened: date
    due: date
    done: frozenset[str] = frozenset()
    paused: bool = False
    snoozed_until: date | None = None
    hold_until: date | None = None  # the focal point is away until then
    last_sent_at: datetime | None = None
    replied_at: datetime | None = None  # the latest reply written by a person
    escalated: bool = False  # marked escalated (by an officer, or an escalation step sent)


@dataclass(frozen=True)
class Decision:
    send: Step | None = None  # a step to send now
    step_date: date | None = None  # the date that step (or the next one) falls due
    next_step: Step | None = None  # when nothing is sent: the step waited for
    look_again: date | None = None  # when nothing is sent: the day to look again (None: never)
    held: str | None = None  # paused, snoozed, away, replied
    superseded: tuple[str, ...] = ()  # earlier steps passed over


def dated_steps(ladder: Ladder, opened: date, due: date) -> list[tuple[date, Step]]:
    """The ladder's steps with their dates, in date order (ties in the ladder's order)."""
    dated = sorted(
        ((step.when(opened, due), i, step) for i, step in enumerate(ladder.steps)),
        key=lambda t: (t[0], t[1]),
    )
    return [(on, step) for on, _, step in dated]


def pending(req: RequestState, ladder: Ladder) -> list[tuple[date, Step]]:
    """The steps after the last one done, in date order."""
    dated = dated_steps(ladder, req.opened, req.due)
    last_done = max((n for n, (_, step) in enumerate(dated) if step.name in req.done), default=-1)
    return dated[last_done + 1 :]


def decide(req: RequestState, ladder: Ladder, today: date) -> Decision:
    if req.status != "open":
        return Decision()
    if req.paused:  # a person's reply pauses the ladder when it is recorded (and says so)
        replied = req.replied_at is not None and (
            req.last_sent_at is None or req.replied_at > req.last_sent_at
        )
        return Decision(held="replied" if replied else "paused")
    steps = pending(req, ladder)
    if not steps:
        return Decision()
    for held, until in (("snoozed", req.snoozed_until), ("away", req.hold_until)):
        if until and until >= today:
            first_on, first = steps[0]
            return Decision(
                next_step=first,
                step_date=first_on,
                look_again=max(first_on, until + timedelta(days=1)),
                held=held,
            )
    if req.escalated and not any(s.escalate and s.name in req.done for s in ladder.steps):
        # an officer escalated it now: the ladder's escalation goes out at once
        at = next(((on, step) for on, step in steps if step.escalate), None)
        if at is not None:
            before = tuple(s.name for on, s in steps if s is not at[1] and on <= at[0])
            return Decision(send=at[1], step_date=today, superseded=before)
    fallen = [(on, step) for on, step in steps if on <= today]
    if not fallen:
        on, step = steps[0]
        return Decision(next_step=step, step_date=on, look_again=on)
    on, step = fallen[-1]
    return Decision(send=step, step_date=on, superseded=tuple(s.name for _, s in fallen[:-1]))


def after_sending(req: RequestState, sent: Step, ladder: Ladder) -> tuple[Step, date] | None:
    """The step that follows ``sent``, and its date."""
    later = pending(RequestState(**{**req.__dict__, "done": req.done | {sent.name}}), ladder)
    return (later[0][1], later[0][0]) if later else None


def wants_letter(
    status: str, paused: bool, snoozed_until: date | None, hold_until: date | None, today: date
) -> str | None:
    """Whether a request still wants a letter planned for it: None if so, else why not
    (the sender asks this at the moment it claims the letter)."""
    if status != "open":
        return status
    if paused:
        return "paused"
    if snoozed_until is not None and snoozed_until >= today:
        return f"snoozed until {snoozed_until.isoformat()}"
    if hold_until is not None and hold_until >= today:
        return f"held until {hold_until.isoformat()}"
    return None
