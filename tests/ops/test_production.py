"""Production mode: the web app, the worker, beat and `focalbot run` refuse unsafe settings."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot import config as configuration
from bot.app import create_app
from bot.cli import main
from tests.conftest import make_settings
from tests.integration.conftest import ROOT, focalbot_env

STRONG_KEY = "k3Y-9fQ2vX7rLm0pZt5wBn8cHs4dJg6e"


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        "FOCALBOT_ENV": "production",
        "FOCALBOT_VAR": str(tmp_path / "var"),
        "SECRET_KEY": STRONG_KEY,
        "AUDIT_KEY_FILE": str(tmp_path / "keys" / "audit_key"),
        "SMTP_URL": "smtps://bot:pw@mail.example.org",
        "IMAP_URL": "imaps://bot:pw@mail.example.org/INBOX",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v}


def _problems(tmp_path, **extra: str) -> list[str]:
    env = _env(tmp_path, **extra)
    return configuration.production_problems(configuration.load(env), env)


def test_safe_production_settings_have_no_problem(tmp_path):
    assert _problems(tmp_path) == []


def test_development_mode_accepts_anything(tmp_path):
    env = {"FOCALBOT_VAR": str(tmp_path / "var")}
    settings = configuration.load(env)
    assert settings.environment == "development" and settings.log_format == "text"
    assert configuration.production_problems(settings, env) == []


@pytest.mark.parametrize(
    "extra, needle",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY: unset"),
        ({"SECRET_KEY": "a-key-of-twenty-six-chars!"}, "SECRET_KEY: use at least 32 characters"),
        ({"SECRET_KEY": "change-me-to-a-long-random-string-please"}, "SECRET_KEY: a value from"),
        ({"SECRET_KEY": "ab" * 20}, "SECRET_KEY: too few different characters"),
        ({"AUDIT_KEY_FILE": ""}, "AUDIT_KEY_FILE: unset"),
        ({"SMTP_URL": "smtp://mail.example.org:587"}, "SMTP_URL: mail is sent without TLS"),
        ({"SMTP_URL": ""}, "SMTP_URL: unset"),
        ({"IMAP_URL": "imap://bot:pw@mail.example.org"}, "IMAP_URL: mail is read without TLS"),
        ({"IMAP_URL": ""}, "IMAP_URL: unset"),
    ],
)
def test_each_unsafe_setting_is_a_problem(tmp_path, extra, needle):
    problems = _problems(tmp_path, **extra)
    assert len(problems) == 1 and problems[0].startswith(needle), problems


@pytest.mark.parametrize("key", ["secret", "dev", "change-me"])
def test_a_short_example_key_is_refused(tmp_path, key):
    # shorter than 16 characters, it is refused in development too
    with pytest.raises(configuration.ConfigError, match="SECRET_KEY"):
        _problems(tmp_path, SECRET_KEY=key)


def test_the_web_app_refuses_naming_every_problem_one_per_line(tmp_path, monkeypatch):
    env = _env(tmp_path, SECRET_KEY="", AUDIT_KEY_FILE="", SMTP_URL="smtp://mail:25")
    for name in ("SECRET_KEY", "AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(configuration.ConfigError) as caught:
        create_app()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("production mode (FOCALBOT_ENV=production) refuses to start")
    names = [line.split(":")[0] for line in lines[1:]]
    assert names == ["SECRET_KEY", "AUDIT_KEY_FILE", "SMTP_URL"]
    assert "pw" not in str(caught.value)


def test_the_web_app_starts_in_production_with_safe_settings(tmp_path, monkeypatch):
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    settings = make_settings(tmp_path, **_env(tmp_path))
    app = create_app(settings)
    assert app.config["FOCALBOT"].environment == "production"


@pytest.mark.parametrize("command", [["run", "--no-worker"], ["tick"]])
def test_run_and_tick_refuse_one_line_per_problem_and_exit_2(tmp_path, cli_env, command):
    env = {**cli_env, **_env(tmp_path, SECRET_KEY="short-but-sixteen!", IMAP_URL="imap://h")}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "focalbot: production mode (FOCALBOT_ENV=production) refuses to start:",
        "focalbot: configuration: SECRET_KEY: use at least 32 characters",
        "focalbot: configuration: IMAP_URL: mail is read without TLS (imap://h:143 with "
        "IMAP_STARTTLS=auto); use imaps:// or IMAP_STARTTLS=required",
    ]
    assert result.stdout == ""  # nothing ran: no migration, no planning pass


def test_maintenance_commands_still_work_in_production(tmp_path, cli_env):
    """What puts an installation right is not refused: a generated key, mail without TLS."""
    env = {**cli_env, **_env(tmp_path, SMTP_URL="smtp://h"), "SECRET_KEY": ""}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b.tar.gz")], env=env)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_the_worker_and_beat_refuse_to_start(tmp_path, program):
    env = focalbot_env(tmp_path, FOCALBOT_ENV="production", SMTP_URL="smtp://mail:25")
    env.pop("AUDIT_KEY_FILE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "tasks.celery_app", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "refuses to start" in proc.stderr
    assert "AUDIT_KEY_FILE: unset" in proc.stderr
    assert "SMTP_URL: mail is sent without TLS" in proc.stderr
