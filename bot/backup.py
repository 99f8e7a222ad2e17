"""Backups: one ``.tar.gz`` with a logical dump of every table, the attachment store and a
manifest; and restoring one into an empty database and attachment folder.

The archive holds:

- ``tables/NN-TABLE.jsonl``: every row of each table, one JSON object a line, in the order
  the tables depend on each other (a row's foreign keys point at rows already loaded). Values
  are portable: times in ISO 8601 with their offset, bytes in base64, JSON as JSON; so a dump
  of SQLite restores into PostgreSQL and back.
- ``attachments/aa/bb/SHA256``: the files of ``ATTACHMENT_DIR``, by their SHA-256.
- ``manifest.json``: the schema revision, the time, the rows per table, the SHA-256 of every
  other member, and fingerprints of the settings, of ``SECRET_KEY`` and of the audit key file
  (SHA-256 over them, never the secrets themselves).

Restoring checks every member against the manifest before it changes anything, migrates the
empty database to the dump's revision, only INSERTs (the audit log accepts nothing else),
resets PostgreSQL's sequences, brings the schema to the latest revision and records an
audit event; all of the database's part in one transaction.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Session

from . import audit, db
from .config import Settings
from .migrate import alembic_config
from .model import Base

FORMAT = "focalbot-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500
_TABLE_MEMBER = re.compile(r"tables/\d{2,3}-[a-z0-9_]+\.jsonl")
_ATTACHMENT_MEMBER = re.compile(r"attachments/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be written or restored; the message is one line saying why."""


# -- fingerprints -------------------------------------------------------------------------


def fingerprint(data: bytes, purpose: str) -> str:
    """SHA-256 over ``data``, with the purpose in front so that two fingerprints of one value
    for different uses differ."""
    return hashlib.sha256(f"focalbot {purpose}\n".encode() + data).hexdigest()


def audit_key_path(settings: Settings) -> Path:
    """The audit key file (AUDIT_KEY_FILE)."""
    return settings.audit_key_file


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


_SECRET_WORDS = ("secret", "password", "token", "key")


def public_settings(settings: Settings) -> dict[str, str]:
    """The settings without their secrets: no key, secret or token, URLs without passwords."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(settings):
        if f.name == "extra" or any(word in f.name for word in _SECRET_WORDS):
            continue
        value = getattr(settings, f.name)
        if value is None:
            shown = ""
        elif hasattr(value, "redacted"):
            shown = value.redacted()
        elif f.name.endswith("_url"):
            shown = _without_password(str(value))
        else:
            shown = str(value)
        out[f.name] = shown
    return out


def fingerprints(settings: Settings) -> dict[str, str | None]:
    key_file = audit_key_path(settings)
    try:
        audit_key: bytes | None = key_file.read_bytes()
    except OSError:
        audit_key = None
    canonical = json.dumps(public_settings(settings), sort_keys=True).encode()
    return {
        "settings": fingerprint(canonical, "settings"),
        "secret_key": fingerprint(settings.secret_key.encode(), "secret key"),
        "audit_key": None if audit_key is None else fingerprint(audit_key, "audit key"),
    }


def fingerprint_warnings(backup: dict[str, Any], current: dict[str, str | None]) -> list[str]:
    """What will not verify after restoring a backup made under other keys."""
    warnings = []
    if backup.get("secret_key") != current["secret_key"]:
        warnings.append(
            "the backup was made with another SECRET_KEY: form links, sessions and tokens "
            "issued before it will not verify"
        )
    if backup.get("audit_key") != current["audit_key"]:
        warnings.append(
            "the backup was made with another audit key file: the audit chain may not verify "
            "with the current key"
        )
    return warnings


# -- values -------------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """A column's value as JSON: times with their offset (UTC when stored without), bytes in
    base64, decimals as strings."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_value(value: Any, column_type: Any) -> Any:
    """A dumped value as the target column takes it."""
    if value is None or isinstance(column_type, JSON):
        return value
    if isinstance(column_type, DateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        return moment if column_type.timezone else moment.replace(tzinfo=None)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, Numeric) and not isinstance(column_type, Integer):
        return Decimal(value) if column_type.asdecimal else float(value)
    return value


# -- the archive --------------------------------------------------------------------------


