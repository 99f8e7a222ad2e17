"""Reminder ladders and the policy file that holds them, read and checked without I/O
beyond the file itself.

A policy is one ladder of steps per request kind, the steps' labels and subject
prefixes, when mail may go out, and what recurs. What a request needs next is
decided from it by ``bot.policy.plan.decide``, the planner's decision.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from pathlib import Path

from .. import DATA_DIR, kinds

DEFAULT_POLICY = DATA_DIR / "policies" / "default.toml"


class PolicyError(ValueError):
    """The policy file cannot be used; the message says where and why."""


LETTERS = ("request", "due_soon", "reminder", "escalation")  # the wordings a template knows


def ladder_names() -> list[str]:
    """The ladders the request kinds name (bot/data/kinds/*.toml), in the kinds' order."""
    return list(dict.fromkeys(k.ladder for k in kinds.definitions().values()))


@dataclass(frozen=True)
class Step:
    name: str
    days: int | None = None  # relative to the due date; None with at_open
    at_open: bool = False
    cc_alternate: bool = False
    escalate: bool = False
    label: str = ""  # what the desk calls it, in English (translated through the catalogs)
    prefix: str = ""  # what the subject of its letter starts with, in English ("": nothing)
    letter: str = "reminder"  # the wording of its letter, one of LETTERS

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

    def fingerprint(self) -> str:
        """A short digest of the whole policy, the same in every process (sets are sorted:
        their order, like ``repr``'s, follows the process's hash seed)."""

        def plain(value: object) -> object:
            if isinstance(value, (set, frozenset)):
                return sorted(value)
            return str(value)

        text = json.dumps(dataclasses.asdict(self), sort_keys=True, default=plain)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def label(self, name: str) -> str:
        """The desk's label of step ``name`` (in English), or the name itself."""
        for ladder in self.ladders.values():
            for step in ladder.steps:
                if step.name == name:
                    return step.label
        return name


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
    declared = _declared_steps(data.get("steps"), source)
    for kind, body in tables.items():
        raw_steps = body.get("steps") if isinstance(body, dict) else None
        if not isinstance(raw_steps, list):
            raise PolicyError(f"{source}: ladders.{kind} needs a list of steps")
        steps = []
        seen: set[str] = set()
        for n, raw in enumerate(raw_steps, start=1):
            steps.append(_step(raw, f"{source}: ladders.{kind} step {n}", seen, declared))
        if not steps:
            raise PolicyError(f"{source}: ladders.{kind} has no steps")
        ladders[kind] = Ladder(kind, tuple(steps))
    known = ladder_names()
    unknown = sorted(set(ladders) - set(known))
    if unknown:
        raise PolicyError(
            f"{source}: no request kind {unknown[0]!r} (ladders are for: {', '.join(known)})"
        )
    missing = [k for k in known if k not in ladders]
    if missing:
        raise PolicyError(
            f"{source}: no ladder for request kind {missing[0]!r}; add [ladders.{missing[0]}]"
        )
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


def _declared_steps(raw: object, source: str) -> dict[str, dict]:
    """The [steps] table: each step's label, subject prefix and wording, checked."""
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(f"{source}: no [steps] table naming each step's label and prefix")
    for name, body in raw.items():
        where = f"{source}: steps.{name}"
        if not isinstance(body, dict):
            raise PolicyError(
                f"{where}: a step is a table such as "
                '{ label = "first reminder", prefix = "Reminder" }'
            )
        for key in ("label", "prefix"):
            if not isinstance(body.get(key), str):
                raise PolicyError(
                    f"{where}: '{key}' is required, a text in English (\"\" for no prefix)"
                )
        if not body["label"].strip():
            raise PolicyError(f"{where}: 'label' must not be empty")
        letter = body.get("letter")
        if letter is not None and letter not in LETTERS:
            raise PolicyError(f"{where}: 'letter' must be one of {', '.join(LETTERS)}")
    return raw


def _step(raw: object, where: str, seen: set[str], declared: dict[str, dict]) -> Step:
    if not isinstance(raw, dict):
        raise PolicyError(f'{where}: a step is a table such as {{ name = "reminder1", days = 7 }}')
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise PolicyError(f"{where}: 'name' must be a word such as reminder1")
    if name in seen:
        raise PolicyError(f"{where}: the name {name!r} is used twice")
    seen.add(name)
    if name not in declared:
        raise PolicyError(
            f"{where}: unknown step {name!r}; declare it under [steps] with a label and a prefix"
        )
    at_open = raw.get("at") == "open"
    days = raw.get("days")
    if at_open == (days is not None):
        raise PolicyError(f'{where}: give either at = "open" or days = N')
    if days is not None and not isinstance(days, int):
        raise PolicyError(f"{where}: 'days' must be a whole number")
    escalate = bool(raw.get("escalate"))
    texts = declared[name]
    letter = texts.get("letter") or (
        "request"
        if at_open
        else "escalation"
        if escalate
        else "due_soon"
        if days is not None and days < 0
        else "reminder"
    )
    return Step(
        name,
        days,
        at_open,
        bool(raw.get("cc_alternate")),
        escalate,
        texts["label"],
        texts["prefix"],
        letter,
    )


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


def cached_policy(path: Path | None = None) -> Policy:
    """``load_policy``, read again when the file changes (for the desk's labels)."""
    path = path or DEFAULT_POLICY
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _cached_policy(path, stamp)


@lru_cache(maxsize=8)
def _cached_policy(path: Path, _stamp: int) -> Policy:
    return load_policy(path)


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
