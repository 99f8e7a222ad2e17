"""Helpers shared by the benchmarks: a migrated database and an app, outside the test suite."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LANG_STATES = {"ar": "EG", "zh": "CN", "en": "KE", "fr": "FR", "ru": "RU", "es": "MX"}


def make_app(database_url: str | None = None, **env: str):
    from bot import config, db
    from bot.app import create_app
    from bot.migrate import upgrade

    var = Path(tempfile.mkdtemp(prefix="focalbot-bench-"))
    values = {
        "FOCALBOT_VAR": str(var),
        "SECRET_KEY": "bench-secret-key-0123456789",
        "POLICY_FILE": str(ROOT / "bot" / "data" / "policies" / "demo.toml"),
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        values["DATABASE_URL"] = database_url
    values.update(env)
    settings = config.load(values)
    app = create_app(settings)
    upgrade(db.engine())
    return app, settings


def fresh_pg_database() -> str:
    import uuid

    import psycopg

    name = f"focalbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    from bot import db

    db.engine().dispose()
    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_states(session) -> None:
    from bot.model import Instrument, State

    for lang, code in LANG_STATES.items():
        session.add(
            State(code=code, names={"en": code}, un_group="X", language=lang, timezone="UTC")
        )
    session.add(
        Instrument(
            code="UNTOC",
            names={"en": "United Nations Convention against Transnational Organized Crime"},
        )
    )
    session.flush()
