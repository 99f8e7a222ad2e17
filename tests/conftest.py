"""Shared fixtures: settings, a migrated database, the app and its clients.

Server fixtures (SMTP, PostgreSQL, Redis, Dovecot) live in tests/servers.py and
tests/dovecot.py and are loaded as plugins.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from bot import config as configuration
from bot import db

pytest_plugins = ["tests.servers", "tests.dovecot", "tests.tlsca", "tests.oauth"]
_LOG_KEY = pytest.StashKey[Path]()


def pytest_sessionstart(session):
    """Every log record of the run goes to one file (tests/secretlog.py)."""
    from tests import secretlog

    folder = session.config._tmp_path_factory.getbasetemp()
    session.config.stash[_LOG_KEY] = secretlog.start(folder)


def pytest_sessionfinish(session, exitstatus):
    """The run fails when a password, token or key the tests used is in the log."""
    from tests import secretlog

    found = secretlog.finish()
    if not found:
        return
    path = session.config.stash.get(_LOG_KEY, None)
    lines = [f"secrets in the test log {path}:"]
    lines += [
        f"  {secretlog.mask(s)} in: {line.replace(s, secretlog.mask(s))[:300]}"
        for s, line in sorted(found.items())
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line("\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


DEMO_POLICY = Path(__file__).resolve().parent.parent / "bot" / "data" / "policies" / "demo.toml"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def make_settings(tmp_path: Path, **env: str) -> configuration.Settings:
    base = {
        "FOCALBOT_VAR": str(tmp_path / "var"),
        "SECRET_KEY": "test-secret-key-0123456789",
        "REPLY_ADDRESS": "replies@secretariat.example.org",
        "MAIL_FROM": "UNTOC secretariat <secretariat@secretariat.example.org>",
        "PUBLIC_URL": "http://bot.example.org",
        # mail at any hour on any day, no minimum gap: tests that need the calendar set their own
        "POLICY_FILE": str(DEMO_POLICY),
    }
    base.update(env)
    return configuration.load(base)


# A Monday morning in UTC, away from the default policy's holidays: tests that read
# today's date run on it (the clock still moves), so that no calendar day changes them.
FIXED_NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def fixed_clock():
    """Start the clock at FIXED_NOW for this test (in this process only)."""
    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test (migrating is the slow part)."""
    from bot.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def settings(tmp_path, _migrated_sqlite) -> configuration.Settings:
    target = tmp_path / "focalbot.sqlite"
    shutil.copy(_migrated_sqlite, target)
    return make_settings(tmp_path, DATABASE_URL=f"sqlite:///{target}")


@pytest.fixture
def app(settings):
    from bot.app import create_app

    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        yield app


@pytest.fixture
def csrf_app(settings):
    """The app with CSRF checks on, as in production."""
    from bot.app import create_app

    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    s = db.SessionFactory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared (test corpora) is not beside this clone")
    return SHARED


@pytest.fixture
def cli_env(settings) -> dict[str, str]:
    """Environment under which ``focalbot`` commands use the test database and policy."""
    return {
        "FOCALBOT_VAR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "POLICY_FILE": str(settings.policy_file),
    }


@pytest.fixture(autouse=True)
def _no_log_ids_of_earlier_tests():
    """A response an earlier test left unclosed keeps its request id set in this thread."""
    from bot import logs

    logs.REQUEST_ID.set(None)
    logs.TASK_ID.set(None)
