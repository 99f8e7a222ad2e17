"""One planning pass, decided without writing: what is sent now, to whom, and when
to look again at the rest.

``decide_pass`` is the planner's whole decision. ``plan`` applies it (writes the
letters and the requests' next times); ``plan --dry-run`` runs it over a copy
of the facts, day after day, and lists the letters, so the forecast is the plan.
For each request the pure ``decide`` says which step is due; the addressees
are chosen (passing over invalid addresses); the steps due to one addressee
go out together (one letter, or a digest) inside the recipient's working
hours and not sooner than the policy's gap after the last automated email to
them. Nothing here writes to the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import kinds
from ..model import Contact, Direction, Message, MessageLink, OutboxItem, Request
from ..policy.calendar import Reason, calendar_for, next_send_time, plan_note
from ..policy.ladder import Ladder, Policy, PolicyError, Step
from ..policy.plan import Decision, RequestState, after_sending, decide
from .letters import Addressee, choose_addressees

RECEIPT = "receipt"


@dataclass
class Facts:
    """What the outbox and the mailbox say about the requests of a pass."""

    done: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # steps gone out
    sent: dict[int, datetime] = field(default_factory=dict)  # the latest letter
    replied: dict[int, datetime] = field(default_factory=dict)  # the latest reply by a person
    last_automated: dict[int, datetime] = field(default_factory=dict)  # per contact id


def load_facts(s: Session, ids: list[int]) -> Facts:
    facts = Facts()
    for rid, step in s.execute(
        select(OutboxItem.request_id, OutboxItem.step).where(OutboxItem.request_id.in_(ids))
    ):
        facts.done[rid].add(step)
    facts.sent = {
        rid: at
        for rid, at in s.execute(
            select(OutboxItem.request_id, func.max(OutboxItem.created_at))
            .where(
                OutboxItem.request_id.in_(ids),
                ~OutboxItem.step.startswith(RECEIPT),
                ~OutboxItem.step.contains("~"),
            )
            .group_by(OutboxItem.request_id)
        )
    }
    replies = (Message.direction == Direction.IN.value, Message.kind == "reply")
    for rid, at in [
        *s.execute(
            select(Message.request_id, func.max(Message.created_at))
            .where(Message.request_id.in_(ids), *replies)
            .group_by(Message.request_id)
        ),
        *s.execute(  # a reply to a digest, filed under several requests
            select(MessageLink.request_id, func.max(Message.created_at))
            .join(Message, Message.id == MessageLink.message_id)
            .where(MessageLink.request_id.in_(ids), *replies)
            .group_by(MessageLink.request_id)
        ),
    ]:
        if rid is not None and (rid not in facts.replied or at > facts.replied[rid]):
            facts.replied[rid] = at
    return facts


@dataclass
class Later:
    """Nothing is sent now for a request: when to look again, and why (``plan_note``)."""

    at: datetime | None
    step: str | None
    note: str | None


@dataclass
class Draft:
    """A letter to write now: the steps due to one addressee."""

    requests: list[Request]
    steps: list[Step]
    to: list[Addressee]
    cc: list[Addressee]


@dataclass
class PassDecision:
    drafts: list[Draft] = field(default_factory=list)
    later: dict[int, Later] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # key, area, message
    resolved: list[str] = field(default_factory=list)  # problem keys that no longer hold
    invalid: list[tuple[Contact, str]] = field(default_factory=list)  # addresses found invalid


def ladder_kind(r: Request) -> str:
    """The ladder in the policy file that the request's kind names."""
    return kinds.for_request(r).ladder


def state_of(r: Request, facts: Facts) -> RequestState:
    return RequestState(
        id=r.id,
        kind=r.kind,
        status=r.status,
        opened=r.created_at.date(),
        due=r.due_date,
        done=frozenset(facts.done.get(r.id, ())),
        paused=r.paused,
        snoozed_until=r.snoozed_until,
        hold_until=r.hold_until,
        last_sent_at=facts.sent.get(r.id),
        replied_at=facts.replied.get(r.id),
        escalated=r.escalated_at is not None,
    )


def calendar_time(r: Request, policy: Policy, earliest: datetime) -> tuple[datetime, list[Reason]]:
    try:
        cal = calendar_for(r.state.timezone, r.state.weekend, policy.sending)
    except ValueError:
        cal = calendar_for("UTC", "sat,sun", policy.sending)
    return next_send_time(cal, earliest)


