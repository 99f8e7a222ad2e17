"""Problems the secretariat should see on the desk until they are solved.

Reported by key, so a problem seen at every pass is one row whose ``last_seen``
moves, not a flood; solving it (``resolve``) stamps ``resolved_at``.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..model import Problem, utcnow


def report(session: Session, key: str, area: str, message: str) -> None:
    now = utcnow()
    row = session.scalar(select(Problem).where(Problem.key == key))
    if row is None:
        session.add(
            Problem(key=key, area=area, message=message[:2000], first_seen=now, last_seen=now)
        )
        return
    row.message, row.last_seen = message[:2000], now
    if row.resolved_at is not None:
        row.resolved_at, row.first_seen = None, now


def is_open(session: Session, key: str) -> bool:
    found = session.scalar(
        select(Problem.id).where(Problem.key == key, Problem.resolved_at.is_(None))
    )
    return found is not None


def resolve(session: Session, key: str) -> None:
    resolve_many(session, [key])


def resolve_many(session: Session, keys: list[str]) -> None:
    """Solve the problems of ``keys`` that are open, in one statement per 500 keys."""
    now = utcnow()
    for start in range(0, len(keys), 500):
        session.execute(
            update(Problem)
            .where(Problem.key.in_(keys[start : start + 500]), Problem.resolved_at.is_(None))
            .values(resolved_at=now)
        )
