"""One-line messages instead of tracebacks: the database's state, bad input, faults."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from bot import db
from bot.cli import base, core, main
from bot.migrate import upgrade


def _run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


def _one_line(result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def blank_env(tmp_path, cli_env):
    """The test environment with DATABASE_URL at an SQLite file not yet made."""
    path = tmp_path / "blank" / "focalbot.sqlite"
    return {**cli_env, "DATABASE_URL": f"sqlite:///{path}"}, path


def test_an_empty_database_names_the_command_to_run_then_works_after_it(blank_env):
    env, path = blank_env
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()  # a file with no tables
    listed = _run(env, "requests", "list")
    assert listed.exit_code == 2
    assert _one_line(listed) == (
        f"focalbot: the database at sqlite:///{path} has no tables; run `focalbot db upgrade` first"
    )
    upgraded = _run(env, "db", "upgrade")
    assert upgraded.exit_code == 0 and "database is up to date" in upgraded.output
    again = _run(env, "requests", "list", "--json")
    assert again.exit_code == 0 and again.output.strip() == "[]"


def test_an_older_schema_asks_for_an_upgrade(blank_env):
    env, path = blank_env
    engine = db.make_engine(env["DATABASE_URL"])
    upgrade(engine, "0001")
    engine.dispose()
    result = _run(env, "tick")
    assert result.exit_code == 2
    assert _one_line(result).endswith("has an older schema (0001); run `focalbot db upgrade` first")


def test_a_schema_from_a_newer_release_is_not_touched(blank_env):
    env, path = blank_env
    engine = db.make_engine(env["DATABASE_URL"])
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    engine.dispose()
    for args in (["requests", "list"], ["db", "upgrade"], ["seed"]):
        result = _run(env, *args)
        assert result.exit_code == 2
        assert "schema version 9999_future, which this focalbot does not know" in _one_line(result)
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [("9999_future",)]


def test_seed_migrates_first_and_tick_does_not(blank_env):
    env, path = blank_env
    tick = _run(env, "tick")
    assert tick.exit_code == 2 and "run `focalbot db upgrade` first" in _one_line(tick)
    assert not path.exists()
    seeded = _run(env, "seed")
    assert seeded.exit_code == 0, seeded.output
    assert "States: 195 added" in seeded.output
    assert _run(env, "tick").exit_code == 0
    assert "migrates the database" in _run(env, "seed", "--help").output
    assert "does not migrate the database" in _run(env, "tick", "--help").output


def test_a_bad_setting_is_one_line_naming_it(cli_env):
    result = _run({**cli_env, "LOG_LEVEL": "LOUD"}, "requests", "list")
    assert result.exit_code == 2
    assert _one_line(result) == (
        "focalbot: configuration: LOG_LEVEL: one of DEBUG, INFO, WARNING, ERROR"
    )


def test_bad_dates_and_unknown_states(cli_env):
    _run(cli_env, "seed")
    date = _run(
        cli_env,
        "requests",
        "create",
        "--state",
        "FR",
        "--kind",
        "questionnaire",
        "--due",
        "2027-02-30",
    )
    assert date.exit_code == 2 and "Invalid value for '--due'" in date.stderr
    assert "Traceback" not in date.output
    state = _run(
        cli_env,
        "requests",
        "create",
        "--state",
        "ZZ",
        "--kind",
        "questionnaire",
        "--due",
        "2027-02-01",
    )
    assert state.exit_code == 1
    assert "no State with code 'ZZ'; run `focalbot seed` first" in _one_line(state)


def test_a_missing_input_file(cli_env, tmp_path):
    result = _run(cli_env, "directory", "import", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.output
    email = _run(cli_env, "inspect-email", str(tmp_path / "nowhere.eml"))
    assert email.exit_code == 2
    assert _one_line(email) == (
        f"focalbot: cannot read {tmp_path / 'nowhere.eml'}: No such file or directory"
    )


@pytest.mark.parametrize("policy", ["missing", "not toml", "a folder"])
def test_a_bad_policy_file(cli_env, tmp_path, policy):
    path = tmp_path / "policy.toml"
    if policy == "not toml":
        path.write_text("[ladders\n")
    elif policy == "a folder":
        path.mkdir()
    env = {**cli_env, "POLICY_FILE": str(path)}
    dry = _run(env, "plan", "--dry-run")
    assert dry.exit_code == 2
    assert str(path) in _one_line(dry)
    for args in (["plan"], ["tick"]):
        result = _run(env, *args)
        assert "Traceback" not in result.output
        assert f"problem: {path}" in result.stderr


def test_a_value_error_from_the_domain_is_one_line(cli_env, monkeypatch):
    def tick(_settings):
        raise ValueError("the policy has no step 'reminder9'")

    monkeypatch.setattr(core.service, "tick", tick)
    result = _run(cli_env, "tick")
    assert result.exit_code == 2
    assert _one_line(result) == "focalbot: the policy has no step 'reminder9'"


def test_a_fault_is_one_line_and_its_traceback_only_with_debug(cli_env, monkeypatch):
    secret = "pw-" + "x" * 12
    env = {**cli_env, "SMTP_URL": f"smtp://user:{secret}@127.0.0.1:1"}

    def counts(_session, _ids):
        raise KeyError(f"lost at smtp://user:{secret}@127.0.0.1:1")

    monkeypatch.setattr(core, "message_counts", counts)
    quiet = _run(env, "requests", "list")
    assert quiet.exit_code == 1
    line = _one_line(quiet)
    assert line.startswith("focalbot: unexpected error: KeyError: ")
    assert line.endswith("run again with `focalbot --debug` to see where")
    assert secret not in quiet.output and "user:***@" in line
    for loud in (
        _run(env, "--debug", "requests", "list"),
        _run({**env, "LOG_LEVEL": "DEBUG"}, "requests", "list"),
    ):
        assert loud.exit_code == 1
        assert "Traceback (most recent call last)" in loud.stderr
        assert "in counts" in loud.stderr
        assert secret not in loud.output


def test_reason_is_the_drivers_last_words():
    class Orig(Exception):
        pass

    class Wrapped(Exception):
        orig = Orig(
            'connection failed: connection to server at "h", port 1 failed: '
            "Connection refused\n\tIs the server running?"
        )

    assert base.reason(Wrapped()) == "connection refused"
    assert base.reason(ValueError("")) == "ValueError"


def test_scrub_masks_every_password_and_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p%40ss-word@h/db")
    monkeypatch.setenv("IMAP_URL", "imap://u:imap-pw-1@h")
    monkeypatch.setenv("SECRET_KEY", "k" * 20)
    text = base.scrub(f"p%40ss-word p@ss-word imap-pw-1 {'k' * 20} kept")
    assert text == "*** *** *** *** kept"
