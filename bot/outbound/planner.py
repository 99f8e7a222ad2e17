"""The planner: for every open request, ask the ladder what is due and write it to the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, db, tokens
from ..config import Settings
from ..model import (
    Contact,
    Delivery,
    Direction,
    Message,
    Request,
    RequestStatus,
    Role,
    User,
    utcnow,
)
from ..policy.ladder import Action, Policy, RequestView, load_policy, next_actions
from ..requests import recipients
from .compose import Envelope, build, new_message_id, render

log = logging.getLogger(__name__)


@dataclass
class PlanResult:
    queued: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan(settings: Settings, *, now: datetime | None = None, policy: Policy | None = None) -> PlanResult:
    """One planning pass. Idempotent: a step already in the outbox is never written twice."""
    now = now or utcnow()
    policy = policy or load_policy()
    result = PlanResult()
    with db.session() as s:
        views = [
            RequestView(r.id, r.kind, r.status, r.created_at.date(), r.due_date)
            for r in s.scalars(select(Request).where(Request.status == RequestStatus.OPEN.value))
        ]
        done: dict[int, set[str]] = {}
        for rid, step in s.execute(
            select(Message.request_id, Message.step).where(
                Message.direction == Direction.OUT.value, Message.step.is_not(None)
            )
        ):
            done.setdefault(rid, set()).add(step)
    for view in views:
        try:
            actions = next_actions(view, done.get(view.id, set()), policy.ladder(view.kind), now.date())
        except ValueError as exc:
            result.problems.append(f"request {view.id}: {exc}")
            continue
        for action in actions:
            try:
                mid = queue_step(settings, action, now=now)
            except Exception as exc:  # one bad request must not stop the pass
                log.exception("cannot queue step %s of request %s", action.step.name, action.request_id)
                result.problems.append(f"request {action.request_id}: {exc}")
                continue
            if isinstance(mid, int):
                result.queued.append(mid)
            elif mid:
                result.problems.append(mid)
    return result


def queue_step(settings: Settings, action: Action, *, now: datetime) -> int | str | None:
    """Write the email for one step to the outbox; return its row id, a problem, or None if already there."""
    with db.session() as s:
        request = s.get(Request, action.request_id)
        if request is None or request.status != RequestStatus.OPEN.value:
            return None
        to, cc = _addressees(s, request, action)
        if not to:
            return f"request {request.id} ({request.state_code}): no contact with an email address"
        first = s.get(Contact, to[0].contact_id)
        lang = to[0].language
        rendered = render(request.kind, action.step.name, _context(settings, request, first, lang), lang)
        previous = [
            m for m in s.scalars(
                select(Message.message_id).where(
                    Message.request_id == request.id, Message.direction == Direction.OUT.value
                ).order_by(Message.id)
            ) if m
        ]
        envelope = Envelope(
            mail_from=settings.mail_from,
            to=[(a.name, a.email) for a in to],
            cc=[(a.name, a.email) for a in cc],
            reply_to=tokens.reply_address(request.token, settings.reply_address),
            message_id=new_message_id(settings.mail_domain),
            references=previous[-10:],
            date=now,
        )
        email = build(rendered, envelope)
        row = Message(
            direction=Direction.OUT.value,
            message_id=envelope.message_id,
            request_id=request.id,
            state_code=request.state_code,
            contact_id=to[0].contact_id,
            step=action.step.name,
            subject=rendered.subject,
            from_addr=settings.mail_from,
            to_addrs=[a.email for a in to + cc],
            language=lang,
            raw=email.as_bytes(),
            delivery=Delivery.QUEUED.value,
        )
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:
            return None  # another planner wrote this step first
        audit.record(s, "message.queued", row, request=request.id, step=action.step.name, to=row.to_addrs, language=lang)
        return row.id


@dataclass(frozen=True)
class Addressee:
    name: str
    email: str
    language: str
    contact_id: int | None


def _of(contact: Contact) -> Addressee:
    return Addressee(contact.name, contact.email or "", contact.language, contact.id)


def _addressees(s: Session, request: Request, action: Action) -> tuple[list[Addressee], list[Addressee]]:
    """To and Cc for a step: the request's addressee; the mission on escalation."""
    to = [_of(c) for c in recipients(request)]
    cc: list[Addressee] = []

    def with_role(role: Role) -> list[Addressee]:
        return [_of(c) for c in request.state.contacts if c.role == role.value and c.emails][:1]

    if action.step.escalate:
        mission = with_role(Role.MISSION)
        if mission:
            cc, to = [a for a in to if a not in mission], mission
    if action.step.cc_alternate or action.step.escalate:
        cc += [a for a in with_role(Role.ALTERNATE) if a not in to and a not in cc]
    if action.step.escalate and request.officer_id:
        officer = s.get(User, request.officer_id)
        if officer is not None:
            cc.append(Addressee(officer.name, officer.email, "en", None))
    return to, cc


def _context(settings: Settings, request: Request, contact: Contact | None, lang: str) -> dict:
    due: date = request.due_date
    return {
        "request": request,
        "tag": request.tag,
        "contact": contact,
        "state_name": request.state.name(lang),
        "instrument_name": request.instrument.name(lang) if request.instrument else "",
        "cycle": request.cycle,
        "subject": request.subject,
        "due": format_date(due, format="long", locale=lang),
        "form_url": f"{settings.public_url}/f/{request.token}",
        "secretariat": settings.secretariat_name,
    }
