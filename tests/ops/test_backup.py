"""focalbot backup and restore: round trips on SQLite, on PostgreSQL and across, with the demo
data, mail planned and sent, and a stored attachment."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import JSON, delete, insert, null, select

from bot import backup, db
from bot.cli import main
from bot.inbound import store
from bot.inbound.attachments import Found
from bot.model import AuditEvent, Contact, ContactChange, Direction, Message, utcnow
from tests.servers import PG_ADMIN_URL

NEW_REQUEST = (
    "requests",
    "create",
    "--state",
    "FR",
    "--kind",
    "clarification",
    "--due",
    "2027-06-30",
)
ATTACHMENT = b"%PDF-1.4 a questionnaire answered by the focal point\n" * 40


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env=env)


def ok(env: dict[str, str], *args: str):
    result = run(env, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def fresh_pg():
    """Makes empty PostgreSQL databases (no tables), dropped after the test."""
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    names: list[str] = []

    def make() -> str:
        name = f"focalbot_restore_{uuid.uuid4().hex[:8]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"

    yield make
    if db._engine is not None:
        db._engine.dispose()
    for name in names:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def env_for(tmp_path: Path, cli_env: dict[str, str], name: str, url: str) -> dict[str, str]:
    """An installation of its own: database, attachment folder, outbox and Maildir."""
    place = tmp_path / name
    return {
        **cli_env,
        "DATABASE_URL": url,
        "ATTACHMENT_DIR": str(place / "attachments"),
        "LOCAL_OUTBOX": str(place / "outbox"),
        "LOCAL_MAILDIR": str(place / "maildir"),
    }


def populate(env: dict[str, str]) -> str:
    """The demo data, a planning pass that sends, an inbound message with an attachment and a
    contact whose successor comes after it; returns the attachment's SHA-256."""
    ok(env, "seed", "--demo")
    ok(env, "tick")
    found = Found("answers.pdf", "application/pdf", ATTACHMENT)
    with db.session() as s:
        message = Message(
            direction=Direction.IN.value,
            subject="Réponse — 回复",
            from_addr="focal.point@example.org",
            to_addrs=["replies@secretariat.example.org"],
            raw=b"From: focal.point@example.org\r\n\r\n\xff\xfe binary-ish",
            delivery="received",
            text="Veuillez trouver ci-joint nos réponses.",
        )
        s.add(message)
        s.flush()
        store.keep(s, message, [found], Path(env["ATTACHMENT_DIR"]), 10**7)
        contacts = s.scalars(select(Contact).order_by(Contact.id)).all()
        contacts[0].successor_id = contacts[-1].id  # a link to a row loaded after it
        s.execute(  # SQL's NULL and JSON's null, which read back alike
            insert(ContactChange).values(
                contact_id=contacts[0].id,
                field="phone",
                old=null(),
                new=JSON.NULL,
                at=utcnow(),
                actor="test",
                source="desk",
                by_state=False,
            )
        )
    return found.sha256


def snapshot(url: str) -> dict[str, list]:
    """Every focalbot table's rows, in portable form, for comparing databases."""
    engine = db.make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return {t.name: list(backup._rows(conn, t)) for t in backup.focalbot_tables(conn)}
    finally:
        engine.dispose()


def without_restore_event(tables: dict[str, list]) -> dict[str, list]:
    """The tables without the restore's own audit event (and the head it moved)."""
    events = tables["audit_event"]
    assert json.loads(events[-1]["payload"])["action"] == "backup.restored"
    return {**tables, "audit_event": events[:-1], "audit_head": []}


