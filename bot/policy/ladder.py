"""Reminder ladders: what is due for a request, computed without I/O.

``next_actions`` is the planner's whole decision. It takes a plain view of a
request, the steps already written to the outbox, the ladder and today's date,
and returns the one step to send now, if any.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .. import DATA_DIR

DEFAULT_POLICY = DATA_DIR / "policies" / "default.toml"


class PolicyError(ValueError):
    """The policy file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Step:
    name: str
    days: int | None = None  # relative to the due date; None with at_open
    at_open: bool = False
    cc_alternate: bool = False
    escalate: bool = False

    def when(self, opened: date, due: date) -> date:
        if self.at_open:
            return opened
        assert self.days is not None
        return due + timedelta(days=self.days)


@dataclass(frozen=True)
class Ladder:
    kind: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Policy:
    ladders: dict[str, Ladder]

    def ladder(self, kind: str) -> Ladder:
        try:
            return self.ladders[kind]
        except KeyError:
            raise PolicyError(f"no ladder for request kind {kind!r}") from None


@dataclass(frozen=True)
class RequestView:
    id: int
    kind: str
    status: str
    opened: date
    due: date


@dataclass(frozen=True)
class Action:
    request_id: int
    step: Step
    on: date  # the date the step fell due


def next_actions(request: RequestView, done: set[str], ladder: Ladder, today: date) -> list[Action]:
    """The step to send today: the latest one that has fallen due, unless it or a later one is done."""
    if request.status != "open":
        return []
    dated = sorted(
        ((step.when(request.opened, request.due), i, step) for i, step in enumerate(ladder.steps)),
        key=lambda t: (t[0], t[1]),
    )
    fallen = [(on, step) for on, _, step in dated if on <= today]
    if not fallen:
        return []
    on, latest = fallen[-1]
    position = [step.name for _, _, step in dated].index(latest.name)
    if any(step.name in done for _, _, step in dated[position:]):
        return []
    return [Action(request.id, latest, on)]


def parse_policy(text: str, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML ({exc})") from None
    ladders: dict[str, Ladder] = {}
    tables = data.get("ladders")
    if not isinstance(tables, dict) or not tables:
        raise PolicyError(f"{source}: no [ladders.KIND] tables")
    for kind, body in tables.items():
        raw_steps = body.get("steps") if isinstance(body, dict) else None
        if not isinstance(raw_steps, list):
            raise PolicyError(f"{source}: ladders.{kind} needs a list of steps")
        steps = []
        seen: set[str] = set()
        for n, raw in enumerate(raw_steps, start=1):
            where = f"{source}: ladders.{kind} step {n}"
            if not isinstance(raw, dict):
                raise PolicyError(f"{where}: a step is a table such as {{ name = \"reminder1\", days = 7 }}")
            name = raw.get("name")
            if not isinstance(name, str) or not name.isidentifier():
                raise PolicyError(f"{where}: 'name' must be a word such as reminder1")
            if name in seen:
                raise PolicyError(f"{where}: the name {name!r} is used twice")
            seen.add(name)
            at_open = raw.get("at") == "open"
            days = raw.get("days")
            if at_open == (days is not None):
                raise PolicyError(f"{where}: give either at = \"open\" or days = N")
            if days is not None and not isinstance(days, int):
                raise PolicyError(f"{where}: 'days' must be a whole number")
            steps.append(
                Step(name, days, at_open, bool(raw.get("cc_alternate")), bool(raw.get("escalate")))
            )
        if not steps:
            raise PolicyError(f"{source}: ladders.{kind} has no steps")
        ladders[kind] = Ladder(kind, tuple(steps))
    return Policy(ladders)


def load_policy(path: Path | None = None) -> Policy:
    path = path or DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_policy(text, str(path))
