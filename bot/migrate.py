"""Schema migrations (Alembic), run from code: ``focalbot db upgrade``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, audit_key: bytes | None = None) -> None:
    """Migrate to ``revision``. A migration that needs the audit key (0012 chains the log
    with it) is given ``audit_key``, or reads it from the environment's AUDIT_KEY_FILE."""
    cfg = alembic_config()
    if audit_key:
        cfg.attributes["audit_key"] = audit_key
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against this focalbot's migrations.

    ``status`` is one of: ``current`` (at the latest schema), ``empty`` (no tables),
    ``behind`` (an older schema that ``upgrade`` brings forward), ``unversioned`` (tables
    but no schema version: not made by focalbot) or ``unknown`` (a schema version this
    focalbot does not have, e.g. from a newer release).
    """

    status: str
    revisions: tuple[str, ...] = ()


def schema_state(conn: Connection) -> SchemaState:
    script = ScriptDirectory.from_config(alembic_config())
    current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    if not current:
        return SchemaState("unversioned" if inspect(conn).get_table_names() else "empty")
    if set(current) == set(script.get_heads()):
        return SchemaState("current", current)
    known = {rev.revision for rev in script.walk_revisions()}
    return SchemaState("behind" if set(current) <= known else "unknown", current)
