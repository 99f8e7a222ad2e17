"""The planner: one pass over the requests whose next action has come, writing to the outbox.

A request's ``next_action_at`` says when the planner should look at it again;
the pass reads only the requests whose time has come (an indexed range), so
its cost follows what is due, not how many requests are open. What to do with
them is ``choose.decide_pass`` (which ``plan --dry-run`` runs too); this module
applies it. Everything the pass writes for one addressee is one transaction:
the message, its outbox items (unique per request and step, so a step goes out
once however many planners run), the requests' next times and the audit events.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit, db, requests
from ..config import Settings
from ..model import AuditEvent, Direction, Message, Request, RequestStatus, State, utcnow
from ..policy.ladder import Policy, PolicyError, load_policy
from . import problems
from .choose import Draft, Later, after_letter, decide_pass, ladder_kind, load_facts
from .letters import Letter, mark_invalid, write_letter

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class PlanResult:
    queued: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    looked_at: int = 0


def policy_for(settings: Settings) -> Policy:
    return load_policy(settings.policy_file)


def plan(
    settings: Settings, *, now: datetime | None = None, policy: Policy | None = None
) -> PlanResult:
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
        _plan_batch(settings, policy, due_ids[start : start + 200], now, result)
    return result


def _notice_policy_change(s, policy: Policy, now: datetime) -> None:
    """A changed policy (a holiday added, a step moved) replans every open request at this pass."""
    fingerprint = policy.fingerprint()
    last = s.scalar(
        select(AuditEvent.payload)
        .where(AuditEvent.action == "policy.applied")
        .order_by(AuditEvent.seq.desc())
        .limit(1)
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
    audit.record(
        s,
        "policy.applied",
        subject_type="policy",
        subject_id=fingerprint,
        fingerprint=fingerprint,
        replanned=replanned,
    )


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


def _plan_batch(
    settings: Settings, policy: Policy, ids: list[int], now: datetime, result: PlanResult
) -> None:
    """Decide for a batch of due requests and write its letters, in one transaction.

    The letters are written together and flushed once; should any of them fail (one
    that cannot be composed, a step another planner wrote first), they are written
    again each in a savepoint of its own, so that the one that fails is the only one lost.
    """
    with db.session() as s:
        batch = list(s.scalars(_load(ids)))
        facts = load_facts(s, ids)
        decision = decide_pass(s, batch, facts, policy, now)
        for contact, reason in decision.invalid:
            mark_invalid(s, contact, reason)
        for key, area, message in decision.problems:
            problems.report(s, key, area, message)
        problems.resolve_many(s, decision.resolved)
        for r in batch:
            later = decision.later.get(r.id)
            if later is not None:
                _apply_later(s, r, later)
        previous = _previous(s, [d.requests[0].id for d in decision.drafts if len(d.requests) == 1])
        entries: list[audit.Entry] = []
        try:
            with s.begin_nested():
                rows = []
                for draft in decision.drafts:
                    row, written = _write(s, settings, policy, draft, now, previous, flush=False)
                    rows.append(row)
                    entries += written
                s.flush()
            result.queued += [row.id for row in rows]
        except Exception:  # each letter again on its own, below
            entries = []
            for draft in decision.drafts:
                entries += _write_alone(s, settings, policy, draft, now, previous, result)
        audit.record_many(s, entries)


def _write_alone(
    s,
    settings: Settings,
    policy: Policy,
    draft: Draft,
    now: datetime,
    previous: dict[int, list[str]],
    result: PlanResult,
) -> list[audit.Entry]:
    """Write one letter in a savepoint of its own: when it fails, it is the only one lost."""
    rids = [r.id for r in draft.requests]
    try:
        with s.begin_nested():
            row, written = _write(s, settings, policy, draft, now, previous)
    except IntegrityError:
        return []  # another planner wrote one of these steps first
    except Exception as exc:  # one bad letter must not stop the pass
        log.exception("cannot write the letter for requests %s", rids)
        result.problems.append(f"requests {rids}: {exc}")
        return []
    result.queued.append(row.id)
    return written


def _load(ids: list[int]):
    """The batch's requests with their States' contacts, locked until the batch commits.

    The lock keeps the batch's reads consistent: whatever changes a request's letters (a
    bounce releasing a step and marking the address, a reply) updates the request in the
    same transaction, so it is seen either wholly before the batch or wholly after it,
    never the freed step with the address still marked good.
    """
    return (
        select(Request)
        .where(Request.id.in_(ids))
        .options(
            selectinload(Request.state).selectinload(State.contacts),
            selectinload(Request.contact),
            selectinload(Request.instrument),
        )
        .order_by(Request.next_action_at, Request.id)
        .with_for_update(of=Request)
    )


def _previous(s, ids: list[int]) -> dict[int, list[str]]:
    """The Message-IDs already sent for each request, oldest first (a letter's References)."""
    out: dict[int, list[str]] = {rid: [] for rid in ids}
    if ids:
        for rid, mid in s.execute(
            select(Message.request_id, Message.message_id)
            .where(
                Message.request_id.in_(ids),
                Message.direction == Direction.OUT.value,
                Message.message_id.is_not(None),
            )
            .order_by(Message.id)
        ):
            out[rid].append(mid)
    return out


def _apply_later(s, r: Request, later: Later) -> None:
    r.next_action_at, r.next_step, r.plan_note = later.at, later.step, later.note


def _write(
    s,
    settings: Settings,
    policy: Policy,
    draft: Draft,
    now: datetime,
    previous: dict[int, list[str]],
    *,
    flush: bool = True,
) -> tuple[Message, list[audit.Entry]]:
    """Write one drafted letter and move its requests to their next step (``flush``: now,
    or with the caller's next flush)."""
    letter = Letter(requests=draft.requests, steps=draft.steps, to=draft.to, cc=draft.cc)
    entries: list[audit.Entry] = []
    row = write_letter(
        s,
        settings,
        letter,
        now=now,
        previous=previous.get(draft.requests[0].id, []),
        entries=entries,
        flush=flush,
    )
    addressee = draft.to[0].contact
    if addressee is not None:
        addressee.last_automated_at = now
    for r, step in zip(draft.requests, draft.steps, strict=True):
        if step.escalate:
            requests.escalate(s, r, actor="planner", step=step.name)
        _apply_later(s, r, after_letter(r, step, policy.ladder(ladder_kind(r)), policy, now))
    return row, entries
