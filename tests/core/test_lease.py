"""Leases: the pure decision, and its atomic application on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import audit, db, lease
from bot.lease import Held, Verdict, decide
from bot.model import AuditEvent, Lease

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _held(holder: str, seconds: float) -> Held:
    return Held(holder, NOW + timedelta(seconds=seconds), NOW - timedelta(minutes=5))


def test_decide_takes_a_free_lease_renews_its_own_and_takes_over_only_an_expired_one():
    assert decide(None, "a", NOW) is Verdict.TAKE
    assert decide(_held("", -1), "a", NOW) is Verdict.TAKE  # released
    assert decide(_held("", 60), "a", NOW) is Verdict.TAKE
    assert decide(_held("a", 10), "a", NOW) is Verdict.RENEW
    assert decide(_held("a", -10), "a", NOW) is Verdict.RENEW  # nobody took it meanwhile
    assert decide(_held("b", 10), "a", NOW) is Verdict.REFUSE
    assert decide(_held("b", 0), "a", NOW) is Verdict.TAKE_OVER
    assert decide(_held("b", -0.001), "a", NOW) is Verdict.TAKE_OVER


def test_holder_ids_name_the_host_and_process_and_differ():
    import os
    import socket

    a, b = lease.holder_id(), lease.holder_id()
    assert a != b
    host, pid, _random = a.rsplit(":", 2)
    assert host == socket.gethostname() and pid == str(os.getpid())


def _events() -> list[tuple[str, dict]]:
    with db.session() as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        return [(ev.action, audit.data_of(ev)) for ev in rows]


def _row(name: str) -> Lease:
    with db.session() as s:
        row = s.get(Lease, name)
    assert row is not None
    return row


def _lifecycle():
    first = lease.acquire("beat", "a", 30, now=NOW, audit_changes=True)
    assert first.held and first.verdict is Verdict.TAKE
    assert first.expires_at == NOW + timedelta(seconds=30)
    refused = lease.acquire("beat", "b", 30, now=NOW + timedelta(seconds=10))
    assert not refused.held and refused.holder == "a"
    for i in range(5):  # renewals write nothing to the audit log
        assert lease.acquire("beat", "a", 30, now=NOW + timedelta(seconds=i)).verdict == "renew"
        assert lease.renew("beat", "a", 30, now=NOW + timedelta(seconds=i))
    assert not lease.renew("beat", "b", 30, now=NOW)
    assert _row("beat").acquired_at == NOW
    later = NOW + timedelta(seconds=4 + 30)  # a's last renewal ran out
    taken = lease.acquire("beat", "b", 30, now=later)
    assert taken.verdict is Verdict.TAKE_OVER and taken.previous == "a"
    assert _row("beat").holder == "b" and _row("beat").acquired_at == later
    assert not lease.renew("beat", "a", 30, now=later)  # a, back from a stall, lost it
    assert not lease.release("beat", "a", now=later)
    assert lease.release("beat", "b", now=later, audit_changes=True)
    row = _row("beat")
    assert row.holder == "" and row.expires_at == later
    assert lease.acquire("beat", "c", 30, now=later).held  # at once, no waiting for expiry
    assert [action for action, _ in _events()] == [
        "lease.acquired",
        "lease.taken_over",
        "lease.released",
    ]
    _, over = _events()[1]
    assert over["holder"] == "b" and over["previous"] == "a" and over["name"] == "beat"
    with db.session() as s:
        assert audit.verify(s).ok


def test_a_lease_changes_hands_only_when_free_or_expired_on_sqlite(app):
    _lifecycle()


def test_a_lease_changes_hands_only_when_free_or_expired_on_postgresql(tmp_path, pg_url):
    db.init(pg_url)
    _lifecycle()


def test_a_quiet_lease_records_only_take_overs(app):
    lease.acquire("mailbox:x", "a", 30, now=NOW)
    lease.release("mailbox:x", "a", now=NOW)
    lease.acquire("mailbox:x", "b", 30, now=NOW)
    assert _events() == []
    lease.acquire("mailbox:x", "c", 30, now=NOW + timedelta(seconds=31))
    assert [action for action, _ in _events()] == ["lease.taken_over"]


def _race(url: str, contenders: int, now: datetime) -> list[str]:
    """``contenders`` threads try to take the lease ``race`` at once; the winners' names."""
    barrier = threading.Barrier(contenders)
    winners: list[str] = []
    errors: list[BaseException] = []

    def contend(name: str) -> None:
        try:
            barrier.wait()
            if lease.acquire("race", name, 30, now=now).held:
                winners.append(name)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return winners


@pytest.mark.parametrize("expired", [False, True], ids=["no row yet", "expired"])
def test_of_many_racing_for_a_lease_exactly_one_gets_it_on_postgresql(pg_url, expired):
    db.init(pg_url)
    if expired:
        lease.acquire("race", "dead", 30, now=NOW - timedelta(minutes=1))
    for attempt in range(5):
        winners = _race(pg_url, 8, NOW + timedelta(minutes=attempt * 1))
        if attempt == 0:
            assert len(winners) == 1, winners
            assert _row("race").holder == winners[0]
        else:  # the winner's lease has run out each time: again one of them only
            assert len(winners) == 1, winners


def test_of_many_racing_for_a_lease_exactly_one_gets_it_on_sqlite(app, settings):
    winners = _race(settings.database_url, 6, NOW)
    assert len(winners) == 1 and _row("race").holder == winners[0]
