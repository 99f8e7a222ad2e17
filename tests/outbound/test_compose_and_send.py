
"""Planning, composing and sending, against a real SMTP server (aiosmtpd)."""

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from bot import audit, db, service
from bot.model import Message, Problem, utcnow
from tests import factories
from tests.conftest import make_settings

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _smtp_app(tmp_path, settings, smtp_server):
    from bot.app import create_app

    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, SMTP_URL=smtp_server.url)
    return create_app(s), s


def test_it_sends_the_request_in_the_contacts_language(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            req = factories.request(ss, "FR", due=date(2027, 1, 15))
            rid, token = req.id, req.token
        result = service.tick(s)
    assert len(result.plan.queued) == 1 and result.sent == 1
    (received,) = smtp_server.messages
    msg = received.message
    assert msg["Subject"].startswith(f"[FB-{rid}]")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "RN, NRN, AutoReply"
    assert msg["Content-Language"] == "fr"
    assert msg["Reply-To"] == f"replies+{token.lower()}@secretariat.example.org"
    assert received.mail_from == f"bounces+{token.lower()}@secretariat.example.org"
    assert received.rcpt_tos == ["fp.fr@example.org"]
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = msg.get_body(("plain",)).get_content()
    links = [line for line in text.splitlines() if line.startswith("http://bot.example.org/f/")]
    assert len(links[0]) == len("http://bot.example.org/f/") + 17 and token not in links[0]
    assert all(len(line) <= 78 for line in text.splitlines())
    html = msg.get_body(("html",)).get_content()
    assert 'lang="fr"' in html and "<img" not in html and "<script" not in html
    assert len(received.data) < 8 * 1024
    with app.app_context(), db.session() as ss:
        row = ss.scalars(select(Message).where(Message.request_id == rid)).one()
        assert row.delivery == "sent" and "queued as" in row.smtp_response
        assert row.message_id == msg["Message-ID"]
        assert audit.verify(ss).ok


def test_arabic_mail_is_right_to_left(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "EG")
            factories.request(ss, "EG")
        service.tick(s)
    msg = smtp_server.messages[0].message
    assert msg["Content-Language"] == "ar"
    assert 'dir="rtl"' in msg.get_body(("html",)).get_content()


def test_a_second_tick_sends_nothing_new(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        service.tick(s)
        again = service.tick(s)
    assert again.plan.queued == [] and again.sent == 0
    assert len(smtp_server.messages) == 1


def test_a_refusal_is_retried_with_the_same_message_id(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    smtp_server.refuse_with = (451, "4.3.0 try again later")
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        first = service.tick(s)
        assert first.retried == 1 and smtp_server.messages == []
        with db.session() as ss:
            row = ss.scalars(select(Message)).one()
            assert row.delivery == "retry" and "451" in row.error
            mid = row.message_id
        smtp_server.refuse_with = None
        from bot.model import utcnow

        later = service.send_due(s, now=utcnow() + timedelta(minutes=5))
    assert [r.outcome for r in later] == ["sent"]
    assert smtp_server.messages[0].message["Message-ID"] == mid


def test_a_permanent_refusal_is_recorded_and_not_retried(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    smtp_server.refuse_with = (550, "5.1.1 mailbox unavailable")
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        assert service.tick(s).failed == 1
        with db.session() as ss:
            row = ss.scalars(select(Message)).one()
            assert row.delivery == "failed" and "550" in row.error
        assert service.send_due(s) == []


def test_a_stopped_smtp_server_delays_and_loses_nothing(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    smtp_server.stop()
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        assert service.tick(s).retried == 1
        smtp_server.start()
        from bot.model import utcnow

        assert [r.outcome for r in service.send_due(s, now=utcnow() + timedelta(minutes=5))] == [
            "sent"
        ]
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_dead_sender_is_sent_again_with_the_same_id(
    tmp_path, settings, smtp_server
):
    from bot.model import utcnow
    from bot.outbound import outbox

    app, s = _smtp_app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        queued = service.plan(s).queued
        with db.session() as ss:  # a sender claimed it, then its process died
            assert outbox._claim(ss, [queued[0]], utcnow()) == [queued[0]]
        assert service.send_due(s) == []  # not stale yet
        results = service.send_due(s, now=utcnow() + outbox.STALE_CLAIM + timedelta(seconds=1))
    assert [r.outcome for r in results] == ["sent"]
    with app.app_context(), db.session() as ss:
        row = ss.get(Message, queued[0])
        assert row.attempts == 2 and row.delivery == "sent"


def test_no_contact_is_a_problem_not_a_crash(tmp_path, settings, smtp_server):
    app, s = _smtp_app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.request(ss, "KE")
        result = service.plan(s)
        again = service.plan(s, now=utcnow() + timedelta(days=2))
        with db.session() as ss:
            (problem,) = ss.scalars(select(Problem)).all()
    assert result.queued == [] == again.queued
    assert (
        "no contact with a working email address" in problem.message and problem.resolved_at is None
    )


def test_the_local_outbox_writes_eml_files(app, settings):
    with db.session() as ss:
        factories.focal_point(ss, "CN")
        factories.request(ss, "CN")
    result = service.tick(settings)
    assert result.sent == 1
    (path,) = settings.local_outbox.glob("*.eml")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["Content-Language"] == "zh"
