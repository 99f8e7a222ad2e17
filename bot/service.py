"""The operations that tasks and commands run: plan, send, sweep, poll, tick.

Each is a plain function over the settings; Celery tasks and the ``focalbot``
command are thin wrappers around them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .config import Settings
from .model import utcnow
from .outbound import outbox
from .outbound.planner import PlanResult, plan
from .outbound.senders import sender_for

log = logging.getLogger(__name__)


def send_one(settings: Settings, message_id: int) -> outbox.DeliveryResult:
    return outbox.deliver(message_id, sender_for(settings), settings.mail_domain)


def send_due(settings: Settings, *, now: datetime | None = None) -> list[outbox.DeliveryResult]:
    """Send everything that is due from the outbox, in this process, over one connection per
    batch."""
    sender = sender_for(settings)
    results: list[outbox.DeliveryResult] = []
    tried: set[int] = set()
    while True:
        ids = [i for i in sweep(settings, now) if i not in tried]
        if not ids:
            return results
        tried.update(ids)
        results += outbox.deliver_batch(ids, sender, settings.mail_domain, now=now)


def sweep(settings: Settings, now: datetime | None = None) -> list[int]:
    """Reclaim rows left claimed by a sender that died; return the ids due to be sent."""
    return outbox.sweep(now, timedelta(seconds=settings.send_claim_timeout))


def housekeeping(settings: Settings, *, now: datetime | None = None) -> list[int]:
    """Open the requests the policy calls for (recurring updates, missing focal points)."""
    from .outbound.housekeeping import open_recurring
    from .outbound.planner import policy_for

    return open_recurring(policy_for(settings), now=now)


def audit_checkpoint(settings: Settings):
    """Write the audit log's signed head to AUDIT_CHECKPOINT_DIR (and mail it to
    AUDIT_CHECKPOINT_TO); raises CheckpointRefused when the chain does not verify."""
    from . import db
    from .audit_checkpoint import write

    with db.session() as s:
        return write(s, settings)


def poll(settings: Settings):
    from .inbound.poll import poll as poll_mailbox

    return poll_mailbox(settings)


@dataclass
class TickResult:
    plan: PlanResult
    sent: int = 0
    retried: int = 0
    failed: int = 0
    poll: object = None
    problems: list[str] = field(default_factory=list)


def tick(settings: Settings, *, now: datetime | None = None) -> TickResult:
    """One planning pass, sending what is due, and one mailbox poll, in the foreground."""
    now = now or utcnow()
    try:
        housekeeping(settings, now=now)
    except ValueError as exc:  # a policy error: plan() reports it as a problem
        log.warning("housekeeping: %s", exc)
    result = TickResult(plan=plan(settings, now=now))
    for r in send_due(settings, now=now):
        if r.outcome == "sent":
            result.sent += 1
        elif r.outcome == "retry":
            result.retried += 1
            result.problems.append(f"message {r.message_id}: {r.detail}")
        elif r.outcome == "failed":
            result.failed += 1
            result.problems.append(f"message {r.message_id}: {r.detail}")
    result.poll = poll(settings)
    return result
