"""The planner: one pass over the requests whose next action has come, writing to the outbox.

A request's ``next_action_at`` says when the planner should look at it again;
the pass reads only the requests whose time has come (an indexed range), so
its cost follows what is due, not how many requests are open. For each, the
pure ``decide`` says what step is due; the steps due for one addressee go out
together (one email, or a digest), inside the recipient's working hours and
not sooner than the policy's gap after the last automated email to them.
Everything the pass writes for one addressee is one transaction: the message,
its outbox items (unique per request and step, so a step goes out once however
many planners run), the requests' next times and the audit events.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, db
from ..config import Settings
from ..model import AuditEvent, Direction, Message, OutboxItem, Request, RequestStatus, utcnow
from ..policy.calendar import calendar_for, next_send_time, plan_note
from ..policy.ladder import Policy, PolicyError, load_policy
from ..policy.plan import Decision, RequestState, after_sending, decide
from . import problems
from .letters import Letter, addressees, write_letter

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class PlanResult:
    queued: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    looked_at: int = 0


def policy_for(settings: Settings) -> Policy:
    return load_policy(settings.policy_file)


def plan(settings: Settings, *, now: datetime | None = None, policy: Policy | None = None) -> PlanResult:
    """One planning pass. Idempotent: a step already in the outbox is never written twice."""
    now = now or utcnow()
    result = PlanResult()
    try:
        policy = policy or policy_for(settings)
    except PolicyError as exc:
        with db.session() as s:
            problems.report(s, "policy", "policy", str(exc))
        result.problems.append(str(exc))
        return result
    with db.session() as s:
        problems.resolve(s, "policy")
        _notice_policy_change(s, policy, now)
    due_ids = _due(now)
    result.looked_at = len(due_ids)
    for start in range(0, len(due_ids), 200):
        _plan_batch(settings, policy, due_ids[start:start + 200], now, result)
    return result


def _notice_policy_change(s, policy: Policy, now: datetime) -> None:
    """A changed policy (a holiday added, a step moved) replans every open request at this pass."""
    fingerprint = hashlib.sha256(repr(policy).encode()).hexdigest()[:16]
    last = s.scalar(
        select(AuditEvent.payload).where(AuditEvent.action == "policy.applied").order_by(AuditEvent.seq.desc()).limit(1)
    )
    if last is not None and json.loads(last)["data"].get("fingerprint") == fingerprint:
        return
    replanned = 0
    if last is not None:  # the first policy ever applied has nothing to replan
        replanned = s.execute(
            update(Request)
            .where(Request.status == RequestStatus.OPEN.value, Request.paused.is_(False))
            .values(next_action_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    audit.record(s, "policy.applied", subject_type="policy", subject_id=fingerprint,
                 fingerprint=fingerprint, replanned=replanned)


def _due(now: datetime) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Request.id)
                .where(Request.status == RequestStatus.OPEN.value, Request.next_action_at <= now)
                .order_by(Request.next_action_at)
                .limit(BATCH)
            )
        )


def _facts(s, ids: list[int]) -> tuple[dict[int, set[str]], dict[int, datetime], dict[int, datetime]]:
    done: dict[int, set[str]] = defaultdict(set)
    for rid, step in s.execute(select(OutboxItem.request_id, OutboxItem.step).where(OutboxItem.request_id.in_(ids))):
        done[rid].add(step)
    sent = dict(
        s.execute(
            select(OutboxItem.request_id, func.max(OutboxItem.created_at))
            .where(OutboxItem.request_id.in_(ids), ~OutboxItem.step.startswith("receipt"))
            .group_by(OutboxItem.request_id)
        ).all()
    )
    replied = dict(
        s.execute(
            select(Message.request_id, func.max(Message.created_at))
            .where(Message.request_id.in_(ids), Message.direction == Direction.IN.value, Message.kind == "reply")
            .group_by(Message.request_id)
        ).all()
    )
    return done, sent, replied


def _state_of(r: Request, done, sent, replied) -> RequestState:
    return RequestState(
        id=r.id, kind=r.kind, status=r.status, opened=r.created_at.date(), due=r.due_date,
        done=frozenset(done.get(r.id, ())), paused=r.paused, snoozed_until=r.snoozed_until,
        hold_until=r.hold_until, last_sent_at=sent.get(r.id), replied_at=replied.get(r.id),
    )


def _ladder_kind(r: Request) -> str:
    return "appoint_focal_point" if r.purpose == "appoint" else r.kind


def _plan_batch(settings: Settings, policy: Policy, ids: list[int], now: datetime, result: PlanResult) -> None:
    groups: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    with db.session() as s:
        done, sent, replied = _facts(s, ids)
        for r in s.scalars(select(Request).where(Request.id.in_(ids))):
            try:
                ladder = policy.ladder(_ladder_kind(r))
            except PolicyError as exc:
                problems.report(s, f"request:{r.id}:ladder", "request", f"{r.tag} {r.state_code}: {exc}")
                r.next_action_at = None
                continue
            state = _state_of(r, done, sent, replied)
            decision = decide(state, ladder, now.date())
            if decision.send is None:
                _hold(s, r, decision, policy, now)
                continue
            to, cc = addressees(s, r, decision.send)
            if not to:
                problems.report(s, f"request:{r.id}:recipient", "request",
                                f"{r.tag} {r.state_code}: no contact with a working email address")
                r.next_action_at = now + timedelta(days=1)
                continue
            problems.resolve(s, f"request:{r.id}:recipient")
            key = (tuple(a.email for a in to), decision.send.escalate)
            groups[key].append((r.id, decision.send.name))
    for (_emails, _escalate), items in groups.items():
        try:
            mid = _send_group(settings, policy, items, now)
        except Exception as exc:  # one bad letter must not stop the pass
            log.exception("cannot write the letter for requests %s", [rid for rid, _ in items])
            result.problems.append(f"requests {[rid for rid, _ in items]}: {exc}")
            continue
        if mid:
            result.queued.append(mid)


def _hold(s, r: Request, decision: Decision, policy: Policy, now: datetime) -> None:
    """Nothing to send now: note when to look again and why."""
    if decision.held == "replied" and not r.paused:
        r.paused = True
        audit.record(s, "request.paused", r, reason="reply received")
    if decision.look_again is None:
        r.next_action_at, r.next_step = None, None
        r.plan_note = plan_note(step=None, held=decision.held)
        return
    earliest = max(now, datetime.combine(decision.look_again, time(0), UTC))
    at, reasons = _calendar(r, policy, earliest)
    step = decision.next_step
    r.next_action_at, r.next_step = at, step.name if step else None
    r.plan_note = plan_note(
        step=r.next_step, step_date=decision.step_date, step_days=step.days if step else None,
        earliest=earliest, at=at, timezone=r.state.timezone, reasons=reasons,
        held=decision.held, until=_held_until(r, decision.held),
    )


def _held_until(r: Request, held: str | None) -> date | None:
    return {"snoozed": r.snoozed_until, "away": r.hold_until}.get(held or "")


def _calendar(r: Request, policy: Policy, earliest: datetime):
    try:
        cal = calendar_for(r.state.timezone, r.state.weekend, policy.sending)
    except ValueError:
        cal = calendar_for("UTC", "sat,sun", policy.sending)
    return next_send_time(cal, earliest)


def _send_group(settings: Settings, policy: Policy, items: list[tuple[int, str]], now: datetime) -> int | None:
    """Write one letter for the steps due to one addressee, unless the calendar or the gap says later."""
    with db.session() as s:
        requests = [s.get(Request, rid) for rid, _ in items]
        first = requests[0]
        steps = [policy.ladder(_ladder_kind(r)).step(name) for r, (_, name) in zip(requests, items, strict=True)]
        to, cc = addressees(s, first, steps[0])
        contact = to[0].contact
        earliest = now
        gap = None
        if contact is not None and contact.last_automated_at and policy.sending.min_days_between:
            gap = contact.last_automated_at + timedelta(days=policy.sending.min_days_between)
            earliest = max(earliest, gap)
        at, reasons = _calendar(first, policy, earliest)
        if at > now + timedelta(seconds=1):
            held = "gap" if gap and gap > now else None
            for r, step in zip(requests, steps, strict=True):
                r.next_action_at, r.next_step = at, step.name
                r.plan_note = plan_note(
                    step=step.name, step_days=step.days, earliest=earliest, at=at, timezone=r.state.timezone,
                    reasons=reasons, held=held, until=gap if held else None,
                    days=policy.sending.min_days_between if held else None,
                )
            return None
        if not policy.sending.digest:
            requests, steps = requests[:1], steps[:1]
        letter = Letter(requests=requests, steps=steps, to=to, cc=cc)
        try:
            with s.begin_nested():
                row = write_letter(s, settings, letter, now=now)
        except IntegrityError:
            return None  # another planner wrote one of these steps first
        if contact is not None:
            contact.last_automated_at = now
        for r, step in zip(requests, steps, strict=True):
            ladder = policy.ladder(_ladder_kind(r))
            if step.escalate and r.escalated_at is None:
                r.escalated_at = now
                audit.record(s, "request.escalated", r, step=step.name)
            following = after_sending(RequestState(r.id, r.kind, r.status, r.created_at.date(), r.due_date), step, ladder)
            if following is None:
                r.next_action_at, r.next_step, r.plan_note = None, None, plan_note(step=None)
                continue
            nxt, on = following
            earliest = max(datetime.combine(on, time(0), UTC), now)
            at, reasons = _calendar(r, policy, earliest)
            r.next_action_at, r.next_step = at, nxt.name
            r.plan_note = plan_note(
                step=nxt.name, step_date=on, step_days=nxt.days, earliest=earliest, at=at,
                timezone=r.state.timezone, reasons=reasons,
            )
        return row.id
