"""The Celery broker's connection options, shared by the worker, beat, the CLI and /readyz.

On the embedded default (kombu's SQLAlchemy transport over an SQLite file) the
worker, beat and the web process all write to one file. SQLite's default busy
timeout of five seconds is short on a loaded machine: a worker that waits
longer for the lock loses its broker connection ("database is locked") and
starts again with a warning. The file is put in WAL mode, so that readers do
not wait for writers, and every connection waits up to 30 seconds for the lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

SQLITE_PREFIX = "sqla+sqlite:///"
LOCK_TIMEOUT = 30  # seconds an SQLite connection waits for the write lock


def transport_options(broker_url: str) -> dict[str, Any]:
    """Options for ``broker_transport_options`` on this broker URL."""
    if broker_url.startswith(("redis://", "rediss://")):
        # Tasks are short; an unacknowledged one is redelivered after an hour.
        return {"visibility_timeout": 3600}
    if broker_url.startswith(SQLITE_PREFIX):
        # kombu's SQLAlchemy transport hands its transport options to create_engine.
        return {"connect_args": {"timeout": LOCK_TIMEOUT}}
    return {}


def sqlite_path(broker_url: str) -> Path | None:
    """The database file of an embedded SQLite broker, or None for another broker."""
    if not broker_url.startswith(SQLITE_PREFIX):
        return None
    path = broker_url[len(SQLITE_PREFIX):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def prepare(broker_url: str) -> None:
    """Put an embedded SQLite broker's file in WAL mode (kept in the file; idempotent)."""
    path = sqlite_path(broker_url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
