"""Campaigns as the API shows them: each campaign row (``bot.campaign``), with the requests
it opened and how many of them were answered.

A request counts as answered once it has an answer (``answered_at``), even if it was
closed afterwards. The response rate is answered / opened, or null for a campaign that
opened nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Campaign as CampaignRow
from ..model import Request


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


def _from_row(row: CampaignRow) -> Campaign:
    return Campaign(
        id=row.id,
        kind=row.kind,
        instrument=row.instrument_code,
        cycle=row.cycle,
        due=row.due_date.isoformat(),
        created_at=row.created_at,
        created_by=row.created_by,
        opened=[],
    )


def _count(session: Session, campaigns: list[Campaign]) -> None:
    """Fill in each campaign's requests, answers and statuses, in one query for them all."""
    by_id = {c.id: c for c in campaigns}
    if not by_id:
        return
    rows = session.execute(
        select(Request.campaign_id, Request.id, Request.status, Request.answered_at)
        .where(Request.campaign_id.in_(by_id))
        .order_by(Request.id)
    )
    for campaign_id, rid, status, answered_at in rows:
        c = by_id.get(campaign_id or 0)
        if c is None:  # not asked for: the query names these campaigns only
            continue
        c.opened.append(rid)
        c.by_status[status] = c.by_status.get(status, 0) + 1
        c.answered += answered_at is not None


def find(session: Session, *, after: int | None, limit: int) -> list[Campaign]:
    """Campaigns by id, from the one after ``after``: ``limit`` of them at most."""
    query = select(CampaignRow)
    if after is not None:
        query = query.where(CampaignRow.id > after)
    found = [_from_row(c) for c in session.scalars(query.order_by(CampaignRow.id).limit(limit))]
    _count(session, found)
    return found


def get(session: Session, campaign_id: int) -> Campaign | None:
    row = session.get(CampaignRow, campaign_id)
    if row is None:
        return None
    found = _from_row(row)
    _count(session, [found])
    return found
