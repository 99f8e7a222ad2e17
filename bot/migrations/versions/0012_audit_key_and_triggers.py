"""audit chain keyed with HMAC-SHA256, audit events refused UPDATE and DELETE

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 03:00:00.000000

Every event's hash is computed again as HMAC-SHA256 under the audit key (AUDIT_KEY_FILE,
or the key handed to ``bot.migrate.upgrade``), over the same previous hash and payload; an
``audit.rekeyed`` event at the end of the chain records it, with what the plain SHA-256
chain was found to be before. Then triggers refuse any UPDATE or DELETE (and, on
PostgreSQL, TRUNCATE) of audit_event. The downgrade drops the triggers and chains the log
with plain SHA-256 again.
"""
import hashlib
import hmac
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import bot.model.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
REFUSED = "audit_event is append-only: UPDATE, DELETE and TRUNCATE are refused"

PG_FUNCTION = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED} (% of audit_event)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = {
    "audit_event_no_update_delete": "BEFORE UPDATE OR DELETE",
    "audit_event_no_truncate": "BEFORE TRUNCATE",
}
SQLITE_TRIGGERS = {
    "audit_event_no_update": "BEFORE UPDATE",
    "audit_event_no_delete": "BEFORE DELETE",
}


def _plain(key, prev, payload):
    return hashlib.sha256((prev + "\n" + payload).encode("utf-8")).hexdigest()


def _keyed(key, prev, payload):
    return hmac.new(key, (prev + "\n" + payload).encode("utf-8"), hashlib.sha256).hexdigest()


def _audit_key():
    config = op.get_context().config
    key = config.attributes.get("audit_key") if config is not None else None
    if key:
        return key
    from bot import config as configuration

    return configuration.load_audit_key()


def _events(conn):
    return conn.execute(
        sa.text("SELECT id, seq, payload, prev_hash, hash FROM audit_event ORDER BY seq")
    ).all()


def _plain_chain_state(rows, head):
    """'intact', or where the plain SHA-256 chain was broken before it is keyed."""
    prev = GENESIS
    for n, row in enumerate(rows, start=1):
        if row.seq != n:
            return f"broken at event {n} (missing)"
        if row.prev_hash != prev or _plain(None, prev, row.payload) != row.hash:
            return f"broken at event {n} (altered)"
        prev = row.hash
    if head is None or head.seq != len(rows) or head.last_hash != prev:
        return f"broken after event {len(rows)} (its head differs)"
    return "intact"


def _rechain(conn, rows, digest, key):
    """Store every event's hash again as ``digest`` makes it; return the last."""
    prev = GENESIS
    for row in rows:
        new = digest(key, prev, row.payload)
        conn.execute(
            sa.text("UPDATE audit_event SET prev_hash = :prev, hash = :hash WHERE id = :id"),
            {"prev": prev, "hash": new, "id": row.id},
        )
        prev = new
    return prev


def _append(conn, key, seq, prev, action, data):
    at = datetime.now(timezone.utc)
    fields = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": "system",
        "action": action,
        "subject_type": "audit",
        "subject_id": "",
    }
    payload = json.dumps(
        {**fields, "data": data}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = (_keyed if key else _plain)(key, prev, payload)
    names = [c for c in (*fields, "payload", "prev_hash", "hash") if c != "at"]
    columns: list[sa.ColumnClause] = [sa.column(c) for c in names]
    table = sa.table(
        "audit_event", sa.column("at", bot.model.base.UTCDateTime(timezone=True)), *columns
    )
    conn.execute(
        table.insert(),
        {**fields, "at": at, "payload": payload, "prev_hash": prev, "hash": digest},
    )
    conn.execute(
        sa.text("UPDATE audit_head SET seq = :seq, last_hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": digest},
    )


def _head(conn):
    return conn.execute(sa.text("SELECT seq, last_hash FROM audit_head WHERE id = 1")).first()


def upgrade() -> None:
    conn = op.get_bind()
    rows = _events(conn)
    if rows:  # an empty log has nothing to key, and needs no key yet
        key = _audit_key()
        head = _head(conn)
        before = _plain_chain_state(rows, head)
        last = _rechain(conn, rows, _keyed, key)
        if head is None:
            conn.execute(
                sa.text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, :seq, :hash)"),
                {"seq": rows[-1].seq, "hash": last},
            )
        key_id = hashlib.sha256(key).hexdigest()[:8]
        data = {"events": len(rows), "key_id": key_id, "previous_chain": before}
        _append(conn, key, rows[-1].seq + 1, last, "audit.rekeyed", data)
    if conn.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} ON audit_event FOR EACH STATEMENT "
                "EXECUTE FUNCTION audit_event_append_only()"
            )
    else:
        for name, when in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
            )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    rows = _events(conn)
    if rows:
        last = _rechain(conn, rows, _plain, None)
        _append(conn, None, rows[-1].seq + 1, last, "audit.unkeyed", {"events": len(rows)})
