"""What is next for a request, as the planner last decided it, computed without I/O.

The planner stores its decision on the request (``next_step``, ``next_action_at`` and the
``plan_note`` described in ``bot.policy.calendar``). A request that is not open has no next
action; an open one has the step waited for, when the planner looks at it next, and what
holds it (the planner's own word in its note, else the request's pause, snooze or hold).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class NextAction:
    step: str | None  # the ladder step waited for; None when none is left
    at: datetime | None  # when the planner looks at the request next (UTC)
    held: str | None  # paused, replied, snoozed, away, gap; None when it runs
    until: str | None  # with ``held``: the ISO date or UTC time it lasts until


def _note(plan_note: str | None) -> dict:
    try:
        note = json.loads(plan_note or "{}")
    except ValueError:
        return {}
    return note if isinstance(note, dict) else {}


def next_action(
    *,
    status: str,
    paused: bool,
    snoozed_until: date | None,
    hold_until: date | None,
    next_step: str | None,
    next_action_at: datetime | None,
    plan_note: str | None,
    today: date,
) -> NextAction | None:
    """None when the request is answered, closed or waived, or nothing is left to do."""
    if status != "open":
        return None
    note = _note(plan_note)
    held, until = note.get("held"), note.get("until")
    if not isinstance(held, str):
        held, until = None, None
    if paused and held not in ("paused", "replied"):
        held, until = "paused", None
    elif held is None and snoozed_until is not None and snoozed_until >= today:
        held, until = "snoozed", snoozed_until.isoformat()
    elif held is None and hold_until is not None and hold_until >= today:
        held, until = "away", hold_until.isoformat()
    if next_step is None and next_action_at is None and held is None:
        return None
    return NextAction(
        step=next_step,
        at=next_action_at,
        held=held,
        until=until if isinstance(until, str) else None,
    )
