"""Campaigns as the API shows them: each ``campaign.created`` audit event, with the
requests it opened and how many of them were answered.

A request counts as answered once it has an answer (``answered_at``), even if it was
closed afterwards. The response rate is answered / opened, or null for a campaign that
opened nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import AuditEvent, Request

ACTION = "campaign.created"


@dataclass
class Campaign:
    id: int
    kind: str
    instrument: str | None
    cycle: str
    due: str
    created_at: datetime
    created_by: str
    opened: list[int]
    answered: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.opened)

    @property
    def response_rate(self) -> float | None:
        return round(self.answered / self.total, 4) if self.total else None


def _from_event(event: AuditEvent) -> Campaign:
    data = json.loads(event.payload).get("data", {})
    opened = [int(i) for i in data.get("opened") or [] if isinstance(i, int)]
    return Campaign(
        id=event.id,
        kind=str(data.get("kind", "")),
        instrument=data.get("instrument"),
        cycle=str(data.get("cycle", "")),
        due=str(data.get("due", "")),
        created_at=event.at,
        created_by=event.actor,
        opened=opened,
    )


def _count(session: Session, campaigns: list[Campaign]) -> None:
    """Fill in each campaign's answers and statuses, in one query for them all."""
    ids = sorted({i for c in campaigns for i in c.opened})
    if not ids:
        return
    rows = {
        rid: (status, answered_at is not None)
        for rid, status, answered_at in session.execute(
            select(Request.id, Request.status, Request.answered_at).where(Request.id.in_(ids))
        )
    }
    for c in campaigns:
        for rid in c.opened:
            if rid in rows:
                status, answered = rows[rid]
                c.by_status[status] = c.by_status.get(status, 0) + 1
                c.answered += answered


def find(session: Session, *, after: int | None, limit: int) -> list[Campaign]:
    """Campaigns by id, from the one after ``after``: ``limit`` of them at most."""
    query = select(AuditEvent).where(AuditEvent.action == ACTION)
    if after is not None:
        query = query.where(AuditEvent.id > after)
    found = [_from_event(e) for e in session.scalars(query.order_by(AuditEvent.id).limit(limit))]
    _count(session, found)
    return found


def get(session: Session, campaign_id: int) -> Campaign | None:
    event = session.get(AuditEvent, campaign_id)
    if event is None or event.action != ACTION:
        return None
    found = _from_event(event)
    _count(session, [found])
    return found
