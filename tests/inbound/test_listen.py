"""``focalbot listen``: IMAP IDLE on a real Dovecot, reconnecting, and polling without IDLE."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot import db, lease
from bot.inbound import listen
from bot.inbound.listen import Listener, reconnect_delay
from bot.inbound.poll import poll
from bot.model import AuditEvent, Lease, Message, Problem
from tests.conftest import make_settings
from tests.dovecot import new_mailbox, running_server
from tests.servers import free_port

from .factories import reply

ROOT = Path(__file__).resolve().parents[2]


def test_the_delay_doubles_from_one_second_to_five_minutes():
    assert reconnect_delay(0, 0.5) == 0
    assert [reconnect_delay(n, 0.0) for n in range(1, 11)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
    ]
    assert reconnect_delay(1, 0.999) == 1  # never under a second
    assert reconnect_delay(4, 0.5) == 6  # a quarter off
    assert reconnect_delay(10_000, 0.0) == 300


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=0.999999))
def test_the_delay_stays_between_half_its_ceiling_and_the_ceiling(failures, jitter):
    ceiling = min(300.0, 2.0 ** min(failures - 1, 32))
    delay = reconnect_delay(failures, jitter)
    assert 1 <= delay <= 300
    assert max(1.0, ceiling / 2) <= delay <= ceiling


def test_idle_responses_that_mean_new_mail_and_a_goodbye():
    assert listen.new_mail([(3, b"EXISTS")]) and listen.new_mail([(1, b"RECENT")])
    assert not listen.new_mail([(b"OK", b"Still here"), (2, b"EXPUNGE")])
    listen.closed([(b"OK", b"Still here")])
    with pytest.raises(ConnectionError, match="Kicked"):
        listen.closed([(b"BYE", b"Kicked", b"by", b"admin")])


def _inbound() -> int:
    with db.session() as s:
        return len(s.scalars(select(Message.id).where(Message.direction == "in")).all())


def _wait(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Running:
    """A listener in a thread of this process (with the app's context), stopped at the end."""

    def __init__(self, app, settings, **kwargs):
        self.listener = Listener(settings, **kwargs)
        self.thread = threading.Thread(target=self._run, args=(app,), daemon=True)

    def _run(self, app) -> None:
        with app.app_context():
            self.listener.run()

    def __enter__(self) -> Listener:
        self.thread.start()
        return self.listener

    def __exit__(self, *exc) -> None:
        self.listener.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the listener did not stop"


def test_focalbot_listen_ingests_a_message_while_idling_and_stops_on_sigterm(
    settings, app, dovecot
):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_"))},
        "FOCALBOT_VAR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "POLICY_FILE": str(settings.policy_file),
        "IMAP_URL": dovecot.url,
        "IMAP_TIMEOUT": "10",
        "PYTHONPATH": str(ROOT),
    }
    dovecot.append(reply(subject="RE: before"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "listen"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True).start()
    try:
        _wait(lambda: _inbound() == 1, 20, "the poll at start")
        _wait(lambda: any("1 fetched" in line for line in lines), 5, "the poll's log line")
        time.sleep(1)  # now it idles
        dovecot.append(reply(subject="RE: while idling"))
        took = _wait(lambda: _inbound() == 2, 5, "the message appended while idling")
        # the beat's poll finds the listener holding the mailbox and skips
        imap_settings = make_settings(
            settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=dovecot.url
        )
        skipped = poll(imap_settings)
        assert skipped.skipped.startswith("another reader has the mailbox: lease held by")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines)
    print(f"\nappended while idling, recorded after {took:.2f} s")
    assert took < 5
    assert dovecot.list_folder("INBOX") == []
    assert dovecot.password not in output
    assert "stopped" in output
    name = lease.mailbox_lease(imap_settings.imap.redacted())
    with db.session() as s:
        assert s.get(Lease, name).holder == ""  # released: a standby takes over at once
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("lease.%"))
            .order_by(AuditEvent.seq)
        ).all()
    assert actions == ["lease.acquired", "lease.released"]


