"""A letter the server may have although the sender never heard so is never written again.

When the connection breaks after the message's data was sent, or the sender that claimed a
letter dies, the outcome is unknown: the letter is retried with the same Message-ID (the
receiver can drop the copy). If the request stops wanting it meanwhile (the focal point
replied, an officer paused it), it is cancelled, and its step stays done: resuming the
request does not send that step again under a new Message-ID. A letter the server refused
with an answer (4xx at DATA) was not delivered, and its step goes again after a resume.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import audit, db, requests, service
from bot.model import AuditEvent, Contact, Message, OutboxItem, Request, utcnow
from bot.outbound import outbox
from tests import factories
from tests.conftest import make_settings

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _app(tmp_path, settings, smtp_server):
    from bot.app import create_app

    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, SMTP_URL=smtp_server.url)
    return create_app(s), s


def _pause_and_resume(request_id: int) -> None:
    with db.session() as s:
        requests.pause(s, s.get_one(Request, request_id), actor="officer@un.org")
    with db.session() as s:
        requests.resume(s, s.get_one(Request, request_id), actor="officer@un.org")


def _request_letters(request_id: int) -> list[Message]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Message)
                .join(OutboxItem, OutboxItem.message_id == Message.id)
                .where(OutboxItem.request_id == request_id, Message.direction == "out")
                .order_by(Message.id)
            )
        )


def test_a_connection_dropped_after_data_keeps_the_step_when_cancelled(
    tmp_path, settings, smtp_server
):
    app, s = _app(tmp_path, settings, smtp_server)
    smtp_server.drop_after_data = True
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            rid = factories.request(ss, "FR").id
        first = service.tick(s)
        assert first.retried == 1 and len(smtp_server.messages) == 1  # the server has it
        [letter] = _request_letters(rid)
        assert letter.delivery == "retry" and letter.maybe_delivered
        assert "without the server's answer" in (letter.error or "")
        smtp_server.drop_after_data = False

        _pause_and_resume(rid)  # the focal point replied, then an officer resumed the ladder
        service.plan(s)
        service.send_due(s, now=utcnow() + timedelta(minutes=10))

        letters = _request_letters(rid)
        assert [m.delivery for m in letters] == ["cancelled"], "the step was written again"
        assert len(smtp_server.messages) == 1
        with db.session() as ss:
            steps = ss.scalars(select(OutboxItem.step).where(OutboxItem.request_id == rid)).all()
            assert steps == [letter.step]  # kept under its own name: the step counts as done
            event = ss.scalars(
                select(AuditEvent).where(AuditEvent.action == "message.cancelled")
            ).one()
            assert "steps_kept" in audit.data_of(event)


def test_a_claim_left_by_a_dead_sender_keeps_the_step_when_cancelled(
    tmp_path, settings, smtp_server
):
    app, s = _app(tmp_path, settings, smtp_server)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            rid = factories.request(ss, "FR").id
        queued = service.plan(s).queued
        with db.session() as ss:  # a sender claimed it, then its process died
            assert outbox._claim(ss, [queued[0]], utcnow()) == [queued[0]]
        with db.session() as ss:
            outbox.reclaim_stale(ss, utcnow() + outbox.STALE_CLAIM + timedelta(seconds=1))
        assert _request_letters(rid)[0].maybe_delivered

        _pause_and_resume(rid)
        service.plan(s)
        service.send_due(s, now=utcnow() + timedelta(minutes=10))
    assert [m.delivery for m in _request_letters(rid)] == ["cancelled"]
    assert smtp_server.messages == []


def test_a_refusal_with_an_answer_frees_the_step(tmp_path, settings, smtp_server):
    app, s = _app(tmp_path, settings, smtp_server)
    smtp_server.refuse_with = (451, "4.3.0 try again later")
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            rid = factories.request(ss, "FR").id
        assert service.tick(s).retried == 1
        assert not _request_letters(rid)[0].maybe_delivered
        smtp_server.refuse_with = None

        _pause_and_resume(rid)
        service.plan(s)
        service.send_due(s, now=utcnow() + timedelta(minutes=10))
    letters = _request_letters(rid)
    assert [m.delivery for m in letters] == ["cancelled", "sent"]
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].message["Message-ID"] == letters[1].message_id


def test_a_new_addressee_gets_the_letter_even_if_the_old_one_may_have_it(
    tmp_path, settings, smtp_server
):
    app, s = _app(tmp_path, settings, smtp_server)
    smtp_server.drop_after_data = True
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            successor = factories.focal_point(ss, "FR", email="successor@fr.gov.example")
            rid = factories.request(ss, "FR").id
            successor_id = successor.id
        service.tick(s)
        smtp_server.drop_after_data = False
        with db.session() as ss:
            requests.readdress(
                ss, ss.get_one(Request, rid), ss.get_one(Contact, successor_id),
                actor="officer@un.org",
            )
        service.plan(s)
        service.send_due(s, now=utcnow() + timedelta(minutes=10))
    letters = _request_letters(rid)
    assert [m.delivery for m in letters] == ["cancelled", "sent"]
    assert letters[1].to_addrs == ["successor@fr.gov.example"]