def _round_trip(tmp_path, cli_env, source_url: str, target_url: str):
    source = env_for(tmp_path, cli_env, "source", source_url)
    digest = populate(source)
    before = snapshot(source_url)
    archive = tmp_path / "backups" / "focalbot.tar.gz"
    wrote = ok(source, "backup", str(archive))
    assert "rows in" in wrote.output and "1 attachments" in wrote.output

    target = env_for(tmp_path, cli_env, "target", target_url)
    restored = ok(target, "restore", str(archive))
    assert restored.stderr == ""  # same keys: no warning
    after = snapshot(target_url)
    assert without_restore_event(after) == {**before, "audit_head": []}
    assert sum(len(rows) for rows in before.values()) > 300
    assert len(before["message"]) > 1 and len(before["attachment"]) == 1
    assert [r[backup.JSON_NULLS] for r in before["contact_change"] if backup.JSON_NULLS in r] == [
        ["new"]
    ]
    stored = store.path_for(Path(target["ATTACHMENT_DIR"]), digest)
    assert stored.read_bytes() == ATTACHMENT
    verified = ok(target, "audit", "verify")
    assert verified.output.startswith("audit chain intact")
    # new rows get fresh ids (PostgreSQL's sequences were moved past the loaded ones)
    ok(target, *NEW_REQUEST)
    return source, target, archive, before


def test_round_trip_on_sqlite(tmp_path, cli_env):
    _round_trip(
        tmp_path,
        cli_env,
        f"sqlite:///{tmp_path}/source.sqlite",
        f"sqlite:///{tmp_path}/target.sqlite",
    )


def test_round_trip_on_postgresql(tmp_path, cli_env, fresh_pg):
    _round_trip(tmp_path, cli_env, fresh_pg(), fresh_pg())


def test_sqlite_to_postgresql_and_back(tmp_path, cli_env, fresh_pg):
    source, target, _archive, before = _round_trip(
        tmp_path, cli_env, f"sqlite:///{tmp_path}/source.sqlite", fresh_pg()
    )
    again = tmp_path / "backups" / "from-postgresql.tar.gz"
    ok(target, "backup", str(again))
    back = env_for(tmp_path, cli_env, "back", f"sqlite:///{tmp_path}/back.sqlite")
    ok(back, "restore", str(again))
    tables = snapshot(back["DATABASE_URL"])
    assert tables["contact"] == before["contact"] and tables["message"][: len(before["message"])]
    assert ok(back, "audit", "verify").output.startswith("audit chain intact")


def test_the_manifest_counts_and_hashes_every_member_and_holds_no_secret(tmp_path, cli_env):
    source = env_for(tmp_path, cli_env, "source", f"sqlite:///{tmp_path}/source.sqlite")
    populate(source)
    archive = tmp_path / "b.tar.gz"
    ok(source, "backup", str(archive))
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        fh = tar.extractfile("manifest.json")
        assert fh is not None
        manifest = json.loads(fh.read())
    assert set(manifest["members"]) == set(names) - {"manifest.json"}
    tables = snapshot(source["DATABASE_URL"])
    with db.engine().connect() as conn:
        assert manifest["revision"] == backup.current_revision(conn)
    # the counts are those at the time of the dump (backup.created came after it)
    tables["audit_event"] = tables["audit_event"][:-1]
    assert manifest["counts"] == {name: len(rows) for name, rows in tables.items()} | {
        "audit_head": 1
    }
    assert manifest["counts"]["state"] >= 193 and manifest["attachments"] == 1
    assert set(manifest["fingerprints"]) == {"settings", "secret_key", "audit_key"}
    order = [t["name"] for t in manifest["tables"]]
    assert order.index("state") < order.index("contact") < order.index("request")
    raw = gzip.decompress(archive.read_bytes())
    assert cli_env["SECRET_KEY"].encode() not in raw


