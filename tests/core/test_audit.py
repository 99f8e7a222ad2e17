import threading

from sqlalchemy import text

from bot import audit, db
from tests.conftest import make_settings
from tests.security.audit_dba import edit_payload, owner


def test_it_chains_events_and_verifies(session):
    for i in range(5):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i, n=i)
    session.commit()
    result = audit.verify(session)
    assert result.ok and result.count == 5


def test_an_altered_row_is_named(session, settings):
    for i in range(4):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i, n=i)
    session.commit()
    with owner(settings.database_url) as conn:
        edit_payload(conn, 3, '"n":2', '"n":7')
    result = audit.verify(session)
    assert not result.ok
    assert result.broken_seq == 3
    assert "event 3" in result.message()


def test_a_changed_column_is_caught_even_if_the_payload_is_intact(session, settings):
    audit.record(session, "thing.done", subject_type="thing", subject_id=1)
    session.commit()
    with owner(settings.database_url) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'someone else'"))
    result = audit.verify(session)
    assert not result.ok and "actor" in result.reason


def _concurrent_writers(n_threads: int, per_thread: int) -> None:
    def work(k: int) -> None:
        for i in range(per_thread):
            with db.session() as s:
                audit.record(s, "race", subject_type="t", subject_id=f"{k}-{i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_concurrent_writers_keep_one_chain_on_sqlite(app):
    _concurrent_writers(4, 10)
    with db.session() as s:
        result = audit.verify(s)
    assert result.ok and result.count == 40


def test_concurrent_writers_keep_one_chain_on_postgresql(tmp_path, pg_url):
    from bot.app import create_app

    create_app(make_settings(tmp_path, DATABASE_URL=pg_url))
    _concurrent_writers(4, 10)
    with db.session() as s:
        result = audit.verify(s)
    assert result.ok and result.count == 40
