"""The Celery application and its beat schedule.

Start a worker with ``celery -A tasks.celery_app worker`` and the scheduler
with ``celery -A tasks.celery_app beat`` (``focalbot run`` starts both on the
embedded defaults). Settings come from the environment, as for the web app.
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from bot import audit, broker
from bot import config as configuration

settings = configuration.load()
# the worker's tasks build the app, which does the same; beat writes lease events without it
audit.use_key(settings.audit_key)

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
