"""The Celery application and its beat schedule.

Start a worker with ``celery -A tasks.celery_app worker`` and the scheduler
with ``celery -A tasks.celery_app beat`` (``focalbot run`` starts both on the
embedded defaults). Settings come from the environment, as for the web app.
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging, task_postrun, task_prerun

from bot import audit, broker, logs
from bot import config as configuration

settings = configuration.load()
# the worker's tasks build the app, which does the same; beat writes lease events without it
audit.use_key(settings.audit_key)
if settings.log_format == "json":  # from the first line the worker or beat writes
    logs.configure(settings.log_level, "json", kind="task")
# The worker and beat import this module first: in production mode they stop here.
configuration.refuse_unsafe_production(settings, os.environ)

app = Celery("focalbot", broker=settings.broker_url, include=["tasks.jobs"])
app.conf.update(
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_default_queue="focalbot",
    timezone="UTC",
    beat_scheduler="tasks.beat:LeaderScheduler",  # of several beats, the lease holder sends
    beat_schedule={
        "plan": {"task": "tasks.jobs.plan", "schedule": settings.plan_interval},
        "poll": {"task": "tasks.jobs.poll", "schedule": settings.poll_interval},
        "sweep": {"task": "tasks.jobs.sweep", "schedule": settings.sweep_interval},
        "housekeeping": {"task": "tasks.jobs.housekeeping", "schedule": 3600.0},
        "audit-checkpoint": {
            "task": "tasks.jobs.audit_checkpoint",
            "schedule": crontab(hour=2, minute=15),  # daily, in UTC
        },
    },
)
app.conf.broker_transport_options = broker.transport_options(settings.broker_url)


@setup_logging.connect
def _logging(loglevel=None, **_kwargs) -> None:
    """The worker's and beat's logs in LOG_FORMAT (celery leaves the root logger alone)."""
    logs.configure(settings.log_level, settings.log_format, kind="task")
    if loglevel:  # celery's --loglevel
        logging.getLogger().setLevel(loglevel)


@task_prerun.connect
def _task_started(task_id=None, **_kwargs) -> None:
    logs.task_started(task_id)


@task_postrun.connect
def _task_finished(task_id=None, **_kwargs) -> None:
    logs.task_finished(task_id)
