"""Faults against the real servers: two planners at once, a worker killed mid-batch.

After each, every due email has been delivered exactly once by Message-ID (a
resend after a crash carries the same Message-ID, which receivers drop), and
the audit chain verifies.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from bot import audit, db, service
from bot.app import create_app
from bot.model import Contact, Message, OutboxItem, utcnow
from tests import factories
from tests.conftest import make_settings

from .conftest import focalbot_env, send_task, wait_until


def _many_requests(n: int) -> None:
    with db.session() as s:
        factories.instrument(s)
        factories.directory_updates(s, "FR", n)


def _delivered_once(smtp_server) -> set[str | None]:
    with db.session() as s:
        rows = s.scalars(select(Message).where(Message.direction == "out")).all()
        assert all(m.delivery == "sent" for m in rows), [(m.id, m.delivery, m.error) for m in rows]
        ids = {m.message_id for m in rows}
        assert audit.verify(s).ok
    received = smtp_server.by_message_id()
    assert set(received) == ids  # nothing lost, nothing extra
    for copies in received.values():  # a copy is the same message sent again, never a second letter
        assert len({c.data for c in copies}) == 1
    return ids


def test_two_planners_at_once_write_each_step_once(tmp_path, pg_url, smtp_server):
    settings = make_settings(tmp_path, DATABASE_URL=pg_url, SMTP_URL=smtp_server.url)
    app = create_app(settings)
    with app.app_context():
        _many_requests(30)
        now = utcnow()
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def planner() -> None:
            try:
                with app.app_context():
                    barrier.wait()
                    service.plan(settings, now=now)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=planner) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        with db.session() as s:
            assert len(s.scalars(select(OutboxItem)).all()) == 30
        service.send_due(settings)
        assert len(_delivered_once(smtp_server)) == 30


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    tmp_path, pg_url, redis_url, smtp_server, worker_factory
):
    env = focalbot_env(
        tmp_path,
        DATABASE_URL=pg_url,
        CELERY_BROKER_URL=redis_url,
        SMTP_URL=smtp_server.url,
        SEND_CLAIM_TIMEOUT="2",
    )
    settings = make_settings(tmp_path, DATABASE_URL=pg_url, SMTP_URL=smtp_server.url)
    app = create_app(settings)
    with app.app_context():
        _many_requests(20)
    smtp_server.delay = 0.15
    worker = worker_factory(env)
    send_task(redis_url, "tasks.jobs.plan")
    smtp_server.wait_for(4)
    worker.kill()  # SIGKILL: no clean-up, a message may be half sent
    killed_at = len(smtp_server.messages)
    assert killed_at < 20
    smtp_server.delay = 0
    worker_factory(env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        send_task(redis_url, "tasks.jobs.sweep")
        with app.app_context(), db.session() as s:
            left = s.scalars(
                select(Message.id).where(Message.direction == "out", Message.delivery != "sent")
            ).all()
        if not left:
            break
        time.sleep(1)
    with app.app_context():
        wait_until(lambda: len(smtp_server.by_message_id()) == 20, what="all 20 letters")
        assert len(_delivered_once(smtp_server)) == 20


def _bounce_of(letter: Message, token: str) -> bytes:
    rcpt = letter.to_addrs[0]
    return (
        "From: MAILER-DAEMON@mx1.secretariat.example.org (Mail Delivery System)\r\n"
        f"To: bounces+{token.lower()}@secretariat.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx1.secretariat.example.org>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx1.secretariat.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"To: {rcpt}\r\nMessage-ID: {letter.message_id}\r\n--b--\r\n"
    ).encode()


def test_a_bounce_during_a_planning_pass_never_sends_the_step_again_to_the_bounced_address(
    tmp_path, pg_url, smtp_server, monkeypatch
):
    """The bounce of a letter is recorded while a planning pass that has the request due
    (for another reason) is between reading the request with its contacts and reading the
    outbox: the freed step must not go again to the address that just bounced. The
    interleaving is forced by running the bounce's ingestion from inside the pass."""
    from bot.inbound.ingest import ingest
    from bot.outbound import planner

    settings = make_settings(tmp_path, DATABASE_URL=pg_url, SMTP_URL=smtp_server.url)
    app = create_app(settings)
    with app.app_context():
        with db.session() as s:
            fp = factories.focal_point(s, "FR", email="fp.fr@example.org")
            factories.focal_point(s, "FR", role="alternate", email="alt.fr@example.org")
            r = factories.request(s, "FR")
            rid, token, fp_id = r.id, r.token, fp.id
        service.plan(settings)
        service.send_due(settings)
        with db.session() as s:
            (first,) = s.scalars(select(Message).where(Message.direction == "out")).all()
            s.get_one(type(r), rid).next_action_at = utcnow()  # due again, for its own reason
        bounce = _bounce_of(first, token)
        real = planner.load_facts

        def record_the_bounce() -> None:
            with app.app_context():
                ingest(bounce, source="test", settings=settings)

        ingestion = threading.Thread(target=record_the_bounce)

        def bounce_arrives_now(s, ids):
            ingestion.start()
            ingestion.join(timeout=3)  # waits for the pass when the pass holds the request
            return real(s, ids)

        monkeypatch.setattr(planner, "load_facts", bounce_arrives_now)
        service.plan(settings)
        ingestion.join(timeout=30)
        monkeypatch.setattr(planner, "load_facts", real)
        with db.session() as s:
            assert s.get_one(Contact, fp_id).email_status == "bouncing"
        service.plan(settings)
        service.send_due(settings)
        with db.session() as s:
            to = [m.to_addrs for m in s.scalars(select(Message).where(Message.direction == "out"))]
            assert audit.verify(s).ok
    assert to == [["fp.fr@example.org"], ["alt.fr@example.org"]]