@dataclass
class Manifest:
    revision: str
    created_at: str
    database: str
    tables: list[dict[str, Any]]
    attachments: int
    fingerprints: dict[str, str | None]
    members: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT
    version: int = VERSION

    @property
    def counts(self) -> dict[str, int]:
        return {t["name"]: t["rows"] for t in self.tables}

    def to_json(self) -> bytes:
        data = dataclasses.asdict(self)
        data["counts"] = self.counts
        return json.dumps(data, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError("not a focalbot backup (its manifest has another format)")
            if data.get("version") != VERSION:
                raise BackupError(f"backup format version {data.get('version')} is not known")
            return cls(
                revision=str(data["revision"]),
                created_at=str(data["created_at"]),
                database=str(data["database"]),
                tables=list(data["tables"]),
                attachments=int(data["attachments"]),
                fingerprints=dict(data["fingerprints"]),
                members=dict(data["members"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest cannot be read ({exc})") from None


class _Hashing:
    """A file read through, keeping the SHA-256 of what was read."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        return data


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o600
    tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


def _add_file(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = path.stat().st_size, int(mtime), 0o600
    with path.open("rb") as fh:
        reader = _Hashing(fh)
        tar.addfile(info, reader)
    return reader.sha.hexdigest()


def focalbot_tables(conn: Connection) -> list[Table]:
    """The database's focalbot tables as they are (reflected), in dependency order."""
    names = set(inspect(conn).get_table_names()) & set(Base.metadata.tables)
    metadata = MetaData()
    metadata.reflect(conn, only=sorted(names))
    return list(metadata.sorted_tables)


def current_revision(conn: Connection) -> str:
    heads = MigrationContext.configure(conn).get_current_heads()
    if len(heads) != 1:
        raise BackupError(f"the database has schema versions {heads!r}; expected exactly one")
    return heads[0]


def attachment_files(root: Path) -> Iterator[tuple[str, Path]]:
    """The attachment store's files, as (member name, path), by hash."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/??/*")):
        name = "attachments/" + path.relative_to(root).as_posix()
        if path.is_file() and _ATTACHMENT_MEMBER.fullmatch(name):
            yield name, path


JSON_NULLS = "$json_null"  # the JSON columns of a row that hold JSON's null, not SQL's NULL


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The table's rows by primary key, with portable values; a JSON column holding JSON's
    ``null`` (which reads as None, as SQL's NULL does) is named under ``$json_null``."""
    order = list(table.primary_key.columns) or list(table.columns)
    json_columns = [c for c in table.columns if isinstance(c.type, JSON)]
    flags = [c.is_(None).label(f"{JSON_NULLS}{c.name}") for c in json_columns]
    query = select(table, *flags).order_by(*order)
    result = conn.execution_options(yield_per=BATCH).execute(query)
    for row in result.mappings():
        out = {c.name: encode_value(row[c.name]) for c in table.columns}
        json_nulls = [
            c.name for c in json_columns if row[c.name] is None and not row[f"{JSON_NULLS}{c.name}"]
        ]
        if json_nulls:
            out[JSON_NULLS] = json_nulls
        yield out


def write_backup(engine: Engine, settings: Settings, target: Path, now: datetime) -> Manifest:
    """Write the archive to ``target`` (made readable by its owner only); one consistent
    read of the database."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    stamp = now.timestamp()
    members: dict[str, str] = {}
    tables: list[dict[str, Any]] = []
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            with _snapshot(engine) as conn:
                revision = current_revision(conn)
                for i, table in enumerate(focalbot_tables(conn), 1):
                    name = f"tables/{i:02d}-{table.name}.jsonl"
                    count, digest = _add_table(tar, name, conn, table, stamp)
                    members[name] = digest
                    tables.append({"name": table.name, "file": name, "rows": count})
            count_files = 0
            for name, path in attachment_files(settings.attachment_dir):
                members[name] = _add_file(tar, name, path, stamp)
                count_files += 1
            manifest = Manifest(
                revision=revision,
                created_at=now.astimezone(UTC).isoformat(),
                database=engine.dialect.name,
                tables=tables,
                attachments=count_files,
                fingerprints=fingerprints(settings),
                members=members,
            )
            _add_bytes(tar, MANIFEST, manifest.to_json(), stamp)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _add_table(
    tar: tarfile.TarFile, name: str, conn: Connection, table: Table, stamp: float
) -> tuple[int, str]:
    """Spool the table's rows to a temporary file, then add it (tar needs the size first)."""
    count = 0
    with tempfile.TemporaryFile() as spool:
        for row in _rows(conn, table):
            spool.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
            spool.write(b"\n")
            count += 1
        size = spool.tell()
        spool.seek(0)
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(stamp), 0o600
        reader = _Hashing(spool)
        tar.addfile(info, reader)
    return count, reader.sha.hexdigest()


class _snapshot:
    """A connection that reads the whole database as of one moment."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> Connection:
        conn = self.engine.connect()
        self.sqlite = self.engine.dialect.name == "sqlite"
        if self.sqlite:
            # A deferred transaction: one snapshot of the WAL, without the write lock that
            # the engine's BEGIN IMMEDIATE takes (the bot goes on writing meanwhile).
            conn = conn.execution_options(**{db.READ_ONLY: True})
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self.conn = conn
        return conn

    def __exit__(self, *exc: object) -> None:
        if self.sqlite:
            self.conn.exec_driver_sql("ROLLBACK")
        self.conn.rollback()
        self.conn.close()


# -- reading an archive back --------------------------------------------------------------


@dataclass
class Unpacked:
    """A verified archive, extracted to ``root``."""

    root: Path
    manifest: Manifest

    def rows(self, member: str) -> Iterator[dict[str, Any]]:
        with (self.root / member).open("rb") as fh:
            for line in fh:
                yield json.loads(line)

    def attachments(self) -> list[str]:
        return sorted(m for m in self.manifest.members if m.startswith("attachments/"))


def unpack(archive: Path, into: Path) -> Unpacked:
    """Extract ``archive`` into the folder ``into``, checking every member's SHA-256 against
    the manifest; raise BackupError at the first that does not hold."""
    seen: dict[str, str] = {}
    manifest_raw: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = member.name
                if not member.isfile():
                    raise BackupError(f"the archive holds {name!r}, which is not a file")
                if name == MANIFEST:
                    fh = tar.extractfile(member)
                    manifest_raw = fh.read() if fh else b""
                    continue
                if not (_TABLE_MEMBER.fullmatch(name) or _ATTACHMENT_MEMBER.fullmatch(name)):
                    raise BackupError(f"the archive holds {name!r}, which a backup does not")
                if name in seen:
                    raise BackupError(f"the archive holds {name!r} twice")
                seen[name] = _extract(tar, member, into / name)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.filename == str(archive):
            raise BackupError(f"cannot read the archive: {exc.strerror or exc}") from None
        raise BackupError(f"the archive is damaged ({type(exc).__name__}: {exc})") from None
    if manifest_raw is None:
        raise BackupError("the archive has no manifest.json")
    manifest = Manifest.from_json(manifest_raw)
    for name, digest in manifest.members.items():
        if name not in seen:
            raise BackupError(f"the archive is damaged: {name} is missing")
        if seen[name] != digest:
            raise BackupError(f"the archive is damaged: {name} does not match its SHA-256")
    extra = sorted(set(seen) - set(manifest.members))
    if extra:
        raise BackupError(f"the archive is damaged: {extra[0]} is not in the manifest")
    for name in manifest.members:
        match = _ATTACHMENT_MEMBER.fullmatch(name)
        if match and _file_sha256(into / name) != match.group(3):
            raise BackupError(f"the archive is damaged: {name} does not hold what its name says")
    return Unpacked(into, manifest)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> str:
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"{member.name} cannot be read")
    path.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256()
    with path.open("wb") as out:
        while chunk := source.read(_CHUNK):
            sha.update(chunk)
            out.write(chunk)
    return sha.hexdigest()


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


# -- restoring ----------------------------------------------------------------------------


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def data_held(conn: Connection) -> dict[str, int]:
    """Rows in each focalbot table that has any (empty: nothing would be overwritten)."""
    held = {}
    for table in focalbot_tables(conn):
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            held[table.name] = int(n)
    return held


def folder_has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() for p in root.rglob("*"))


def drop_schema(conn: Connection) -> None:
    """Drop focalbot's tables and the schema version (DROP, never DELETE: the audit log
    refuses DELETE), and on PostgreSQL the trigger functions the migrations made."""
    names = set(inspect(conn).get_table_names())
    metadata = MetaData()
    metadata.reflect(conn, only=sorted(names & (set(Base.metadata.tables) | {"alembic_version"})))
    postgresql = conn.dialect.name == "postgresql"
    for table in reversed(metadata.sorted_tables):
        cascade = " CASCADE" if postgresql else ""
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"{cascade}')
    if postgresql:
        functions = conn.execute(
            text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype "
                "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid "
                "AND d.deptype = 'e')"
            )
        ).scalars()
        for signature in list(functions):
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")


def _migrate(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _ordered(
    rows: list[dict[str, Any]], table: Table
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Rows of a table that refers to itself, each after the row it refers to.

    Returns those rows, the rows caught in a cycle (loaded without their links, which are set
    afterwards) and the self-referring columns.
    """
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        return rows, [], []
    placed: dict[str, set[Any]] = {target: set() for _, target in links}
    ordered: list[dict[str, Any]] = []
    waiting = rows
    while waiting:
        still = []
        for row in waiting:
            if all(row.get(col) is None or row[col] in placed[tgt] for col, tgt in links):
                ordered.append(row)
                for _, tgt in links:
                    placed[tgt].add(row.get(tgt))
            else:
                still.append(row)
        if len(still) == len(waiting):
            return ordered, still, [col for col, _ in links]
        waiting = still
    return ordered, [], [col for col, _ in links]


def _decoded(table: Table, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    types = {c.name: c.type for c in table.columns}
    for row in rows:
        json_nulls = row.pop(JSON_NULLS, [])
        unknown = set(row) - set(types)
        if unknown:
            raise BackupError(f"table {table.name} has no column {sorted(unknown)[0]!r}")
        values = {k: decode_value(v, types[k]) for k, v in row.items()}
        values.update({name: JSON.NULL for name in json_nulls if name in types})
        yield values


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_table(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """INSERT the rows, a batch at a time; a table that refers to itself is put in order
    first (held in memory: the directory's tables, not the mail)."""
    for column in table.columns:  # None is SQL's NULL; JSON.NULL is JSON's null
        if isinstance(column.type, JSON):
            column.type = JSON(none_as_null=True)
    decoded: Iterable[dict[str, Any]] = _decoded(table, rows)
    cyclic: list[dict[str, Any]] = []
    self_columns: list[str] = []
    if any(fk.column.table is table for fk in table.foreign_keys):
        ordered, cyclic, self_columns = _ordered(list(decoded), table)
        unlinked = {c: None for c in self_columns}
        decoded = ordered + [{**row, **unlinked} for row in cyclic]
    count = 0
    for batch in _batches(decoded):
        conn.execute(table.insert(), batch)
        count += len(batch)
    key = list(table.primary_key.columns)
    for row in cyclic:
        where = [col == row[col.name] for col in key]
        conn.execute(table.update().where(*where).values({c: row[c] for c in self_columns}))
    return count


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Set each PostgreSQL sequence behind a primary key past the highest id loaded."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": f'"{table.name}"', "c": column.name},
            ).scalar()
            if sequence:
                conn.execute(
                    text(
                        f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"s": sequence},
                )


@dataclass
class Restored:
    manifest: Manifest
    rows: int
    attachments: int
    warnings: list[str]
    replaced: bool


def restore(
    engine: Engine, settings: Settings, archive: Path, *, replace: bool = False, actor: str = "cli"
) -> Restored:
    """Restore ``archive`` into the database and the attachment folder.

    Refuses (BackupError, nothing changed) when the archive is damaged, its schema revision
    is unknown, or the database or the folder hold data and ``replace`` is not given.
    """
    folder = settings.attachment_dir
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=folder.parent) as tmp:
        unpacked = unpack(archive, Path(tmp))
        manifest = unpacked.manifest
        if manifest.revision not in known_revisions():
            raise BackupError(
                f"the backup's schema version {manifest.revision} is not known to this focalbot "
                "(made by a newer release?); nothing was restored"
            )
        with engine.connect() as conn:
            held = data_held(conn)
            conn.rollback()
        if not replace and (held or folder_has_files(folder)):
            where = (
                f"the database holds data ({sum(held.values())} rows in {len(held)} tables)"
                if held
                else f"the attachment folder {folder} holds files"
            )
            raise BackupError(
                f"{where}; restore into an empty database and folder, or give --replace"
            )
        warnings = fingerprint_warnings(manifest.fingerprints, fingerprints(settings))
        rows = _restore_database(engine, unpacked, archive, warnings, actor, replaced=bool(held))
        _restore_attachments(unpacked, folder)
    return Restored(manifest, rows, len(unpacked.attachments()), warnings, bool(held))


def _restore_database(
    engine: Engine,
    unpacked: Unpacked,
    archive: Path,
    warnings: list[str],
    actor: str,
    *,
    replaced: bool,
) -> int:
    manifest = unpacked.manifest
    total = 0
    with engine.begin() as conn:
        drop_schema(conn)
        _migrate(conn, manifest.revision)
        tables = {t.name: t for t in focalbot_tables(conn)}
        for entry in manifest.tables:
            table = tables.get(entry["name"])
            if table is None:
                raise BackupError(f"the schema at {manifest.revision} has no {entry['name']}")
            total += _load_table(conn, table, unpacked.rows(entry["file"]))
        reset_sequences(conn, tables.values())
        _migrate(conn, "head")
        with Session(bind=conn) as session:
            audit.record(
                session,
                "backup.restored",
                actor=actor,
                subject_type="backup",
                subject_id=archive.name[:64],
                created_at=manifest.created_at,
                revision=manifest.revision,
                source=manifest.database,
                counts=manifest.counts,
                attachments=manifest.attachments,
                replaced=replaced,
                warnings=warnings,
            )
            session.flush()
    return total


def _restore_attachments(unpacked: Unpacked, folder: Path) -> None:
    """Make the folder hold exactly the backup's files."""
    if folder.exists():
        for path in sorted(folder.iterdir()):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for name in unpacked.attachments():
        target = folder / name.removeprefix("attachments/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked.root / name), target)
