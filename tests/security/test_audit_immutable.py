"""The audit log cannot be updated or deleted through the application (the ORM refuses it)
nor by SQL of an ordinary connection (triggers on SQLite and PostgreSQL); migration 0012
keys the existing chain and its downgrade takes the triggers off again."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic import command
from sqlalchemy import delete, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from bot import audit, db
from bot.migrate import alembic_config, upgrade
from bot.model import AuditEvent, AuditLogImmutable
from tests.conftest import make_settings
from tests.security.audit_dba import edit_payload, plain
from tests.servers import PG_ADMIN_URL


def _events(session, n: int = 3) -> None:
    for i in range(n):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i, n=i)
    session.commit()


def test_the_orm_refuses_to_update_an_event(session):
    _events(session)
    event = session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    event.actor = "someone else"
    with pytest.raises(AuditLogImmutable, match="append-only: an UPDATE"):
        session.flush()
    session.rollback()
    assert audit.verify(session).ok


def test_the_orm_refuses_to_delete_an_event(session):
    _events(session)
    session.delete(session.scalars(select(AuditEvent).where(AuditEvent.seq == 3)).one())
    with pytest.raises(AuditLogImmutable, match="append-only: a DELETE"):
        session.commit()
    session.rollback()
    assert audit.verify(session).count == 3


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).where(AuditEvent.seq == 1).values(actor="x"),
        update(AuditEvent).values(actor="x").execution_options(synchronize_session=False),
        delete(AuditEvent).where(AuditEvent.seq == 1),
    ],
)
def test_the_orm_refuses_update_and_delete_statements(session, statement):
    _events(session)
    with pytest.raises(AuditLogImmutable, match="append-only"):
        session.execute(statement)
    session.rollback()
    assert audit.verify(session).ok


def test_an_unchanged_event_in_a_flush_is_no_update(session):
    _events(session)
    event = session.scalars(select(AuditEvent).where(AuditEvent.seq == 1)).one()
    event.actor = event.actor  # marked, but nothing changes
    session.commit()
    audit.record(session, "thing.done", subject_type="thing", subject_id=9)
    session.commit()
    assert audit.verify(session).count == 4


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor = 'someone else' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 3",
        "DELETE FROM audit_event",
    ],
)
def test_sqlite_triggers_refuse_raw_update_and_delete(session, settings, sql):
    _events(session)
    engine = db.make_engine(settings.database_url)
    with pytest.raises(sa_exc.IntegrityError, match="audit_event is append-only"):
        with engine.begin() as conn:
            conn.execute(text(sql))
    engine.dispose()
    assert audit.verify(session).count == 3


def test_sqlite_triggers_let_events_be_added(session):
    _events(session, 2)
    _events(session, 2)
    assert audit.verify(session).count == 4


@pytest.fixture
def pg_log(tmp_path, pg_url):
    from bot.app import create_app

    create_app(make_settings(tmp_path, DATABASE_URL=pg_url))
    with db.session() as s:
        _events(s)
    return pg_url


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor = 'someone else' WHERE seq = 2",
        "UPDATE audit_event SET actor = actor WHERE false",
        "DELETE FROM audit_event WHERE seq = 3",
        "TRUNCATE audit_event",
        "TRUNCATE audit_event, audit_head",
    ],
)
def test_postgresql_triggers_refuse_update_delete_and_truncate(pg_log, sql):
    url = pg_log.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:  # a connection of its own, past the ORM
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(sql)
    with db.session() as s:
        result = audit.verify(s)
    assert result.ok and result.count == 3


def test_postgresql_triggers_let_events_be_added(pg_log):
    with db.session() as s:
        _events(s, 2)
    with db.session() as s:
        assert audit.verify(s).count == 5


def _downgrade(engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _plain_chain_holds(engine) -> bool:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT seq, payload, prev_hash, hash FROM audit_event ORDER BY seq")
        )
        prev = audit.GENESIS
        for n, row in enumerate(rows, start=1):
            if row.seq != n or row.prev_hash != prev or row.hash != plain(prev, row.payload):
                return False
            prev = row.hash
        head = conn.execute(text("SELECT seq, last_hash FROM audit_head")).one()
    return head.seq == n and head.last_hash == prev


def _payloads(engine, upto: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text("SELECT payload FROM audit_event WHERE seq <= :n ORDER BY seq"), {"n": upto}
            )
        )


def _round_trip(engine, key: bytes) -> None:
    """Events written at head; down to 0011 (plain SHA-256, no triggers); up again."""
    with Session(engine) as s:
        _events(s, 4)
    _downgrade(engine, "0011")
    assert _plain_chain_holds(engine)
    with engine.begin() as conn:  # no trigger at 0011
        conn.execute(text("UPDATE audit_event SET actor = actor WHERE seq = 1"))
    before = _payloads(engine, 5)
    assert len(before) == 5  # 4 events, and the one that records the downgrade
    upgrade(engine, audit_key=key)
    with Session(engine) as s:
        result = audit.verify(s, key)
        assert result.ok and result.count == 6, result.message()
        assert result.notes == []
        last = s.scalars(select(AuditEvent).where(AuditEvent.seq == 6)).one()
        assert last.action == "audit.rekeyed"
        assert audit.data_of(last) == {
            "events": 5,
            "key_id": audit.key_id(key),
            "previous_chain": "intact",
        }
    assert _payloads(engine, 5) == before  # what was recorded is kept, only its hashes change


def test_migration_0012_keys_the_chain_and_its_downgrade_unkeys_it_on_sqlite(
    app, settings, tmp_path
):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'round.sqlite'}")
    upgrade(engine)
    _round_trip(engine, settings.audit_key)
    with pytest.raises(sa_exc.IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 1"))
    engine.dispose()


@pytest.fixture
def fresh_pg():
    """A PostgreSQL database of its own (migrations are run on it by the test)."""
    name = f"focalbot_mig_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = db.make_engine(f"{base}/{name}")
    yield engine
    engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_migration_0012_keys_the_chain_and_its_downgrade_unkeys_it_on_postgresql(
    app, settings, fresh_pg
):
    upgrade(fresh_pg)
    _round_trip(fresh_pg, settings.audit_key)
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), fresh_pg.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))
    _downgrade(fresh_pg, "0011")
    with fresh_pg.begin() as conn:  # the triggers are gone
        conn.execute(text("DELETE FROM audit_event WHERE seq = 1"))


def _sqlite_at_0011(path, events: int):
    """A database at 0011 whose log (written at head, then downgraded) has ``events`` and
    the event that records the downgrade, chained with plain SHA-256."""
    engine = db.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as s:
        _events(s, events)
    _downgrade(engine, "0011")
    return engine


def test_migration_0012_records_a_plain_chain_that_was_broken_before(app, settings, tmp_path):
    engine = _sqlite_at_0011(tmp_path / "broken.sqlite", 3)
    with engine.begin() as conn:
        edit_payload(conn, 2, '"n":1', '"n":5')
    upgrade(engine, audit_key=settings.audit_key)
    with Session(engine) as s:
        result = audit.verify(s, settings.audit_key)
    assert result.ok
    assert "before it was keyed (event 5) the chain was broken at event 2 (altered)" in (
        result.message()
    )
    engine.dispose()


def test_migration_0012_reads_the_key_from_audit_key_file(app, tmp_path, monkeypatch):
    engine = _sqlite_at_0011(tmp_path / "env.sqlite", 2)
    key_file = tmp_path / "elsewhere" / "audit.key"
    monkeypatch.setenv("AUDIT_KEY_FILE", str(key_file))
    upgrade(engine)  # no key given: AUDIT_KEY_FILE's, made there
    key = key_file.read_bytes()
    assert len(key) == 32 and key_file.stat().st_mode & 0o777 == 0o600
    with Session(engine) as s:
        assert audit.verify(s, key).ok
        assert not audit.verify(s, b"not the key in AUDIT_KEY_FILE").ok
    engine.dispose()


def test_the_legacy_bulk_update_past_the_orm_hooks_meets_the_trigger(session):
    _events(session, 1)
    event = session.scalars(select(AuditEvent)).one()
    with pytest.raises(sa_exc.IntegrityError, match="audit_event is append-only"):
        session.bulk_update_mappings(AuditEvent, [{"id": event.id, "actor": "someone else"}])
    session.rollback()
    assert audit.verify(session).ok