def _held_until(r: Request, held: str | None) -> date | None:
    return {"snoozed": r.snoozed_until, "away": r.hold_until}.get(held or "")


def _later(r: Request, decision: Decision, policy: Policy, now: datetime) -> Later:
    if decision.look_again is None:
        return Later(None, None, plan_note(step=None, held=decision.held))
    earliest = max(now, datetime.combine(decision.look_again, time(0), UTC))
    at, reasons = calendar_time(r, policy, earliest)
    step = decision.next_step
    note = plan_note(
        step=step.name if step else None,
        step_date=decision.step_date,
        step_days=step.days if step else None,
        earliest=earliest,
        at=at,
        timezone=r.state.timezone,
        reasons=reasons,
        held=decision.held,
        until=_held_until(r, decision.held),
    )
    return Later(at, step.name if step else None, note)


def after_letter(r: Request, step: Step, ladder: Ladder, policy: Policy, now: datetime) -> Later:
    """When to look at ``r`` again once ``step`` has been written."""
    state = RequestState(r.id, r.kind, r.status, r.created_at.date(), r.due_date)
    following = after_sending(state, step, ladder)
    if following is None:
        return Later(None, None, plan_note(step=None))
    nxt, on = following
    earliest = max(datetime.combine(on, time(0), UTC), now)
    at, reasons = calendar_time(r, policy, earliest)
    return Later(
        at,
        nxt.name,
        plan_note(
            step=nxt.name,
            step_date=on,
            step_days=nxt.days,
            earliest=earliest,
            at=at,
            timezone=r.state.timezone,
            reasons=reasons,
        ),
    )


def decide_pass(
    s: Session, requests: list[Request], facts: Facts, policy: Policy, now: datetime
) -> PassDecision:
    """The planner's decision for the requests whose next action has come."""
    out = PassDecision()
    groups: dict[tuple, list[tuple[Request, Step, list[Addressee], list[Addressee]]]] = {}
    for r in requests:
        try:
            ladder = policy.ladder(ladder_kind(r))
        except PolicyError as exc:
            out.problems.append(
                (f"request:{r.id}:ladder", "request", f"{r.tag} {r.state_code}: {exc}")
            )
            out.later[r.id] = Later(None, None, plan_note(step=None))
            continue
        decision = decide(state_of(r, facts), ladder, now.date())
        if decision.send is None:
            out.later[r.id] = _later(r, decision, policy, now)
            continue
        to, cc, invalid = choose_addressees(s, r, decision.send)
        out.invalid += [pair for pair in invalid if pair[0] not in {c for c, _ in out.invalid}]
        if not to:
            out.problems.append(
                (
                    f"request:{r.id}:recipient",
                    "request",
                    f"{r.tag} {r.state_code}: no contact with a working email address",
                )
            )
            out.later[r.id] = Later(now + timedelta(days=1), decision.send.name, r.plan_note)
            continue
        out.resolved.append(f"request:{r.id}:recipient")
        key = (tuple(a.email for a in to), decision.send.escalate)
        groups.setdefault(key, []).append((r, decision.send, to, cc))
    for items in groups.values():
        _group(items, facts, policy, now, out)
    return out


def _group(items, facts: Facts, policy: Policy, now: datetime, out: PassDecision) -> None:
    """One addressee's due steps: a letter now, or all of them later (calendar, gap)."""
    first, _, to, cc = items[0]
    contact = to[0].contact
    earliest, gap = now, None
    last = None
    if contact is not None:
        last = facts.last_automated.get(contact.id, contact.last_automated_at)
    if last is not None and policy.sending.min_days_between:
        gap = last + timedelta(days=policy.sending.min_days_between)
        earliest = max(earliest, gap)
    at, reasons = calendar_time(first, policy, earliest)
    if at > now + timedelta(seconds=1):
        held = "gap" if gap and gap > now else None
        for r, step, _to, _cc in items:
            out.later[r.id] = Later(
                at,
                step.name,
                plan_note(
                    step=step.name,
                    step_days=step.days,
                    earliest=earliest,
                    at=at,
                    timezone=r.state.timezone,
                    reasons=reasons,
                    held=held,
                    until=gap if held else None,
                    days=policy.sending.min_days_between if held else None,
                ),
            )
        return
    if not policy.sending.digest:
        items = items[:1]  # the others stay due and go out at the next passes
    out.drafts.append(Draft([r for r, *_ in items], [step for _, step, *_ in items], to, cc))
