"""The Celery application and its beat schedule.

Start a worker with ``celery -A tasks.celery_app worker`` and the scheduler
with ``celery -A tasks.celery_app beat`` (``focalbot run`` starts both on the
embedded defaults). Settings come from the environment, as for the web app.
"""

from __future__ import annotations

import os

from celery import Celery

from bot import config as configuration

settings = configuration.load()
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
