"""The audit chain against someone who can write the database but has not the audit key:
every edit, insertion, deletion or reordering is reported, even when every later hash and
the head are computed again to match."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot import audit
from tests.security.audit_dba import edit_payload, keyed_with, owner, plain, rechain


@pytest.fixture
def log(session, settings):
    """Six events (data n = 0..5), committed; the database's URL to attack them through."""
    for i in range(6):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i, n=i)
    session.commit()
    assert audit.verify(session).ok
    session.rollback()  # verify's transaction holds SQLite's write lock
    return settings.database_url


def _broken(session) -> audit.VerifyResult:
    result = audit.verify(session)
    session.rollback()
    assert not result.ok, result.message()
    assert "broken" in result.message()
    return result


def test_the_hash_is_an_hmac_under_the_key_outside_the_database(session, settings, log):
    first = session.execute(text("SELECT payload, hash FROM audit_event WHERE seq = 1")).one()
    session.rollback()
    assert first.hash == keyed_with(settings.audit_key)(audit.GENESIS, first.payload)
    assert first.hash != plain(audit.GENESIS, first.payload)
    assert settings.audit_key_file.read_bytes() == settings.audit_key
    assert settings.audit_key_file.stat().st_mode & 0o777 == 0o600


def test_an_edit_rechained_with_plain_sha256_is_caught(session, log):
    with owner(log) as conn:
        edit_payload(conn, 3, '"n":2', '"n":7')
        rechain(conn, plain, from_seq=3)
    result = _broken(session)
    assert result.broken_seq == 3
    assert "stored hash does not match its content" in result.reason


def test_a_whole_log_rechained_with_plain_sha256_is_caught_at_its_first_event(session, log):
    with owner(log) as conn:
        edit_payload(conn, 1, '"n":0', '"n":9')
        rechain(conn, plain)
    result = _broken(session)
    assert result.broken_seq == 1
    assert audit.WRONG_KEY in result.reason


def test_an_edit_rechained_with_hmac_under_another_key_is_caught(session, log):
    with owner(log) as conn:
        edit_payload(conn, 4, '"n":3', '"n":8')
        rechain(conn, keyed_with(b"a key that is not the audit key"), from_seq=4)
    result = _broken(session)
    assert result.broken_seq == 4
    assert "stored hash does not match its content" in result.reason


def test_the_tail_deleted_with_the_head_row_is_caught(session, log):
    with owner(log) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq >= 5"))
        conn.execute(text("DELETE FROM audit_head"))
    result = _broken(session)
    assert result.count == 4
    assert "head row is missing" in result.reason


def test_a_head_row_without_events_is_broken_unless_it_records_none(session, log):
    with owner(log) as conn:
        conn.execute(text("DELETE FROM audit_event"))
    result = _broken(session)
    assert "events are missing at the end" in result.reason
    with owner(log) as conn:
        conn.execute(text("UPDATE audit_head SET seq = 0, last_hash = :g"), {"g": audit.GENESIS})
    assert audit.verify(session).ok  # what a new database looks like: nothing to check


def test_no_head_and_no_events_is_a_log_never_written(session):
    result = audit.verify(session)
    assert result.ok and result.count == 0


def test_a_deleted_middle_event_is_caught(session, log):
    with owner(log) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 3"))
        rechain(conn, plain, from_seq=4)
    result = _broken(session)
    assert result.broken_seq == 4
    assert "event 3 is missing" in result.reason


def test_two_swapped_events_are_caught(session, log):
    with owner(log) as conn:
        conn.execute(text("UPDATE audit_event SET seq = -2 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_event SET seq = 3 WHERE seq = -2"))
    result = _broken(session)
    assert result.broken_seq == 2


def test_two_events_swapped_with_their_payloads_renumbered_and_rechained_are_caught(session, log):
    with owner(log) as conn:
        rows = {
            r.seq: r.payload
            for r in conn.execute(text("SELECT seq, payload FROM audit_event WHERE seq IN (2, 3)"))
        }
        for seq, other in ((2, 3), (3, 2)):
            swapped = json.loads(rows[other]) | {"seq": seq}
            conn.execute(
                text("UPDATE audit_event SET payload = :p, subject_id = :sid WHERE seq = :s"),
                {"p": audit.canonical(swapped), "sid": swapped["subject_id"], "s": seq},
            )
        rechain(conn, plain, from_seq=2)
    assert _broken(session).broken_seq == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("UPDATE audit_head SET last_hash = :other", "the head's hash differs from event 6's"),
        ("UPDATE audit_head SET seq = 7", "events are missing at the end"),
        ("UPDATE audit_head SET seq = 5", "the head was altered"),
    ],
)
def test_an_edited_head_is_caught(session, log, change, reason):
    with owner(log) as conn:
        conn.execute(text(change), {"other": "f" * 64})
    assert reason in _broken(session).reason


def test_an_event_added_without_the_key_is_caught(session, log):
    with owner(log) as conn:
        last = conn.execute(text("SELECT * FROM audit_event WHERE seq = 6")).one()
        payload = json.loads(last.payload) | {"seq": 7, "action": "thing.undone"}
        body = audit.canonical(payload)
        conn.execute(
            text(
                "INSERT INTO audit_event (seq, at, actor, action, subject_type, subject_id,"
                " payload, prev_hash, hash) VALUES (7, :at, :actor, 'thing.undone', 'thing',"
                " '5', :payload, :prev, :hash)"
            ),
            {
                "at": last.at,
                "actor": last.actor,
                "payload": body,
                "prev": last.hash,
                "hash": plain(last.hash, body),
            },
        )
        conn.execute(
            text("UPDATE audit_head SET seq = 7, last_hash = :h"), {"h": plain(last.hash, body)}
        )
    assert _broken(session).broken_seq == 7


def test_a_wrong_key_says_so(session, log):
    result = audit.verify(session, b"another key of at least sixteen bytes")
    assert not result.ok and result.broken_seq == 1
    assert result.reason.startswith(audit.WRONG_KEY)


def test_verify_walks_on_when_events_are_written_while_it_reads_the_head(tmp_path, pg_url):
    """Events committed between verify's last read of events and its read of the head (a
    worker on another machine) are walked too, not taken for a head ahead of the chain.
    The worker's write is timed by a hook on verify's own statement (PostgreSQL; SQLite
    serialises the two)."""
    from sqlalchemy import event as sa_event

    from bot import db
    from bot.app import create_app
    from tests.conftest import make_settings

    create_app(make_settings(tmp_path, DATABASE_URL=pg_url))
    with db.session() as s:
        for i in range(3):
            audit.record(s, "thing.done", subject_type="thing", subject_id=i)
    written = []

    def worker_writes(_conn, _cursor, statement, *_args):
        if "FROM audit_head" in statement and not written:
            written.append(True)
            with db.session() as other:
                audit.record(other, "thing.done", subject_type="thing", subject_id=3)

    sa_event.listen(db.engine(), "before_cursor_execute", worker_writes)
    try:
        with db.session() as s:
            result = audit.verify(s)
    finally:
        sa_event.remove(db.engine(), "before_cursor_execute", worker_writes)
    assert written
    assert result.ok, result.message()
    assert result.count == 4