@pytest.fixture
def listen_settings(settings, app, dovecot):
    return make_settings(
        settings.var_dir.parent,
        DATABASE_URL=settings.database_url,
        IMAP_URL=dovecot.url,
        IMAP_TIMEOUT="10",
        MAILBOX_LEASE_SECONDS="30",
    )


def test_a_connection_closed_by_the_server_is_made_again_and_reading_goes_on(
    app, listen_settings, dovecot, dovecot_server, caplog
):
    caplog.set_level(logging.INFO)
    with Running(app, listen_settings) as listener:
        _wait(lambda: listener.idling, 10, "the listener to idle")
        dovecot_server.kick(dovecot.user)  # doveadm kick: the server closes the connection
        _wait(lambda: listener.connections == 2 and listener.idling, 15, "a new connection")
        dovecot.append(reply(subject="RE: after the kick"))
        _wait(lambda: _inbound() == 1, 5, "the message after the reconnection")
    failures = [
        r for r in caplog.records if r.name == "bot.inbound.listen" and r.levelname == "WARNING"
    ]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert "connecting again in 1.0 s" in failures[0].getMessage()
    assert dovecot.password not in caplog.text


def test_an_unreachable_server_is_tried_again_with_growing_delays_and_is_on_the_desk(
    app, settings, caplog
):
    caplog.set_level(logging.INFO)
    url = f"imap://someone:pw-never-logged@127.0.0.1:{free_port()}/INBOX"
    unreachable = make_settings(
        settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=url
    )

    class NoJitter:
        def random(self) -> float:
            return 0.0

    with Running(app, unreachable, rng=NoJitter()) as listener:
        _wait(lambda: listener.failures >= 3, 10, "three failures")
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [line.rsplit("connecting again in ", 1)[1] for line in lines[:3]] == [
        "1.0 s",
        "2.0 s",
        "4.0 s",
    ]
    assert all("cannot reach the IMAP server 127.0.0.1" in line for line in lines[:3])
    assert "pw-never-logged" not in caplog.text
    with db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.key == "mailbox:poll"))
    assert problem is not None and problem.resolved_at is None


def test_a_second_listener_stands_by_and_takes_over_when_the_first_stops(
    app, listen_settings, dovecot
):
    first = Running(app, listen_settings)
    with first as one:
        _wait(lambda: one.idling, 10, "the first listener to idle")
        with Running(app, listen_settings) as two:
            time.sleep(1.5)
            assert two.connections == 0 and not two.claim.held  # standing by
            first.__exit__()  # the first one stops and releases the lease
            _wait(lambda: two.idling, two.every + 10, "the second listener to take over")
            dovecot.append(reply(subject="RE: to the second"))
            _wait(lambda: _inbound() == 1, 5, "the second listener to read")


@pytest.fixture(scope="module")
def server_without_idle():
    """Dovecot told not to announce IDLE (``imap_capability`` lists everything else used)."""
    with running_server("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE NAMESPACE\n") as s:
        yield s


def test_a_server_without_idle_is_polled_every_poll_interval(
    app, settings, server_without_idle, caplog
):
    caplog.set_level(logging.INFO)
    mailbox = new_mailbox(server_without_idle)
    client = mailbox.client()
    try:
        assert not client.has_capability("IDLE")
    finally:
        client.logout()
    no_idle = make_settings(
        settings.var_dir.parent,
        DATABASE_URL=settings.database_url,
        IMAP_URL=mailbox.url,
        POLL_INTERVAL="1",
    )
    with Running(app, no_idle) as listener:
        _wait(lambda: listener.polls >= 1, 10, "the poll at start")
        mailbox.append(reply(subject="RE: no idle"))
        took = _wait(lambda: _inbound() == 1, 5, "the next poll")
        _wait(lambda: listener.polls >= 2, 2, "the poll to end")
        assert not listener.idling and listener.connections == 1
    print(f"\nwithout IDLE, recorded after {took:.2f} s (POLL_INTERVAL 1 s)")
    assert took < 3
    assert "offers no IDLE; polling every 1 s" in caplog.text
