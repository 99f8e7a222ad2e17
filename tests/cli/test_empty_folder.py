"""Every command, run where there is no database or none that answers, says in one line what
is wrong and what to run, with exit status 2, and never prints a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = ROOT / "tests" / "fixtures" / "mail"
UNREACHABLE = "postgresql://postgres:s3cret-pw@127.0.0.1:1/x"

# Arguments that get each command past its own checks of its options, to where it needs the
# database. A command not listed here runs with no arguments.
ARGS = {
    "requests create": ["--state", "FR", "--kind", "questionnaire", "--due", "2027-01-01"],
    "campaign create": ["--kind", "questionnaire", "--due", "2027-01-01", "--states", "FR"],
    "directory import": ["{csv}"],
    "directory export": ["{csv}"],
    "user create": ["someone@example.org"],
    "apikey create": ["someone@example.org"],
    "apikey revoke": ["fbk_00000000"],
    "user reset-totp": ["someone@example.org"],
    "inspect-email": ["{eml}"],
    "report responses": ["--output", "{csv}"],
    "backup": ["{csv}.tar.gz"],
    "restore": ["{csv}.tar.gz"],
    # never serves: a port out of range with SQLite (which `run` would migrate and use), and an
    # address that cannot be bound if it ever got past the database check of PostgreSQL
    "run": {
        "sqlite": ["--no-worker", "--port", "70000"],
        "postgresql": ["--no-worker", "--host", "256.0.0.0"],
    },
}

# Commands that work on a missing SQLite file (they create the database), or need none.
WORKS = {
    "sqlite": {"db upgrade", "seed", "inspect-email"},
    "postgresql": {"inspect-email"},
}


def commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


ALL = list(commands(main))


def test_every_command_is_listed():
    core = {"db upgrade", "tick", "requests list", "seed", "run", "plan", "inspect-email"}
    assert core <= set(ALL)
    assert set(ARGS) <= set(ALL)


@pytest.fixture
def empty(tmp_path, monkeypatch):
    """An empty working folder with an empty FOCALBOT_VAR, nothing else from the environment."""
    folder = tmp_path / "empty"
    (folder / "var").mkdir(parents=True)
    monkeypatch.chdir(folder)
    (folder / "contacts.csv").write_text("state,role,emails\nKE,focal_point,a@example.org\n")
    return folder


def _env(folder: Path, database: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        name: None for name in ("SECRET_KEY", "POLICY_FILE", "SMTP_URL", "IMAP_URL", "LOG_LEVEL")
    }
    env.update(FOCALBOT_VAR=str(folder / "var"), CELERY_BROKER_URL="memory://")
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder / 'var' / 'focalbot.sqlite'}"
    else:
        env["DATABASE_URL"] = UNREACHABLE
    return env


def _args(name: str, database: str, folder: Path) -> list[str]:
    args = ARGS.get(name, [])
    if isinstance(args, dict):
        args = args[database]
    eml = next(MESSAGE.rglob("*.eml"))
    return [a.format(csv=folder / "contacts.csv", eml=eml) for a in args]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("name", ALL)
def test_on_a_missing_database(empty, name, database):
    args = [*name.split(), *_args(name, database, empty)]
    result = CliRunner().invoke(main, args, env=_env(empty, database))
    output = result.output
    assert "Traceback" not in output
    handled = result.exception is None or isinstance(result.exception, SystemExit)
    assert handled, repr(result.exception)
    assert "s3cret-pw" not in output
    if name in WORKS[database]:
        assert result.exit_code == 0, output
        return
    assert result.exit_code == 2, output
    if name == "run" and database == "sqlite":
        assert "Invalid value for '--port'" in result.stderr
        return
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    if name == "restore" and database == "sqlite":  # restoring makes the database, but
        assert lines[0].endswith("cannot read the archive: No such file or directory")
        assert not (empty / "var" / "focalbot.sqlite").exists()  # not without an archive
        return
    if database == "sqlite":
        assert lines[0] == (
            f"focalbot: there is no database at sqlite:///{empty / 'var' / 'focalbot.sqlite'}; "
            "run `focalbot db upgrade` first, or check DATABASE_URL"
        )
        # nothing was made in its place: a wrong DATABASE_URL does not become a new database
        assert not (empty / "var" / "focalbot.sqlite").exists()
    else:
        assert lines[0] == (
            "focalbot: the database at postgresql://postgres:***@127.0.0.1:1/x cannot be reached "
            "(connection refused); check DATABASE_URL"
        )


def test_help_lists_the_commands_and_works_anywhere(empty):
    result = CliRunner().invoke(main, ["--help"], env=_env(empty, "postgresql"))
    assert result.exit_code == 0
    assert all(f"  {name.split()[0]} " in result.output for name in ALL)


def test_the_installed_command_says_the_same(empty):
    """Through the real entry point, as a person runs it: stderr is the one line."""
    env = {k: v for k, v in os.environ.items() if k not in ("POLICY_FILE", "LOG_LEVEL")}
    env.update({k: v for k, v in _env(empty, "sqlite").items() if v is not None})
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "requests", "list"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("focalbot: there is no database at sqlite:///")
    assert done.stderr.count("\n") == 1
