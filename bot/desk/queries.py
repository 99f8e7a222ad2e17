"""The desk's read queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..model import Contact, Request, RequestStatus, State

OPEN = RequestStatus.OPEN.value


@dataclass
class Counts:
    states: int
    open: int
    overdue: int
    answered: int


def counts(session: Session, today: date) -> Counts:
    def count(*where) -> int:
        return session.scalar(select(func.count(Request.id)).where(*where)) or 0

    return Counts(
        states=session.scalar(select(func.count(State.code))) or 0,
        open=count(Request.status == OPEN),
        overdue=count(Request.status == OPEN, Request.due_date < today),
        answered=count(Request.status == RequestStatus.ANSWERED.value),
    )


def find_requests(
    session: Session,
    today: date,
    *,
    status: str = "",
    kind: str = "",
    overdue: bool = False,
    limit: int = 500,
) -> list[Request]:
    """Requests by due date, overdue ones first when only open ones are asked for."""
    query = select(Request).options(selectinload(Request.state))
    if status:
        query = query.where(Request.status == status)
    if kind:
        query = query.where(Request.kind == kind)
    if overdue:
        query = query.where(Request.status == OPEN, Request.due_date < today)
    return list(session.scalars(query.order_by(Request.due_date, Request.id).limit(limit)))


def dashboard_requests(session: Session, today: date, limit: int = 200) -> list[Request]:
    """Open requests, the overdue ones first (they come first by due date)."""
    return find_requests(session, today, status=OPEN, limit=limit)


def states_with_contact_counts(session: Session) -> list[tuple[State, int]]:
    counted = (
        select(Contact.state_code, func.count(Contact.id).label("n"))
        .group_by(Contact.state_code)
        .subquery()
    )
    rows = session.execute(
        select(State, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.state_code == State.code)
        .order_by(State.code)
    )
    return [(state, n) for state, n in rows]