def test_restore_refuses_over_data_in_one_line(tmp_path, cli_env):
    source = env_for(tmp_path, cli_env, "source", f"sqlite:///{tmp_path}/source.sqlite")
    populate(source)
    archive = tmp_path / "b.tar.gz"
    ok(source, "backup", str(archive))
    before = snapshot(source["DATABASE_URL"])
    result = run(source, "restore", str(archive))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds data" in lines[0] and "--replace" in lines[0]
    assert snapshot(source["DATABASE_URL"]) == before

    # an empty database, but files in the attachment folder
    target = env_for(tmp_path, cli_env, "target", f"sqlite:///{tmp_path}/target.sqlite")
    folder = Path(target["ATTACHMENT_DIR"])
    folder.mkdir(parents=True)
    (folder / "left-over").write_bytes(b"x")
    result = run(target, "restore", str(archive))
    assert result.exit_code == 2 and "attachment folder" in result.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_replace_drops_and_restores_under_an_append_only_audit_log(
    tmp_path, cli_env, fresh_pg, backend
):
    url = f"sqlite:///{tmp_path}/source.sqlite" if backend == "sqlite" else fresh_pg()
    source = env_for(tmp_path, cli_env, "source", url)
    populate(source)
    before = snapshot(url)
    archive = tmp_path / "b.tar.gz"
    ok(source, "backup", str(archive))
    ok(source, *NEW_REQUEST)
    _refuse_update_and_delete_on_the_audit_log(url)
    Path(source["ATTACHMENT_DIR"], "stray").write_bytes(b"not from the backup")

    result = ok(source, "restore", "--replace", str(archive))
    assert "replaced" in result.output
    after = snapshot(url)
    assert without_restore_event(after) == {**before, "audit_head": []}
    assert not Path(source["ATTACHMENT_DIR"], "stray").exists()
    assert ok(source, "audit", "verify").output.startswith("audit chain intact")


def _refuse_update_and_delete_on_the_audit_log(url: str) -> None:
    """A trigger as the audit log has in production: UPDATE and DELETE are refused."""
    engine = db.make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit_event "
                    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
                )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_event "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
        with pytest.raises(Exception, match="append-only"):
            with conn.begin_nested():
                conn.execute(delete(AuditEvent))
    engine.dispose()


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy the archive, passing each member's (name, bytes) through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            fh = src.extractfile(member)
            data = change(member.name, fh.read() if fh else b"")
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


@pytest.fixture
def made(tmp_path, cli_env):
    source = env_for(tmp_path, cli_env, "source", f"sqlite:///{tmp_path}/source.sqlite")
    populate(source)
    archive = tmp_path / "b.tar.gz"
    ok(source, "backup", str(archive))
    target = env_for(tmp_path, cli_env, "target", f"sqlite:///{tmp_path}/target.sqlite")
    return archive, target


def _nothing_restored(target: dict[str, str]) -> None:
    path = Path(target["DATABASE_URL"].removeprefix("sqlite:///"))
    if path.exists():
        assert snapshot(target["DATABASE_URL"]) == {}
    folder = Path(target["ATTACHMENT_DIR"])
    assert not folder.exists() or not any(folder.rglob("*"))


@pytest.mark.parametrize(
    "damage",
    [
        "a changed row",
        "a changed attachment",
        "a missing member",
        "a truncated file",
    ],
)
def test_a_damaged_archive_restores_nothing(tmp_path, made, damage):
    archive, target = made
    damaged = tmp_path / "damaged.tar.gz"
    if damage == "a truncated file":
        damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    else:

        def change(name: str, data: bytes) -> bytes | None:
            if damage == "a changed row" and name.endswith("-request.jsonl"):
                return data.replace(b'"open"', b'"closed"', 1)
            if damage == "a changed attachment" and name.startswith("attachments/"):
                return data[:-1] + b"!"
            if damage == "a missing member" and name.endswith("-contact.jsonl"):
                return None
            return data

        _rewrite(archive, damaged, change)
    result = run(target, "restore", str(damaged))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged" in lines[0], result.stderr
    _nothing_restored(target)


def test_an_unknown_schema_version_is_refused(tmp_path, made):
    archive, target = made
    newer = tmp_path / "newer.tar.gz"

    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["revision"] = "9999"
        return json.dumps(manifest).encode()

    _rewrite(archive, newer, change)
    result = run(target, "restore", str(newer))
    assert result.exit_code == 2
    assert "schema version 9999 is not known" in result.stderr
    _nothing_restored(target)


