"""Thin tasks: load by id, call ``bot``, sort the errors. Periodic tasks are idempotent."""

from __future__ import annotations

import logging
from functools import cache

from bot import service
from bot.audit_checkpoint import CheckpointRefused
from bot.inbound.poll import PollError

from .celery_app import app, settings

log = logging.getLogger(__name__)


@cache
def flask_app():
    from bot.app import create_app

    return create_app(settings)


@app.task(name="tasks.jobs.send_message")
def send_message(message_id: int) -> str:
    with flask_app().app_context():
        return service.send_one(settings, message_id).outcome


@app.task(name="tasks.jobs.plan")
def plan() -> int:
    """Write due steps to the outbox, then hand each new row to a sender."""
    with flask_app().app_context():
        result = service.plan(settings)
    for problem in result.problems:
        log.warning("planner: %s", problem)
    for mid in result.queued:
        send_message.delay(mid)
    return len(result.queued)


@app.task(name="tasks.jobs.sweep")
def sweep() -> int:
    """Re-queue what is due and not sent (lost tasks, retries after backoff, dead workers)."""
    with flask_app().app_context():
        ids = service.sweep(settings)
    for mid in ids:
        send_message.delay(mid)
    return len(ids)


@app.task(name="tasks.jobs.poll")
def poll() -> str:
    """Read the mailbox. A failure is on the desk as a Problem, and fails the task (one line)."""
    with flask_app().app_context():
        try:
            return repr(service.poll(settings))
        except PollError as exc:  # tried again at the next beat
            log.error("mailbox poll failed: %s", exc)
            raise PollError(str(exc)) from None


@app.task(name="tasks.jobs.housekeeping")
def housekeeping() -> int:
    """Open the requests the policy calls for; the next planning pass writes their letters."""
    with flask_app().app_context():
        try:
            return len(service.housekeeping(settings))
        except ValueError:  # a policy error is reported by the planner as a problem
            log.exception("housekeeping failed")
            return 0


@app.task(name="tasks.jobs.audit_checkpoint")
def audit_checkpoint() -> str:
    """Anchor the audit log outside the database: its signed head to a file and a mailbox.
    A chain that does not verify is not anchored, and fails the task (one line)."""
    with flask_app().app_context():
        try:
            written = service.audit_checkpoint(settings)
        except CheckpointRefused as exc:
            log.error("audit checkpoint refused: %s", exc)
            raise CheckpointRefused(str(exc)) from None
    return str(written.path)
