"""The outbox through a real Celery worker process on Redis and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot import audit, db
from bot.app import create_app
from bot.model import Message
from tests import factories
from tests.conftest import make_settings

from .conftest import focalbot_env, send_task, wait_until


def _setup(tmp_path, pg_url, redis_url, smtp_server):
    env = focalbot_env(
        tmp_path, DATABASE_URL=pg_url, CELERY_BROKER_URL=redis_url, SMTP_URL=smtp_server.url
    )
    settings = make_settings(
        tmp_path, DATABASE_URL=pg_url, SMTP_URL=smtp_server.url, CELERY_BROKER_URL=redis_url
    )
    app = create_app(settings)
    return env, settings, app


def test_the_planner_task_sends_through_the_worker(
    tmp_path, pg_url, redis_url, smtp_server, worker_factory
):
    env, settings, app = _setup(tmp_path, pg_url, redis_url, smtp_server)
    with app.app_context(), db.session() as s:
        factories.focal_point(s, "RU")
        rid = factories.request(s, "RU").id
    worker_factory(env)
    send_task(redis_url, "tasks.jobs.plan")
    smtp_server.wait_for(1)
    assert smtp_server.messages[0].message["Content-Language"] == "ru"

    def sent() -> bool:
        with db.session() as s:
            return (
                s.scalars(select(Message.delivery).where(Message.request_id == rid)).one() == "sent"
            )

    wait_until(sent, what="the outbox row to be marked sent")
    with db.session() as s:
        assert audit.verify(s).ok


def test_the_sweeper_sends_what_a_lost_task_left_in_the_outbox(
    tmp_path, pg_url, redis_url, smtp_server, worker_factory
):
    from bot import service

    env, settings, app = _setup(tmp_path, pg_url, redis_url, smtp_server)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "MX")
            factories.request(s, "MX")
        queued = service.plan(
            settings
        ).queued  # written to the outbox, no task queued: as if it were lost
    assert len(queued) == 1
    worker_factory(env)
    send_task(redis_url, "tasks.jobs.sweep")
    smtp_server.wait_for(1)
    send_task(redis_url, "tasks.jobs.sweep")  # a second sweep finds nothing left to send
    send_task(redis_url, "tasks.jobs.plan")
    import time

    time.sleep(2)
    assert len(smtp_server.messages) == 1


def test_the_embedded_defaults_send_through_a_worker_on_sqlite(tmp_path, worker_factory):
    """No servers at all: SQLite database, kombu's SQLAlchemy transport on SQLite, the local
    outbox."""
    from bot.migrate import upgrade

    env = focalbot_env(tmp_path)
    settings = make_settings(tmp_path)
    assert settings.broker_url.startswith("sqla+sqlite:///") and settings.smtp is None
    app = create_app(settings)
    upgrade(db.engine())
    with app.app_context(), db.session() as s:
        factories.focal_point(s, "EG")
        factories.request(s, "EG")
    worker_factory(env)
    send_task(settings.broker_url, "tasks.jobs.plan")
    wait_until(
        lambda: len(list(settings.local_outbox.glob("*.eml"))) == 1,
        what="an .eml in the local outbox",
    )
