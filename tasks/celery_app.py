"""The Celery application and its beat schedule.

Start a worker with ``celery -A tasks.celery_app worker`` and the scheduler
with ``celery -A tasks.celery_app beat`` (``focalbot run`` starts both on the
embedded defaults). Settings come from the environment, as for the web app.
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

from bot import config as configuration
from bot import logs

settings = configuration.load()
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
    beat_schedule={
        "plan": {"task": "tasks.jobs.plan", "schedule": settings.plan_interval},
        "poll": {"task": "tasks.jobs.poll", "schedule": settings.poll_interval},
        "sweep": {"task": "tasks.jobs.sweep", "schedule": settings.sweep_interval},
        "housekeeping": {"task": "tasks.jobs.housekeeping", "schedule": 3600.0},
    },
)
if settings.broker_url.startswith(("redis://", "rediss://")):
    # Tasks are short; an unacknowledged one is redelivered after an hour.
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
else:
    # kombu's SQLAlchemy transport polls its table; it passes no options to the engine.
    app.conf.broker_transport_options = {}


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
