"""Two workers and two beats on one Redis and one PostgreSQL, with real SMTP and IMAP servers.

Everything runs at once with intervals of a second: both beats tick, both workers plan,
sweep, send and poll. Then: each outbox message reached the SMTP server once, each message
put in the IMAP mailbox is recorded once, one beat at a time sent the periodic tasks (the
standby sent nothing until the leader was killed with SIGKILL, then took over), and the
audit chain verifies.
"""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import select

from bot import audit, db, lease
from bot.app import create_app
from bot.model import AuditEvent, Lease, Message
from tests import factories
from tests.conftest import make_settings
from tests.inbound.factories import reply

from .conftest import Worker, focalbot_env, wait_until

STATES = ("FR", "EG", "CN", "RU", "MX", "KE")
PER_STATE = 4
SENDING = "Scheduler: Sending due task"


def _seed() -> None:
    with db.session() as s:
        factories.instrument(s)
        for code in STATES:
            factories.directory_updates(s, code, PER_STATE)


def _sent_at(beat: Worker, since: float = 0.0, until: float = float("inf")) -> int:
    return sum(1 for t, line in beat.stamped if SENDING in line and since <= t < until)


def _holder() -> str:
    with db.session() as s:
        row = s.get(Lease, lease.BEAT)
        return row.holder if row is not None else ""


def _pid_of(holder: str) -> int:
    return int(holder.rsplit(":", 2)[1]) if holder else 0


def _beats(env: dict[str, str], folder) -> list[Worker]:
    """Two beat processes (not started), each with its own schedule file, as on two machines."""
    return [
        Worker(
            env,
            folder / f"beat{i}.log",
            args=["beat", "--schedule", str(folder / f"beat{i}-schedule")],
            ready="beat: Starting...",
        )
        for i in (1, 2)
    ]


def _roles(beats: list[Worker]) -> tuple[Worker, Worker]:
    """(leader, standby) once one of the beats holds the lease."""
    pids = {b.proc.pid: b for b in beats if b.proc}
    wait_until(lambda: _pid_of(_holder()) in pids, timeout=30, what="a beat to lead")
    leader = pids[_pid_of(_holder())]
    return leader, next(b for b in beats if b is not leader)


