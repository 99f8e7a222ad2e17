"""Opening requests and recording answers: the state changes every entry point shares.

Answers typed in a web form and answers sent by email both end in
``record_submission``; each change writes its audit event in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, tokens
from .model import (
    Contact,
    Message,
    Request,
    RequestKind,
    RequestStatus,
    Role,
    State,
    Submission,
    utcnow,
)


class RequestError(ValueError):
    """A request cannot be opened or changed as asked."""


def open_request(
    session: Session,
    state: State,
    kind: str,
    due_date: date,
    *,
    instrument_code: str | None = None,
    cycle: str = "",
    subject: str = "",
    contact: Contact | None = None,
    officer_id: int | None = None,
    purpose: str | None = None,
    actor: str = "system",
) -> Request:
    if kind not in {k.value for k in RequestKind}:
        raise RequestError(f"unknown request kind {kind!r}")
    request = Request(
        state_code=state.code,
        kind=kind,
        instrument_code=instrument_code,
        cycle=cycle,
        subject=subject,
        due_date=due_date,
        contact_id=contact.id if contact else None,
        officer_id=officer_id,
        token=_unique_token(session),
        status=RequestStatus.OPEN.value,
        next_action_at=utcnow(),
        purpose=purpose,
    )
    session.add(request)
    session.flush()
    audit.record(
        session, "request.opened", request, actor=actor,
        state=state.code, kind=kind, due=due_date.isoformat(), instrument=instrument_code, cycle=cycle,
    )
    return request


def _unique_token(session: Session) -> str:
    while True:
        token = tokens.new_token()
        if session.scalar(select(Request.id).where(Request.token == token)) is None:
            return token


def reachable(contact: Contact | None) -> bool:
    return contact is not None and bool(contact.emails) and contact.email_status == "ok"


def recipients(request: Request) -> list[Contact]:
    """Who a request is addressed to: its own contact, else the State's focal point.

    A contact whose address bounces or is invalid is passed over for the next in
    line: the alternate focal point, then the permanent mission. A request to
    appoint a focal point goes to the permanent mission.
    """
    if reachable(request.contact):
        return [request.contact]
    contacts = request.state.contacts
    order = (Role.MISSION,) if request.purpose == "appoint" else (Role.FOCAL_POINT, Role.ALTERNATE, Role.MISSION)
    for role in order:
        found = [c for c in contacts if c.role == role.value and reachable(c)]
        if found:
            return found[:1]
    return []


@dataclass(frozen=True)
class TokenCheck:
    request: Request | None
    problem: str | None  # None, "unknown", "expired", "closed"


def find_by_token(session: Session, token: str, *, now: datetime | None = None, valid_days: int = 365) -> TokenCheck:
    """Look up a request by its token as typed; say why it cannot be used if so."""
    if not tokens.is_valid(token):
        return TokenCheck(None, "unknown")
    request = session.scalar(select(Request).where(Request.token == tokens.normalise(token)))
    if request is None:
        return TokenCheck(None, "unknown")
    if request.status in (RequestStatus.CLOSED.value, RequestStatus.WAIVED.value):
        return TokenCheck(request, "closed")
    now = now or utcnow()
    if now.date() > request.due_date + timedelta(days=valid_days):
        return TokenCheck(request, "expired")
    return TokenCheck(request, None)


def record_submission(
    session: Session,
    request: Request,
    data: dict[str, Any],
    *,
    source: str,
    submitted_by: str = "",
    message: Message | None = None,
    language: str | None = None,
    actor: str | None = None,
) -> Submission:
    """Store an answer to ``request`` and mark the request answered."""
    submission = Submission(
        request_id=request.id,
        source=source,
        message_id=message.id if message else None,
        data=data,
        submitted_by=submitted_by,
        language=language,
    )
    session.add(submission)
    session.flush()
    audit.record(
        session, "submission.received", submission, actor=actor or submitted_by or source,
        request=request.id, source=source, fields=sorted(data),
    )
    if request.status == RequestStatus.OPEN.value:
        set_status(session, request, RequestStatus.ANSWERED, actor=actor or submitted_by or source)
    return submission


def set_status(session: Session, request: Request, status: RequestStatus, *, actor: str, reason: str = "") -> None:
    old = request.status
    if old == status.value:
        return
    request.status = status.value
    now = utcnow()
    if status == RequestStatus.ANSWERED:
        request.answered_at = now
    elif status in (RequestStatus.CLOSED, RequestStatus.WAIVED):
        request.closed_at = now
    audit.record(session, "request.status", request, actor=actor, old=old, new=status.value, reason=reason)


def _linked(request_ids) -> Any:
    """The condition 'this message belongs to one of these requests': by its own link,
    or as a letter (a digest, say) that carries a step of the request."""
    from sqlalchemy import or_

    from .model import OutboxItem

    carried = select(OutboxItem.message_id).where(OutboxItem.request_id.in_(request_ids))
    return or_(Message.request_id.in_(request_ids), Message.id.in_(carried))


def correspondence(session: Session, request_id: int) -> list[Message]:
    """Every message in and out about a request, oldest first, digests included."""
    return list(session.scalars(select(Message).where(_linked([request_id])).order_by(Message.id)))


def message_counts(session: Session, request_ids: list[int]) -> dict[int, dict[str, int]]:
    """{request id: {"in": n, "out": n}}, counting a digest under every request it carries."""
    from sqlalchemy import func, union

    from .model import OutboxItem

    result: dict[int, dict[str, int]] = {rid: {"in": 0, "out": 0} for rid in request_ids}
    if not request_ids:
        return result
    pairs = union(
        select(Message.request_id.label("rid"), Message.id.label("mid")).where(Message.request_id.in_(request_ids)),
        select(OutboxItem.request_id.label("rid"), OutboxItem.message_id.label("mid")).where(
            OutboxItem.request_id.in_(request_ids)
        ),
    ).subquery()
    rows = session.execute(
        select(pairs.c.rid, Message.direction, func.count())
        .join(Message, Message.id == pairs.c.mid)
        .group_by(pairs.c.rid, Message.direction)
    )
    for rid, direction, n in rows:
        result[rid][direction] = n
    return result
