"""The embedded SQLite broker waits for its lock instead of dropping the worker's connection."""

from __future__ import annotations

import sqlite3
import threading
import time

from kombu import Connection

from bot import broker


def test_transport_options_per_broker():
    assert broker.transport_options("redis://127.0.0.1:6379/0") == {"visibility_timeout": 3600}
    sqlite_options = broker.transport_options("sqla+sqlite:////tmp/x/celery.sqlite")
    assert sqlite_options["connect_args"]["timeout"] >= 30
    assert broker.transport_options("memory://") == {}


def test_sqlite_path():
    assert str(broker.sqlite_path("sqla+sqlite:////tmp/x/celery.sqlite")) == "/tmp/x/celery.sqlite"
    assert broker.sqlite_path("redis://127.0.0.1:6379/0") is None


def test_prepare_sets_wal(tmp_path):
    url = f"sqla+sqlite:///{tmp_path}/var/celery.sqlite"
    broker.prepare(url)
    broker.prepare(url)  # idempotent
    conn = sqlite3.connect(tmp_path / "var" / "celery.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_put_waits_for_a_lock_held_longer_than_sqlites_default(tmp_path):
    """Another process holding the broker's write lock for 7 s (more than SQLite's default
    five-second busy timeout) delays a publish; it does not fail with "database is locked"."""
    url = f"sqla+sqlite:///{tmp_path}/celery.sqlite"
    broker.prepare(url)
    with Connection(url, transport_options=broker.transport_options(url)) as conn:
        queue = conn.SimpleQueue("focalbot-test")
        queue.put({"n": 1})  # creates the tables
        holder = sqlite3.connect(
            tmp_path / "celery.sqlite", isolation_level=None, check_same_thread=False
        )
        holder.execute("BEGIN EXCLUSIVE")
        release = threading.Timer(7.0, lambda: holder.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        try:
            queue.put({"n": 2})
        finally:
            release.join()
        assert time.monotonic() - started >= 6.5
        got = [queue.get(timeout=5).payload for _ in range(2)]
        assert got == [{"n": 1}, {"n": 2}]
        queue.close()
