"""The audit tables written as their owner or a superuser can, past the application and
its triggers: where the attacks on the log in these tests start from."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from bot import audit, db

GENESIS = audit.GENESIS


@contextmanager
def owner(url: str) -> Iterator[Connection]:
    """One transaction with the audit triggers out of the way: on SQLite dropped and made
    again at the end (whoever can write the file can), on PostgreSQL turned off for the
    transaction (``session_replication_role``, which a superuser may set)."""
    engine = db.make_engine(url)  # its own engine: bot.db's stays as the app bound it
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'audit_event'"
                    )
                ).all()
                for name, _sql in triggers:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
                yield conn
                for _name, sql in triggers:
                    conn.execute(text(sql))
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                yield conn
    finally:
        engine.dispose()


def plain(prev: str, payload: str) -> str:
    """The chain's hash as it was before it was keyed: SHA-256, which anyone can compute."""
    return hashlib.sha256((prev + "\n" + payload).encode("utf-8")).hexdigest()


def keyed_with(key: bytes) -> Callable[[str, str], str]:
    def digest(prev: str, payload: str) -> str:
        return hmac.new(key, (prev + "\n" + payload).encode("utf-8"), hashlib.sha256).hexdigest()

    return digest


def rechain(conn: Connection, digest: Callable[[str, str], str], *, from_seq: int = 1) -> None:
    """Recompute every hash from event ``from_seq`` on with ``digest``, and the head."""
    rows = conn.execute(text("SELECT id, seq, payload, hash FROM audit_event ORDER BY seq")).all()
    prev = GENESIS
    for row in rows:
        if row.seq >= from_seq:
            new = digest(prev, row.payload)
            conn.execute(
                text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": prev, "h": new, "id": row.id},
            )
            prev = new
        else:
            prev = row.hash
    conn.execute(
        text("UPDATE audit_head SET seq = :s, last_hash = :h WHERE id = 1"),
        {"s": rows[-1].seq if rows else 0, "h": prev},
    )


def edit_payload(conn: Connection, seq: int, old: str, new: str) -> None:
    payload = conn.execute(
        text("SELECT payload FROM audit_event WHERE seq = :s"), {"s": seq}
    ).scalar_one()
    assert old in payload
    conn.execute(
        text("UPDATE audit_event SET payload = :p WHERE seq = :s"),
        {"p": payload.replace(old, new), "s": seq},
    )
