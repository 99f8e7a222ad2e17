"""The desk's read queries: each page asks for one page of rows, in a bounded number of
queries whatever the size of the directory and the mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    TextClause,
    cast,
    func,
    or_,
    select,
    union,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, selectinload

from .. import successor
from ..inbound import triage
from ..model import (
    Contact,
    Direction,
    Message,
    MessageLink,
    OutboxItem,
    Request,
    RequestStatus,
    State,
    Submission,
)

OPEN = RequestStatus.OPEN.value
PER_PAGE = 50


@dataclass
class Counts:
    states: int
    open: int
    overdue: int
    answered: int


@dataclass
class Page:
    """One page of a longer list (``number`` from 1)."""

    items: Sequence[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def paged(session: Session, query: Select, number: int, per_page: int = PER_PAGE) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return Page(items, number, per_page, total)


def counts(session: Session, today: date) -> Counts:
    row = session.execute(
        select(
            func.count(Request.id).filter(Request.status == OPEN),
            func.count(Request.id).filter(Request.status == OPEN, Request.due_date < today),
            func.count(Request.id).filter(Request.status == RequestStatus.ANSWERED.value),
        )
    ).one()
    return Counts(
        states=session.scalar(select(func.count(State.code))) or 0,
        open=row[0],
        overdue=row[1],
        answered=row[2],
    )


@dataclass
class Filters:
    """The request list's filters, as the query string gives them (unknown codes are dropped
    by the view)."""

    status: str = ""
    kind: str = ""
    instrument: str = ""
    group: str = ""
    state: str = ""
    officer: int | None = None
    overdue: bool = False

    def args(self) -> dict[str, Any]:
        found = {k: v for k, v in vars(self).items() if v not in ("", None, False)}
        if self.overdue:
            found["overdue"] = 1
        return found


def request_query(today: date, filters: Filters) -> Select:
    """Requests by due date (overdue ones come first among the open), with their State."""
    query = select(Request).options(selectinload(Request.state))
    if filters.status:
        query = query.where(Request.status == filters.status)
    if filters.kind:
        query = query.where(Request.kind == filters.kind)
    if filters.instrument:
        query = query.where(Request.instrument_code == filters.instrument)
    if filters.state:
        query = query.where(Request.state_code == filters.state)
    if filters.group:
        query = query.where(
            Request.state_code.in_(select(State.code).where(State.un_group == filters.group))
        )
    if filters.officer is not None:
        query = query.where(Request.officer_id == filters.officer)
    if filters.overdue:
        query = query.where(Request.status == OPEN, Request.due_date < today)
    return query.order_by(Request.due_date, Request.id)


def find_requests(session: Session, today: date, filters: Filters, number: int = 1) -> Page:
    return paged(session, request_query(today, filters), number)


@dataclass
class Queues:
    """What needs a person now, the first rows of each and how many there are."""

    triage: Page
    escalated: Page
    bounced: Page
    reviews: Page
    successors: Page
    overdue: Page = field(default_factory=lambda: Page([], 1, 1, 0))


QUEUE_ROWS = 10


def queues(session: Session, today: date) -> Queues:
    def first(query: Select) -> Page:
        return paged(session, query, 1, QUEUE_ROWS)

    proposals = successor.pending(session)
    with_state = selectinload(Request.state)
    return Queues(
        triage=first(
            select(Message)
            .where(Message.direction == Direction.IN.value, Message.delivery.in_(triage.WAITING))
            .order_by(Message.id.desc())
        ),
        escalated=first(
            select(Request)
            .options(with_state)
            .where(Request.status == OPEN, Request.escalated_at.is_not(None))
            .order_by(Request.escalated_at.desc())
        ),
        bounced=first(
            select(Contact)
            .options(selectinload(Contact.state))
            .where(Contact.email_status != "ok", Contact.left_at.is_(None))
            .order_by(Contact.state_code, Contact.id)
        ),
        reviews=first(
            select(Submission)
            .options(selectinload(Submission.request).selectinload(Request.state))
            .where(Submission.review == "pending", Submission.source == "email")
            .order_by(Submission.id)
        ),
        successors=Page(proposals[:QUEUE_ROWS], 1, QUEUE_ROWS, len(proposals)),
        overdue=first(request_query(today, Filters(overdue=True))),
    )


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


def state_messages(session: Session, code: str, number: int, per_page: int = 20) -> Page:
    """A State's correspondence, newest first: the messages of its requests and those
    that name it."""
    own = select(Request.id).where(Request.state_code == code)
    ids = union(
        select(Message.id).where(Message.state_code == code),
        select(Message.id).where(Message.request_id.in_(own)),
    )
    return newest_messages(session, ids, number, per_page)


def newest_messages(session: Session, ids, number: int, per_page: int) -> Page:
    """One page of the messages whose ids ``ids`` selects, newest first: the ids are found
    first (by their indexes; PostgreSQL keeps them apart, MATERIALIZED), then the newest."""
    found = ids.cte("found")
    if session.get_bind().dialect.name == "postgresql":
        found = found.prefix_with("MATERIALIZED")
    query = select(Message).join(found, found.c.id == Message.id).order_by(Message.id.desc())
    return paged(session, query, number, per_page)


def message_requests(session: Session, message_ids: list[int]) -> dict[int, list[Request]]:
    """{message id: every request it concerns}: its own, the requests a digest carried and
    those a reply to a digest was filed under."""
    found: dict[int, list[Request]] = {mid: [] for mid in message_ids}
    if not message_ids:
        return found
    pairs = (
        select(Message.id.label("mid"), Message.request_id.label("rid"))
        .where(Message.id.in_(message_ids), Message.request_id.is_not(None))
        .union(
            select(OutboxItem.message_id, OutboxItem.request_id).where(
                OutboxItem.message_id.in_(message_ids)
            ),
            select(MessageLink.message_id, MessageLink.request_id).where(
                MessageLink.message_id.in_(message_ids)
            ),
        )
        .subquery()
    )
    rows = session.execute(
        select(pairs.c.mid, Request).join(Request, Request.id == pairs.c.rid).order_by(Request.id)
    )
    for mid, req in rows:
        found[mid].append(req)
    return found


# -- search ------------------------------------------------------------------------------

def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The words of a message, as the full-text index ix_message_search holds them (PostgreSQL).
MATCHES_WORDS = sql_text(
    "to_tsvector('simple', coalesce(message.subject, '') || ' ' || coalesce(message.text, ''))"
    " @@ plainto_tsquery('simple', :words)"
)


@dataclass
class Found:
    states: list[State]
    contacts: list[Contact]
    messages: Page


def search(session: Session, text: str, number: int = 1, per_page: int = 20) -> Found:
    """States, contacts and messages that contain ``text``: PostgreSQL's full-text search
    for the messages where the database is PostgreSQL, else a plain substring match."""
    text = text.strip()[:200]
    like = _like(text.casefold())
    states = [
        s
        for s in session.scalars(select(State).order_by(State.code))
        if text.casefold() in s.code.casefold()
        or any(text.casefold() in n.casefold() for n in (s.names or {}).values())
    ][:50]
    contacts = list(
        session.scalars(
            select(Contact)
            .options(selectinload(Contact.state))
            .where(
                or_(
                    func.lower(Contact.name).like(like, escape="\\"),
                    func.lower(Contact.organisation).like(like, escape="\\"),
                    func.lower(cast(Contact.emails, String)).like(
                        like, escape="\\"
                    ),
                )
            )
            .order_by(Contact.state_code, Contact.id)
            .limit(50)
        )
    )
    matched: ColumnElement[bool] | TextClause
    if session.get_bind().dialect.name == "postgresql":
        matched = MATCHES_WORDS.bindparams(words=text)
    else:
        matched = or_(
            func.lower(Message.subject).like(like, escape="\\"),
            func.lower(Message.text).like(like, escape="\\"),
        )
    messages = newest_messages(session, select(Message.id).where(matched), number, per_page)
    return Found(states, contacts, messages)
