"""Failed log-ins are slowed down per account and address, per address (spraying) and per
account (many addresses), with backoff; the audit log gets one event per slow-down and window,
and the account's owner one email per window."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from bot import throttle
from bot.model import AuditEvent, Message, utcnow
from tests.forms.helpers import log_in, make_user

EMAIL = "officer@secretariat.example.org"


def _count(session, action) -> int:
    session.expire_all()
    found = len(session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())
    session.rollback()
    return found


def _warnings(session) -> list[bytes]:
    session.expire_all()
    found = [m.raw for m in session.scalars(select(Message).where(Message.kind == "notice"))]
    session.rollback()
    return found


def _from(web, address):
    client = web.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_the_delay_doubles_after_the_free_tries_up_to_its_cap():
    p = throttle.policy()
    assert [throttle.delay(n, 5, p).total_seconds() for n in (1, 4, 5, 6, 7)] == [0, 0, 30, 60, 120]
    assert throttle.delay(40, 5, p) == p.cap == timedelta(minutes=15)


def test_repeated_failures_are_audited_once_and_told_to_the_owner_once(web, session, time_machine):
    make_user(session)
    session.commit()
    time_machine.move_to(utcnow(), tick=False)
    client = _from(web, "198.51.100.9")
    for _ in range(12):  # waiting out each slow-down, so that each try counts
        assert log_in(client, password="wrong password").status_code == 200
        time_machine.shift(timedelta(minutes=16))
        if _ == 5:
            assert len(_warnings(session)) == 1
    assert _count(session, "user.login_failed") == 5  # the free tries
    assert _count(session, "user.login_throttled") == 1  # once for the window
    [raw] = _warnings(session)
    mail = message_from_bytes(raw, policy=default)
    assert mail["To"].addresses[0].addr_spec == EMAIL
    body = mail.get_body(("plain",)).get_content()
    assert "198.51.100.9" in body and EMAIL in body
    time_machine.shift(timedelta(hours=2))  # a new window
    for _ in range(5):
        log_in(client, password="wrong password")
    assert len(_warnings(session)) == 2
    assert log_in(client).status_code == 429


def test_a_password_sprayed_across_accounts_closes_the_address(web, session):
    make_user(session)
    session.commit()
    sprayer = _from(web, "203.0.113.5")
    for n in range(20):
        assert (
            log_in(sprayer, email=f"user{n}@example.org", password="Winter2026!").status_code == 200
        )
    assert log_in(sprayer).status_code == 429  # even a right password, from there
    assert _count(session, "user.login_throttled") == 1
    assert log_in(_from(web, "192.0.2.1")).status_code == 303  # the owner, elsewhere


def test_a_log_in_starts_the_accounts_count_again(web, session):
    make_user(session)
    session.commit()
    client = _from(web, "192.0.2.44")
    for _ in range(4):
        log_in(client, password="wrong password")
    assert log_in(client).status_code == 303
    client.post("/desk/logout")
    for _ in range(4):
        assert log_in(client, password="wrong password").status_code == 200
    assert log_in(client).status_code == 303
