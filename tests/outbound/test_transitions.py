"""A letter planned for a request that changes before it is sent: nothing is sent,
and the row says why; a bounce after acceptance hands the step on at once."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from bot import audit, db, requests, service
from bot.inbound.poll import poll
from bot.model import AuditEvent, Contact, Message, OutboxItem, Request
from tests import factories
from tests.conftest import make_settings
from tests.inbound.factories import reply


def _app(tmp_path, settings, **env):
    from bot.app import create_app

    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, **env)
    return create_app(s), s


def _letter_of(s, rid: int) -> Message:
    return s.scalars(
        select(Message)
        .join(OutboxItem, OutboxItem.message_id == Message.id)
        .where(OutboxItem.request_id == rid, Message.kind == "reminder")
    ).one()


def test_requests_waived_closed_or_answered_between_plan_and_send_send_nothing(
    tmp_path, settings, smtp_server
):
    app, s = _app(tmp_path, settings, SMTP_URL=smtp_server.url)
    with app.app_context():
        with db.session() as ss:
            rids = {}
            for code in ("FR", "CN", "MX", "KE"):
                factories.focal_point(ss, code)
                rids[code] = factories.request(ss, code, kind="clarification").id
        planned = service.plan(s)
        assert len(planned.queued) == 4
        with db.session() as ss:
            requests.waive(
                ss,
                ss.get(Request, rids["FR"]),
                actor="officer@un.org",
                reason="answered at the session",
            )
            requests.close(ss, ss.get(Request, rids["CN"]), actor="officer@un.org")
            token = ss.get(Request, rids["MX"]).token
        raw = reply(
            token=token, sender="fp.mx@example.org", body="Nuestra respuesta es la siguiente: sí."
        )
        from bot.inbound.ingest import ingest

        assert ingest(raw, source="test", settings=s).outcome == "processed"
        results = service.send_due(s)
    sent_to = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    # only Kenya's letter and Mexico's receipt of its own reply went out
    assert sent_to == ["fp.ke@example.org", "fp.mx@example.org"]
    assert sorted(r.outcome for r in results) == ["sent", "sent"]
    with app.app_context(), db.session() as ss:
        for code, why in (("FR", "waived"), ("CN", "closed"), ("MX", "answered")):
            row = _letter_of(ss, rids[code])
            assert row.delivery == "cancelled", code
            assert f"[FB-{rids[code]}] {why}" in row.error, row.error
        assert _letter_of(ss, rids["KE"]).delivery == "sent"
        cancelled = [
            json.loads(e.payload)["data"]
            for e in ss.scalars(select(AuditEvent).where(AuditEvent.action == "message.cancelled"))
        ]
        assert sorted(d["requests"][0] for d in cancelled) == sorted(
            [rids["FR"], rids["CN"], rids["MX"]]
        )
        assert audit.verify(ss).ok


def test_the_sender_asks_the_request_inside_its_claim(tmp_path, settings, smtp_server):
    """A request changed behind the transitions' back (a raw UPDATE, as another
    program might do) is still caught by the sender's own check."""
    app, s = _app(tmp_path, settings, SMTP_URL=smtp_server.url)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            rid = factories.request(ss, "FR").id
        assert len(service.plan(s).queued) == 1
        with db.session() as ss:
            ss.execute(update(Request).where(Request.id == rid).values(paused=True))
        assert [r.outcome for r in service.send_due(s)] == []
    assert smtp_server.messages == []
    with app.app_context(), db.session() as ss:
        row = _letter_of(ss, rid)
        assert row.delivery == "cancelled" and "paused before sending" in row.error
        # the step is free again: resumed, the request gets its letter
        requests.resume(ss, ss.get(Request, rid), actor="officer@un.org")
    with app.app_context():
        assert len(service.plan(s).queued) == 1


def test_a_digest_losing_one_request_is_rewritten_for_the_others(tmp_path, settings):
    app, s = _app(tmp_path, settings)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            first = factories.request(ss, "FR").id
            second = factories.request(ss, "FR", kind="directory_update").id
        assert len(service.plan(s).queued) == 1  # one digest
        with db.session() as ss:
            requests.waive(ss, ss.get(Request, first), actor="officer@un.org")
        again = service.plan(s)
        assert len(again.queued) == 1
        with db.session() as ss:
            letter = ss.get(Message, again.queued[0])
            assert letter.kind == "reminder" and letter.request_id == second
            assert f"[FB-{first}]" not in letter.subject


def _dsn(bounce_to: str, recipient: str, original_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        f"To: {bounce_to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.org>\r\n"
        "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        f"This is the mail system at host mx.example.org.\r\n\r\n<{recipient}>: host said: "
        "550 5.1.1 User unknown\r\n"
        "\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nSubject: a letter\r\n"
        "\r\n--b1--\r\n"
    ).encode()


def test_a_bounce_after_acceptance_sends_the_step_to_the_alternate_at_once(
    tmp_path, settings, smtp_server, dovecot
):
    app, s = _app(
        tmp_path, settings, SMTP_URL=smtp_server.url, IMAP_URL=dovecot.url, IMAP_TIMEOUT="10"
    )
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "KE", email="gone@ke.example.org", languages=["en"])
            factories.focal_point(
                ss, "KE", email="alt@ke.example.org", role="alternate", languages=["en"]
            )
            rid = factories.request(ss, "KE").id
        service.tick(s)
        (first,) = smtp_server.messages
        assert first.rcpt_tos == ["gone@ke.example.org"]  # accepted by the relay
        dovecot.append(_dsn(first.mail_from, "gone@ke.example.org", first.message["Message-ID"]))
        poll(s)
        with db.session() as ss:
            contact = ss.scalar(select(Contact).where(Contact.role == "focal_point"))
            assert contact.email_status == "bouncing"
        service.tick(s)
    assert len(smtp_server.messages) == 2
    second = smtp_server.messages[1]
    assert second.rcpt_tos == ["alt@ke.example.org"]
    assert second.message["Subject"] == first.message["Subject"]
    with app.app_context(), db.session() as ss:
        steps = sorted(ss.scalars(select(OutboxItem.step).where(OutboxItem.request_id == rid)))
        original = ss.scalar(
            select(Message.id).where(Message.message_id == first.message["Message-ID"])
        )
        assert steps == sorted(["request", f"request~{original}"])
        released = ss.scalars(
            select(AuditEvent).where(AuditEvent.action == "message.steps_released")
        ).all()
        assert len(released) == 1
        assert audit.verify(ss).ok
