"""Every change of a request's state, one function per transition.

Opened, answered, paused, resumed, snoozed, held (the focal point is away),
deadline changed, waived, closed, escalated, reopened: the desk, the forms,
ingestion and the planner all call these. Each writes its audit event in the
caller's transaction and cancels the outbox letters that no longer apply,
marked with the reason (``outbox.cancel_for``). Answers typed in a web form and
answers sent by email both end in ``record_submission``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from . import audit, kinds, tokens
from .model import (
    Contact,
    Message,
    MessageLink,
    OutboxItem,
    Request,
    RequestStatus,
    Role,
    State,
    Submission,
    utcnow,
)
from .outbound import outbox


class RequestError(ValueError):
    """A request cannot be opened or changed as asked.

    ``code`` names the reason for callers that word it for a person:
    ``not_open``, ``already_paused``, ``not_held``, ``already_closed``, ``not_closed``,
    ``bad_date``.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


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
    try:
        kind, purpose = kinds.opening(kind, purpose)
    except kinds.KindError as error:
        raise RequestError(str(error)) from None
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
        session,
        "request.opened",
        request,
        actor=actor,
        state=state.code,
        kind=kind,
        due=due_date.isoformat(),
        instrument=instrument_code,
        cycle=cycle,
    )
    return request


def _unique_token(session: Session) -> str:
    while True:
        token = tokens.new_token()
        if session.scalar(select(Request.id).where(Request.token == token)) is None:
            return token


def reachable(contact: Contact | None) -> bool:
    return (
        contact is not None
        and contact.left_at is None
        and bool(contact.emails)
        and contact.email_status == "ok"
    )


def recipients(request: Request, exclude: set[int] | frozenset[int] = frozenset()) -> list[Contact]:
    """Who a request is addressed to: its own contact, else the State's focal point.

    A contact whose address bounces or is invalid is passed over for the next in
    line: the alternate focal point, then the permanent mission. A request to
    appoint a focal point goes to the permanent mission.
    """
    own = request.contact
    if own is not None and reachable(own) and own.id not in exclude:
        return [own]
    contacts = [c for c in request.state.contacts if c.id not in exclude]
    order = (
        (Role.MISSION,)
        if request.purpose == "appoint"
        else (Role.FOCAL_POINT, Role.ALTERNATE, Role.MISSION)
    )
    for role in order:
        found = [c for c in contacts if c.role == role.value and reachable(c)]
        if found:
            return found[:1]
    return []


@dataclass(frozen=True)
class TokenCheck:
    request: Request | None
    problem: str | None  # None, "unknown", "expired", "closed"


def find_by_token(
    session: Session, token: str, *, now: datetime | None = None, valid_days: int = 365
) -> TokenCheck:
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
    review: str = "pending",
    answered: bool = True,
) -> Submission:
    """Store an answer to ``request``.

    With ``answered`` the request is marked answered (its ladder stops); without,
    the answer waits for an officer's review and the request is only paused.
    """
    who = actor or submitted_by or source
    latest = session.scalar(
        select(func.max(Submission.version)).where(Submission.request_id == request.id)
    )
    submission = Submission(
        version=(latest or 0) + 1,
        request_id=request.id,
        source=source,
        message_id=message.id if message else None,
        data=data,
        submitted_by=submitted_by,
        language=language,
        review=review,
    )
    session.add(submission)
    session.flush()
    audit.record(
        session,
        "submission.received",
        submission,
        actor=who,
        request=request.id,
        source=source,
        fields=sorted(data),
        review=review,
        version=submission.version,
    )
    if request.status == OPEN:
        if answered:
            mark_answered(session, request, actor=who)
        elif not request.paused:
            pause(session, request, actor=who, reason="reply received")
    return submission


# -- transitions ----------------------------------------------------------------

OPEN = RequestStatus.OPEN.value
ENDED = (RequestStatus.CLOSED.value, RequestStatus.WAIVED.value)


def _require_open(request: Request, what: str) -> None:
    if request.status != OPEN:
        raise RequestError(
            f"{request.tag} is {request.status}: only an open request can be {what}", "not_open"
        )


