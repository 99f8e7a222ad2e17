"""docker-compose.yml as Debian's docker-compose reads it (`docker-compose config`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot import config as configuration

ROOT = Path(__file__).resolve().parents[2]
KEY = "Zq8vN2xR5tL9wB4mK7pD3fH6jS1cG0aE-uY"
FOCALBOT = ("migrate", "web", "worker", "beat")


def compose(*args: str, **env: str) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed; run `bash scripts/test-services.sh`")
    return subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"), *args],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_docker_compose_accepts_the_file():
    result = compose("config", "-q", SECRET_KEY=KEY)
    assert result.returncode == 0, result.stderr


def test_the_stack_will_not_start_without_a_secret_key():
    result = compose("config", "-q")
    assert result.returncode != 0
    assert "set SECRET_KEY to a long random string" in result.stderr


@pytest.fixture(scope="module")
def services() -> dict:
    result = compose("config", SECRET_KEY=KEY)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_it_runs_the_whole_stack(services):
    assert {*FOCALBOT, "postgres", "redis", "mail"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][3:5] == ["--quiet", "worker"]
    assert services["beat"]["command"][3:5] == ["--quiet", "beat"]
    assert "3025" in str(services["mail"]["ports"]) and "3143" in str(services["mail"]["ports"])


def test_migrations_run_once_before_the_rest(services):
    assert services["migrate"]["command"] == ["focalbot", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name


def test_healthchecks(services):
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])


def _settings(tmp_path, environment: dict) -> tuple[configuration.Settings, dict[str, str]]:
    env = {k: str(v) for k, v in environment.items()} | {"FOCALBOT_VAR": str(tmp_path)}
    return configuration.load(env), env


def test_as_written_it_starts_in_development_mode_with_json_logs(tmp_path, services):
    ours = [n for n, service in services.items() if service.get("image") == "focalbot:latest"]
    assert set(FOCALBOT) <= set(ours)
    for name in ours:
        settings, env = _settings(tmp_path, services[name]["environment"])
        assert settings.environment == "development" and settings.log_format == "json"
        assert configuration.production_problems(settings, env) == []


def test_production_mode_refuses_the_development_mail_server(tmp_path):
    result = compose("config", SECRET_KEY=KEY, FOCALBOT_ENV="production")
    environment = yaml.safe_load(result.stdout)["services"]["web"]["environment"]
    settings, env = _settings(tmp_path, environment)
    # the audit key is the compose file's secret; the development mail server has no TLS
    assert [p.split(":")[0] for p in configuration.production_problems(settings, env)] == [
        "SMTP_URL",
        "IMAP_URL",
    ]
    ready = compose(
        "config",
        SECRET_KEY=KEY,
        FOCALBOT_ENV="production",
        SMTP_URL="smtps://bot:pw@smtp.example.org",
        IMAP_URL="imaps://bot:pw@imap.example.org/INBOX",
        AUDIT_KEY_FILE="/run/secrets/audit_key",
    )
    environment = yaml.safe_load(ready.stdout)["services"]["worker"]["environment"]
    settings, env = _settings(tmp_path, environment)
    assert configuration.production_problems(settings, env) == []
