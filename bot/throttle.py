"""Failed log-ins, counted per account and per client address in ``LoginThrottle`` rows and
slowed down with exponential backoff (bot/data/login.toml). The decisions are the pure
functions ``delay`` and ``keys``; ``check``, ``fail`` and ``succeed`` read and write the rows."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .model import LoginThrottle

POLICY_FILE = Path(__file__).resolve().parent / "data" / "login.toml"


@dataclass(frozen=True)
class Policy:
    window: timedelta
    base: timedelta
    cap: timedelta
    free: dict[str, int]  # account_address, address, account


@cache
def policy(path: Path = POLICY_FILE) -> Policy:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Policy(
        window=timedelta(minutes=data["window_minutes"]),
        base=timedelta(seconds=data["base_seconds"]),
        cap=timedelta(seconds=data["cap_seconds"]),
        free={k: int(v) for k, v in data["free"].items()},
    )


def keys(email: str, address: str) -> dict[str, str]:
    """{kind: key} counted for a log-in to ``email`` from ``address``."""
    return {
        "account_address": f"account:{email}|{address}",
        "address": f"address:{address}",
        "account": f"account:{email}",
    }


def delay(failures: int, free: int, p: Policy) -> timedelta:
    """How long a key stays closed after its ``failures``-th failure: none while within its
    free tries, then ``base`` doubled at each failure, at most ``cap``."""
    if failures < free:
        return timedelta(0)
    return min(p.base * (2 ** min(failures - free, 20)), p.cap)


def _rows(session: Session, wanted: dict[str, str]) -> dict[str, LoginThrottle]:
    found = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(wanted.values())))
    by_key = {row.key: row for row in found}
    return {kind: by_key[key] for kind, key in wanted.items() if key in by_key}


def blocked(session: Session, email: str, address: str, now: datetime) -> datetime | None:
    """Until when a log-in to ``email`` from ``address`` is refused, or None."""
    ends = [
        row.blocked_until
        for row in _rows(session, keys(email, address)).values()
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return max(ends) if ends else None


@dataclass
class Failure:
    quiet: bool  # past a key's free tries: no audit event of its own
    newly_closed: list[tuple[str, LoginThrottle]]  # keys that close for the first time this window


def fail(session: Session, email: str, address: str, now: datetime) -> Failure:
    """Count one failed log-in under each key; say which keys closed for the first time."""
    p = policy()
    wanted = keys(email, address)
    rows = _rows(session, wanted)
    quiet, closed = False, []
    for kind, key in wanted.items():
        row = rows.get(kind)
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_at=now, last_at=now)
            session.add(row)
        elif now - row.last_at > p.window:  # a new window
            row.failures, row.first_at, row.reported_at, row.blocked_until = 0, now, None, None
        row.failures += 1
        row.last_at = now
        wait = delay(row.failures, p.free[kind], p)
        if wait:
            row.blocked_until = now + wait
            if row.reported_at is None:
                row.reported_at = now
                closed.append((kind, row))
        if row.failures > p.free[kind]:
            quiet = True
    session.flush()
    return Failure(quiet, closed)


def succeed(session: Session, email: str, address: str) -> None:
    """A log-in: the account's own counts start again (the address's does not)."""
    wanted = keys(email, address)
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.key.in_([wanted["account_address"], wanted["account"]])
        )
    )