def _set_status(
    session: Session,
    request: Request,
    status: RequestStatus,
    *,
    actor: str,
    reason: str,
    transition: str,
) -> None:
    old = request.status
    request.status = status.value
    now = utcnow()
    if status == RequestStatus.ANSWERED:
        request.answered_at = now
    elif status in (RequestStatus.CLOSED, RequestStatus.WAIVED):
        request.closed_at = now
    elif status == RequestStatus.OPEN:
        request.closed_at = None
        request.next_action_at = now
    if status != RequestStatus.OPEN:
        request.next_action_at, request.next_step = None, None
    audit.record(
        session,
        "request.status",
        request,
        actor=actor,
        old=old,
        new=status.value,
        reason=reason,
        transition=transition,
    )
    if status != RequestStatus.OPEN:
        outbox.cancel_for(session, request, f"request {request.tag} {transition}", actor=actor)


def mark_answered(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """The request has its answer: the ladder stops."""
    _require_open(request, "answered")
    _set_status(
        session, request, RequestStatus.ANSWERED, actor=actor, reason=reason, transition="answered"
    )


def waive(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """The secretariat no longer expects an answer."""
    _require_open(request, "waived")
    _set_status(
        session, request, RequestStatus.WAIVED, actor=actor, reason=reason, transition="waived"
    )


def close(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """An open or answered request is done with."""
    if request.status in ENDED:
        raise RequestError(f"{request.tag} is already {request.status}", "already_closed")
    _set_status(
        session, request, RequestStatus.CLOSED, actor=actor, reason=reason, transition="closed"
    )


def reopen(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """An answered, closed or waived request is open again; the planner picks its ladder up."""
    if request.status == OPEN:
        raise RequestError(f"{request.tag} is already open", "not_closed")
    _set_status(
        session, request, RequestStatus.OPEN, actor=actor, reason=reason, transition="reopened"
    )


def pause(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """No reminder until resumed (by an officer, or a reply received)."""
    _require_open(request, "paused")
    if request.paused:
        raise RequestError(f"{request.tag} is already paused", "already_paused")
    request.paused = True
    request.next_action_at = utcnow()  # the planner notes why it waits
    audit.record(session, "request.paused", request, actor=actor, reason=reason)
    outbox.cancel_for(session, request, f"request {request.tag} paused", actor=actor)


def resume(session: Session, request: Request, *, actor: str, reason: str = "") -> None:
    """Undo a pause and a snooze; the planner looks at the request at its next pass."""
    _require_open(request, "resumed")
    if not request.paused and request.snoozed_until is None:
        raise RequestError(f"{request.tag} is neither paused nor snoozed", "not_held")
    was: dict[str, Any] = {
        "paused": request.paused,
        "snoozed_until": request.snoozed_until.isoformat() if request.snoozed_until else None,
    }
    request.paused, request.snoozed_until = False, None
    request.next_action_at = utcnow()
    audit.record(session, "request.resumed", request, actor=actor, reason=reason, **was)


def snooze(
    session: Session,
    request: Request,
    until: date,
    *,
    actor: str,
    today: date | None = None,
    reason: str = "",
) -> None:
    """No reminder before the day after ``until``."""
    _require_open(request, "snoozed")
    if until <= (today or utcnow().date()):
        raise RequestError("a snooze ends after today", "bad_date")
    _wait_until(
        session,
        request,
        "snoozed_until",
        until,
        "request.snoozed",
        "snoozed",
        actor=actor,
        reason=reason,
    )


def hold(session: Session, request: Request, until: date, *, actor: str, reason: str = "") -> bool:
    """The addressee is away until ``until``: hold reminders until then. False when already held as
    long."""
    if request.status != OPEN or (request.hold_until is not None and request.hold_until >= until):
        return False
    _wait_until(
        session, request, "hold_until", until, "request.held", "held", actor=actor, reason=reason
    )
    return True


def _wait_until(
    session: Session,
    request: Request,
    column: str,
    until: date,
    action: str,
    word: str,
    *,
    actor: str,
    reason: str,
) -> None:
    """No reminder until ``until`` (a snooze, or a hold while the addressee is away): the
    date set, the planner to look again, the audit event, the letters it makes moot cancelled."""
    previous = getattr(request, column)
    setattr(request, column, until)
    request.next_action_at = utcnow()
    audit.record(
        session,
        action,
        request,
        actor=actor,
        reason=reason,
        until=until.isoformat(),
        previous=previous.isoformat() if previous else None,
    )
    outbox.cancel_for(
        session, request, f"request {request.tag} {word} until {until.isoformat()}", actor=actor
    )


def change_due(
    session: Session, request: Request, due: date, *, actor: str, reason: str = ""
) -> None:
    """A new deadline: the ladder's dates follow it from the next pass."""
    _require_open(request, "given a new deadline")
    previous, request.due_date = request.due_date, due
    request.next_action_at = utcnow()
    audit.record(
        session,
        "request.due_changed",
        request,
        actor=actor,
        reason=reason,
        due=due.isoformat(),
        previous=previous.isoformat(),
    )
    outbox.cancel_for(  # a letter with the new deadline is another letter: resent
        session,
        request,
        f"deadline of {request.tag} changed to {due.isoformat()}",
        actor=actor,
        resend=True,
    )


def readdress(
    session: Session, request: Request, contact: Contact, *, actor: str, reason: str = ""
) -> None:
    """The request is addressed to ``contact`` from now on (a successor took over the post):
    the letters not yet sent are cancelled, and the planner writes to the new addressee."""
    previous, request.contact_id = request.contact_id, contact.id
    request.contact = contact
    if request.status == OPEN:
        request.next_action_at = utcnow()
    audit.record(
        session,
        "request.readdressed",
        request,
        actor=actor,
        reason=reason,
        contact=contact.id,
        previous=previous,
    )
    outbox.cancel_for(  # the new addressee gets the letter, whatever the old one had
        session, request, f"request {request.tag} readdressed", actor=actor, resend=True
    )


def escalate(session: Session, request: Request, *, actor: str, step: str) -> None:
    """The request is escalated (its ladder reached the permanent mission); once. Asked from
    the desk, before the ladder's escalation step: the next pass sends that step at once."""
    if request.escalated_at is not None:
        return
    request.escalated_at = utcnow()
    request.next_action_at = request.escalated_at
    audit.record(session, "request.escalated", request, actor=actor, step=step)


def _linked(request_ids) -> Any:
    """The condition 'this message belongs to one of these requests': by its own link,
    or as a letter (a digest, say) that carries a step of the request."""
    own = select(Message.id).where(Message.request_id.in_(request_ids))
    carried = select(OutboxItem.message_id).where(OutboxItem.request_id.in_(request_ids))
    linked = select(MessageLink.message_id).where(MessageLink.request_id.in_(request_ids))
    # One set of ids, each part found by its index (an OR of the three reads every message).
    return Message.id.in_(union(own, carried, linked))


def correspondence(session: Session, request_id: int) -> list[Message]:
    """Every message in and out about a request, oldest first, digests included."""
    return list(session.scalars(select(Message).where(_linked([request_id])).order_by(Message.id)))


def message_counts(session: Session, request_ids: list[int]) -> dict[int, dict[str, int]]:
    """{request id: {"in": n, "out": n}}, counting a digest under every request it carries."""
    result: dict[int, dict[str, int]] = {rid: {"in": 0, "out": 0} for rid in request_ids}
    if not request_ids:
        return result
    pairs = union(
        select(Message.request_id.label("rid"), Message.id.label("mid")).where(
            Message.request_id.in_(request_ids)
        ),
        select(OutboxItem.request_id.label("rid"), OutboxItem.message_id.label("mid")).where(
            OutboxItem.request_id.in_(request_ids)
        ),
        select(MessageLink.request_id.label("rid"), MessageLink.message_id.label("mid")).where(
            MessageLink.request_id.in_(request_ids)
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