def test_other_keys_are_warned_about(tmp_path, made):
    archive, target = made
    key_file = Path(target["FOCALBOT_VAR"]) / "audit_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(b"another audit key")
    other = {**target, "SECRET_KEY": "another-secret-key-0123456789"}
    result = ok(other, "restore", str(archive))
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2
    assert "another SECRET_KEY" in warnings[0] and "another audit key" in warnings[1]
    assert "another-secret-key" not in result.output + result.stderr
    with db.session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == "backup.restored"
        assert len(json.loads(event.payload)["data"]["warnings"]) == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_dump_reads_one_snapshot_without_blocking_writers(tmp_path, fresh_pg, backend):
    from bot.migrate import upgrade
    from bot.model import Problem

    url = f"sqlite:///{tmp_path}/snap.sqlite" if backend == "sqlite" else fresh_pg()
    engine = db.make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    upgrade(engine)
    table = Problem.__table__
    row = {"area": "mailbox", "message": "m", "first_seen": utcnow()}
    with engine.begin() as conn:
        conn.execute(insert(table).values(key="before", **row))
    with backup._snapshot(engine) as snap:
        assert [r["key"] for r in backup._rows(snap, table)] == ["before"]
        with engine.begin() as conn:  # a writer goes on while the dump reads
            conn.execute(insert(table).values(key="during", **row))
        assert [r["key"] for r in backup._rows(snap, table)] == ["before"]
    with engine.connect() as conn:
        assert [r["key"] for r in backup._rows(conn, table)] == ["before", "during"]
    engine.dispose()


def test_a_backup_from_an_older_schema_is_restored_and_migrated(tmp_path, cli_env):
    from sqlalchemy import MetaData

    from bot.migrate import upgrade
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path}/old.sqlite"
    engine = db.make_engine(url)
    upgrade(engine, "0010")
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn, only=["state"])
        conn.execute(
            insert(meta.tables["state"]),
            [
                {
                    "code": "KE",
                    "names": {"en": "Kenya"},
                    "un_group": "AFR",
                    "language": "en",
                    "timezone": "Africa/Nairobi",
                },
            ],
        )
    archive = tmp_path / "old.tar.gz"
    manifest = backup.write_backup(
        engine, make_settings(tmp_path, DATABASE_URL=url), archive, utcnow()
    )
    engine.dispose()
    assert manifest.revision == "0010"
    target = env_for(tmp_path, cli_env, "target", f"sqlite:///{tmp_path}/new.sqlite")
    ok(target, "restore", str(archive))
    ok(target, "requests", "list")  # at the latest schema: no upgrade asked for
    with db.session() as s:
        from bot.model import State

        assert s.get(State, "KE").names == {"en": "Kenya"}


def test_the_settings_fingerprint_leaves_the_secrets_out(tmp_path):
    from tests.conftest import make_settings

    def settings(**env: str):
        base = {
            "DATABASE_URL": "postgresql://focalbot:db-pw-1@db.example.org/focalbot",
            "SMTP_URL": "smtps://bot:smtp-pw-1@smtp.example.org",
        }
        return make_settings(tmp_path, **(base | env))

    shown = json.dumps(backup.public_settings(settings()))
    assert "db-pw-1" not in shown and "smtp-pw-1" not in shown and "test-secret-key" not in shown
    assert "db.example.org" in shown and "smtp.example.org" in shown
    one = backup.fingerprints(settings())
    other_password = backup.fingerprints(
        settings(SMTP_URL="smtps://bot:smtp-pw-2@smtp.example.org")
    )
    other_host = backup.fingerprints(settings(SMTP_URL="smtps://bot:smtp-pw-1@mx.example.org"))
    other_key = backup.fingerprints(settings(SECRET_KEY="another-secret-key-0123456789"))
    assert other_password["settings"] == one["settings"] != other_host["settings"]
    assert other_key["settings"] == one["settings"]
    assert other_key["secret_key"] != one["secret_key"]
    # the audit key's file is made with the settings: its fingerprint, never the key itself
    key = settings().audit_key
    assert one["audit_key"] and key.hex() not in json.dumps(one) and one["audit_key"] != key.hex()
