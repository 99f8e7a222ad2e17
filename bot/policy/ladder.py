"""Reminder ladders: what is due for a request, computed without I/O.

``next_actions`` is the planner's whole decision. It takes a plain view of a
request, the steps already written to the outbox, the ladder and today's date,
and returns the one step to send now, if any.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, time, timedelta
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

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise PolicyError(f"the {self.kind} ladder has no step {name!r}")


@dataclass(frozen=True)
class Sending:
    """When and how often automated mail may go out."""

    min_days_between: int = 0  # per contact; acknowledgements of replies are exempt
    digest: bool = True  # several due requests of one contact go in one email
    start: time = time(9, 0)  # working hours in the recipient's time zone
    end: time = time(17, 0)
    any_time: bool = False  # ignore working hours, weekends and holidays
    holidays: frozenset[date] = frozenset()  # the secretariat's: nothing is sent on them


@dataclass(frozen=True)
class Recurrence:
    kind: str
    every_months: int
    due_days: int


@dataclass(frozen=True)
class Forms:
    """The web forms' links: how long one stays valid, how many wrong ones an address may try."""

    link_days: int = 120
    misses_per_10_minutes: int = 10


@dataclass(frozen=True)
class Policy:
    ladders: dict[str, Ladder]
    sending: Sending = Sending()
    recurrence: tuple[Recurrence, ...] = ()
    forms: Forms = Forms()

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
    """The step to send today: the latest one that has fallen due, unless it or a later one is
    done."""
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


def _read(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML ({exc})") from None


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def parse_policy(text: str, source: str = "policy", *, base: dict | None = None) -> Policy:
    data = _read(text, source)
    data.pop("base", None)
    if base is not None:
        data = _merge(base, data)
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
                raise PolicyError(
                    f'{where}: a step is a table such as {{ name = "reminder1", days = 7 }}'
                )
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
    sending = _sending(data.get("sending") or {}, source)
    recurrence = tuple(
        _recurrence(kind, body, source) for kind, body in (data.get("recurrence") or {}).items()
    )
    return Policy(ladders, sending, recurrence, _forms(data.get("forms") or {}, source))


def _forms(raw: dict, source: str) -> Forms:
    values = {}
    for key in ("link_days", "misses_per_10_minutes"):
        value = raw.get(key, getattr(Forms, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise PolicyError(f"{source}: [forms] {key} must be a whole number, 1 or more")
        values[key] = value
    return Forms(**values)


def _sending(raw: dict, source: str) -> Sending:
    where = f"{source}: [sending]"
    try:
        hours = raw.get("working_hours", ["09:00", "17:00"])
        start, end = (time.fromisoformat(h) for h in hours)
    except (TypeError, ValueError):
        raise PolicyError(
            f'{where}: working_hours must be two times such as ["09:00", "17:00"]'
        ) from None
    if start >= end:
        raise PolicyError(f"{where}: working_hours must start before they end")
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in raw.get("holidays", []))
    except ValueError as exc:
        raise PolicyError(f"{where}: a holiday is not a date YYYY-MM-DD ({exc})") from None
    gap = raw.get("min_days_between", 0)
    if not isinstance(gap, int) or gap < 0:
        raise PolicyError(f"{where}: min_days_between must be a whole number of days, 0 or more")
    return Sending(
        gap, bool(raw.get("digest", True)), start, end, bool(raw.get("any_time", False)), holidays
    )


def _recurrence(kind: str, raw: dict, source: str) -> Recurrence:
    where = f"{source}: [recurrence.{kind}]"
    every, due = raw.get("every_months"), raw.get("due_days", 60)
    if not isinstance(every, int) or every < 1:
        raise PolicyError(f"{where}: every_months must be a whole number of months, 1 or more")
    if not isinstance(due, int) or due < 1:
        raise PolicyError(f"{where}: due_days must be a whole number of days, 1 or more")
    return Recurrence(kind, every, due)


def load_policy(path: Path | None = None) -> Policy:
    path = path or DEFAULT_POLICY
    text = _text(path)
    base_name = _read(text, str(path)).get("base")
    return parse_policy(
        text, str(path), base=_resolve(path.parent / str(base_name)) if base_name else None
    )


def _resolve(path: Path, depth: int = 0) -> dict:
    """A policy file's tables merged over those of its ``base``, and so on."""
    if depth > 5:
        raise PolicyError(f"{path}: too many levels of base policies")
    data = _read(_text(path), str(path))
    base_name = data.pop("base", None)
    return _merge(_resolve(path.parent / str(base_name), depth + 1), data) if base_name else data


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot be read ({exc.strerror})") from None