def test_two_workers_and_two_beats_send_once_read_once_and_one_beat_leads(
    tmp_path, pg_url, redis_url, smtp_server, dovecot
):
    env = focalbot_env(
        tmp_path,
        DATABASE_URL=pg_url,
        CELERY_BROKER_URL=redis_url,
        SMTP_URL=smtp_server.url,
        IMAP_URL=dovecot.url,
        IMAP_TIMEOUT="10",
        PLAN_INTERVAL="1",
        POLL_INTERVAL="1",
        SWEEP_INTERVAL="2",
        BEAT_LEASE_SECONDS="3",
        MAILBOX_LEASE_SECONDS="20",
    )
    settings = make_settings(tmp_path, DATABASE_URL=pg_url, SMTP_URL=smtp_server.url)
    app = create_app(settings)
    letters = len(STATES) * PER_STATE
    with app.app_context():
        _seed()
    appended = [reply(subject=f"RE: early {i}") for i in range(12)]
    for raw in appended:
        dovecot.append(raw)

    workers = [Worker(env, tmp_path / f"worker{i}.log") for i in (1, 2)]
    beats = _beats(env, tmp_path)
    processes = workers + beats
    try:
        for p in processes:
            p.start()
        leader, standby = _roles(beats)
        first_holder = _holder()

        smtp_server.wait_for(letters // 2, timeout=60)
        # replies to the letters sent so far, while everything runs
        for received in smtp_server.messages[:8]:
            raw = reply(
                subject="RE: " + received.message["Subject"],
                in_reply_to=received.message["Message-ID"],
            )
            appended.append(raw)
            dovecot.append(raw)
        time.sleep(3)

        assert leader.proc
        killed_at = time.monotonic()
        os.kill(leader.proc.pid, signal.SIGKILL)  # no release: the lease has to run out
        leader.proc.wait()
        wait_until(
            lambda: _pid_of(_holder()) == (standby.proc.pid if standby.proc else -1),
            timeout=20,
            what="the standby beat to take over",
        )
        took_over_at = time.monotonic()
        for i in range(6):
            raw = reply(subject=f"RE: late {i}")
            appended.append(raw)
            dovecot.append(raw)

        def done() -> bool:
            with db.session() as s:
                out = s.scalars(select(Message.delivery).where(Message.direction == "out")).all()
                inbound = s.scalars(select(Message.id).where(Message.direction == "in")).all()
            return (
                len(out) == letters
                and all(d == "sent" for d in out)
                and len(inbound) == len(appended)
                and dovecot.list_folder("INBOX") == []
            )

        with app.app_context():
            wait_until(done, timeout=90, what="every letter sent and every reply read")
        time.sleep(2)  # a few more ticks of the new leader, polls and sweeps finding nothing
    finally:
        for p in processes:
            p.stop()

    with app.app_context(), db.session() as s:
        out = s.scalars(select(Message).where(Message.direction == "out")).all()
        inbound = s.scalars(select(Message).where(Message.direction == "in")).all()
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("lease.%")).order_by(AuditEvent.seq)
        ).all()
        verified = audit.verify(s, settings.audit_key)

    # each outbox message delivered once: the Message-IDs at the SMTP server are the outbox's
    received = smtp_server.by_message_id()
    assert set(received) == {m.message_id for m in out} and len(out) == letters
    assert len(smtp_server.messages) == letters, "a letter reached the SMTP server twice"

    # each IMAP message recorded once
    assert len(inbound) == len(appended)
    assert len({m.dedup_key for m in inbound}) == len(appended)

    # one beat at a time: the standby sent nothing while the leader lived, then took over
    assert _sent_at(leader, until=killed_at) > 0
    assert _sent_at(standby, until=killed_at) == 0, "the standby beat sent while another led"
    assert _sent_at(standby, since=took_over_at) > 0
    assert any("standing by" in line for line in standby.lines)
    over = [ev for ev in events if ev.action == "lease.taken_over"]
    assert len(over) == 1 and audit.data_of(over[0])["previous"] == first_holder
    assert audit.data_of(over[0])["holder"].split(":")[1] == str(standby.proc.pid)
    print(
        f"\nbeat tasks sent: leader {_sent_at(leader)}, standby {_sent_at(standby)} "
        f"(from {took_over_at - killed_at:.1f} s after the kill); "
        f"mailbox polls not read (lease held): "
        f"{sum(line.count('another reader has the mailbox') for w in workers for line in w.lines)}"
    )
    assert verified.ok, verified.message()


def test_two_beats_on_the_embedded_sqlite_default_and_a_clean_stop_hands_over_at_once(tmp_path):
    """No servers: SQLite and kombu's SQLAlchemy broker. The leader stopped with SIGTERM
    releases the lease, so the standby leads at its next tick, not after the lease's time."""
    from .conftest import focalbot, send_task

    env = focalbot_env(tmp_path, BEAT_LEASE_SECONDS="6", PLAN_INTERVAL="1", POLL_INTERVAL="1")
    settings = make_settings(tmp_path)
    assert settings.database_url.startswith("sqlite") and "sqlite" in settings.broker_url
    focalbot(env, "db", "upgrade")
    send_task(settings.broker_url, "tasks.jobs.plan")  # the broker's tables, made once
    db.init(settings.database_url)
    beats = _beats(env, tmp_path)
    try:
        for b in beats:
            b.start()
        leader, standby = _roles(beats)
        wait_until(lambda: _sent_at(leader) >= 6, timeout=30, what="the leader to send")
        assert _sent_at(standby) == 0
        stopped_at = time.monotonic()
        leader.stop()  # SIGTERM: beat closes its scheduler, which releases the lease
        wait_until(
            lambda: _pid_of(_holder()) == (standby.proc.pid if standby.proc else -1),
            timeout=10,
            what="the standby beat to lead",
        )
        handed_over = time.monotonic() - stopped_at
        wait_until(lambda: _sent_at(standby) > 0, timeout=10, what="the new leader to send")
    finally:
        for b in beats:
            b.stop()
    assert handed_over < 6, f"the standby waited {handed_over:.1f} s, as for an expired lease"
    with db.session() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("lease.%"))
            .order_by(AuditEvent.seq)
        ).all()
        assert audit.verify(s, settings.audit_key).ok
    # the leader's start, its release, the standby's start, and its own release at the end
    assert actions == ["lease.acquired", "lease.released", "lease.acquired", "lease.released"]
