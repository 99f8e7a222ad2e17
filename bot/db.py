"""Database engine and sessions.

One engine per process, made by ``init``. SQLite gets WAL, a busy timeout and
``BEGIN IMMEDIATE`` so that the web process, the worker and beat can share one
file; PostgreSQL is used as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_engine: Engine | None = None
READ_ONLY = "focalbot_read_only"
SessionFactory = sessionmaker(expire_on_commit=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - driver hook
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver hook
            # A read-only connection (``read``) runs each statement on its own, as SQLite's
            # autocommit does: one SELECT reads one snapshot and takes no write lock.
            if not conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init(url: str) -> Engine:
    """Bind the session factory to the database at ``url`` (idempotent per URL)."""
    global _engine
    if _engine is not None and str(_engine.url) == str(make_url(url)):
        return _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    SessionFactory.configure(bind=_engine)
    return _engine


def make_url(url: str):
    from sqlalchemy.engine import make_url as _make_url

    return _make_url(url)


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database not initialised: call bot.db.init(url) first")
    return _engine


@contextmanager
def read() -> Iterator[Connection]:
    """A connection for reading only, one statement at a time: on SQLite it does not wait
    for the write lock (and statements do not share a snapshot)."""
    with engine().connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


@contextmanager
def session() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    s = SessionFactory()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


def get_session() -> Session:
    """The web request's session, made on first use and closed when the request ends."""
    if "db" not in g:
        g.db = SessionFactory()
    return g.db
