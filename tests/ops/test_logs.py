"""JSON log lines with the web request's or the Celery task's id on every line."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from typing import Any

import pytest
from celery import Celery
from click.testing import CliRunner
from flask import current_app
from werkzeug.test import EnvironBuilder

from bot import access, logs
from bot.app import create_app
from bot.cli import main
from tests.conftest import make_settings
from tests.integration.conftest import ROOT, focalbot_env, wait_until
from tests.servers import free_port

HEX32 = r"^[0-9a-f]{32}$"


@pytest.fixture
def json_lines():
    """The process's log in JSON, written to a buffer; returns a function reading it."""
    buffer = io.StringIO()
    handler = logs.configure("INFO", "json", stream=buffer)
    assert handler is not None

    def read() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield read
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def json_app(tmp_path, settings, json_lines, monkeypatch):
    monkeypatch.setitem(access.ACCESS, "test_log", access.PUBLIC)  # the route below
    app = create_app(
        make_settings(tmp_path, DATABASE_URL=settings.database_url, LOG_FORMAT="json"),
        TESTING=True,
    )

    @app.get("/test-log")
    def test_log():
        current_app.logger.info("in the view")
        logging.getLogger("bot.somewhere").warning("deeper down")
        try:
            raise ValueError("a fault")
        except ValueError:
            logging.getLogger("bot.somewhere").exception("it failed")
        return "ok"

    return app


def test_a_requests_lines_carry_the_id_echoed_in_its_response(json_app, json_lines):
    resp = json_app.test_client().get("/test-log", headers={"X-Request-ID": "edge-7f3a.b_C"})
    resp.close()  # as a WSGI server does: the id is unset with the response
    assert resp.headers["X-Request-ID"] == "edge-7f3a.b_C"
    lines = [line for line in json_lines() if line["logger"] != "werkzeug"]
    assert [line["message"] for line in lines] == ["in the view", "deeper down", "it failed"]
    assert {line["request_id"] for line in lines} == {"edge-7f3a.b_C"}
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert line["time"].endswith("+00:00")
    assert lines[0]["logger"] == "focalbot" and lines[1]["level"] == "WARNING"
    assert "ValueError: a fault" in lines[2]["exc_info"] and isinstance(lines[2]["exc_info"], str)


def test_a_request_without_an_id_gets_one(json_app, json_lines):
    first = json_app.test_client().get("/test-log")
    first.close()
    second = json_app.test_client().get("/test-log")
    second.close()
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2
    assert {line["request_id"] for line in json_lines()} == ids
    for request_id in ids:
        assert len(request_id) == 32 and int(request_id, 16) >= 0


@pytest.mark.parametrize(
    "header",
    [
        "x" * 65,
        "with space",
        "évidence",
        "id\r\nSet-Cookie: session=stolen",
        "id\nX-Injected: 1",
        "",
        "<script>",
    ],
)
def test_a_bad_request_id_is_replaced_not_echoed(json_app, json_lines, header):
    environ = EnvironBuilder(path="/test-log").get_environ()
    environ["HTTP_X_REQUEST_ID"] = header
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["headers"] = headers

    body = json_app(environ, start_response)
    b"".join(body)
    body.close()  # as a WSGI server does
    values = [v for k, v in seen["headers"] if k.lower() == "x-request-id"]
    assert len(values) == 1 and values[0] != header and len(values[0]) == 32
    assert not any("\n" in v or "\r" in v or "Injected" in k for k, v in seen["headers"])
    assert {line["request_id"] for line in json_lines()} == {values[0]}


def test_a_commands_lines_share_one_id(tmp_path, cli_env, json_lines):
    long_url = "https://correspondence.secretariat.example.org"  # create_app warns about it
    env = {**cli_env, "LOG_FORMAT": "json", "PUBLIC_URL": long_url}
    result = CliRunner().invoke(main, ["requests", "list"], env=env)
    assert result.exit_code == 0, result.output
    logging.getLogger("bot.cli").info("outside a command")
    lines = json_lines()
    inside = [line["request_id"] for line in lines if line["message"] != "outside a command"]
    assert inside and len(set(inside)) == 1 and inside[0] is not None
    assert "PUBLIC_URL" in lines[0]["message"]
    assert lines[-1]["request_id"] is None


def _spawn(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, list[str], Any]:
    """Start ``python -m ARGS``; its output's lines are gathered in the list as they come."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def run() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return proc, lines, thread


def _stop(proc: subprocess.Popen, thread: threading.Thread) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    thread.join(timeout=5)


def test_gunicorn_writes_json_lines_with_the_request_id(tmp_path, settings):
    port = free_port()
    env = focalbot_env(
        tmp_path, DATABASE_URL=settings.database_url, FOCALBOT_ENV="development", LOG_FORMAT="json"
    )
    proc, lines, thread = _spawn(
        ["gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"]
        + ["--logger-class", "bot.weblog.GunicornLogger", "bot.wsgi:app"],
        env,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                return True
            except OSError:
                return False

        wait_until(up, timeout=60, what="gunicorn to answer")
        ids = []
        for header in ("lb-0001", "bad id\twith tab"):
            req = urllib.request.Request(
                f"{url}/f/SECRETTOKEN123", headers={"X-Request-ID": header}
            )
            try:
                resp = urllib.request.urlopen(req, timeout=5)
            except urllib.error.HTTPError as exc:
                resp = exc
            ids.append(resp.headers["X-Request-ID"])
        assert ids[0] == "lb-0001" and ids[1] != "bad id\twith tab" and len(ids[1]) == 32
        wait_until(lambda: sum("/f/" in line for line in lines) >= 2, what="the access lines")
    finally:
        _stop(proc, thread)
    parsed = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    access = [p for p in parsed if "/f/" in p["message"]]
    assert [p["request_id"] for p in access] == ids
    assert all(p["logger"] == "gunicorn.access" for p in access)
    assert not any("SECRETTOKEN123" in line for line in lines)
    assert any(p["logger"] == "gunicorn.error" and "request_id" in p for p in parsed)


def test_a_worker_writes_json_lines_with_the_task_id(tmp_path, settings, redis_url):
    env = focalbot_env(
        tmp_path,
        DATABASE_URL=settings.database_url,
        CELERY_BROKER_URL=redis_url,
        LOG_FORMAT="json",
        # the task makes the app on its first run, which warns about a long PUBLIC_URL
        PUBLIC_URL="https://correspondence.secretariat.example.org",
    )
    proc, lines, thread = _spawn(
        ["celery", "-A", "tasks.celery_app", "--quiet", "worker", "--pool=solo"]
        + ["--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"],
        env,
    )
    task_id, next_id = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        wait_until(
            lambda: any(" ready." in line for line in lines), timeout=60, what="the worker to start"
        )
        client = Celery("focalbot-test-client", broker=redis_url, set_as_current=False)
        client.conf.task_default_queue = "focalbot"
        for n, tid in enumerate((task_id, next_id), 1):  # one after the other
            client.send_task("tasks.jobs.plan", task_id=tid)
            wait_until(
                lambda n=n: sum("succeeded" in line for line in lines) >= n,
                timeout=60,
                what="the task to finish",
            )
        client.close()
        time.sleep(0.2)
        running = list(lines)  # on SIGTERM celery prints its shutdown notice as plain text
    finally:
        _stop(proc, thread)
    parsed = [json.loads(line) for line in running if line.strip()]  # every line is JSON
    in_task = [p for p in parsed if p.get("task_id") == task_id]
    messages = " | ".join(p["message"] for p in in_task)
    assert "PUBLIC_URL" in messages and "succeeded" in messages, messages
    assert all({"time", "level", "logger", "message"} <= set(p) for p in parsed)
    assert any(p.get("task_id", "") is None for p in parsed)  # the worker's own lines
    # the first task's id is gone once it has finished: none of the later lines carry it
    second = next(i for i, p in enumerate(parsed) if f"[{next_id}] received" in p["message"])
    assert all(p.get("task_id") != task_id for p in parsed[second:])
    assert any(p.get("task_id") == next_id for p in parsed[second:])


def test_beat_writes_json_lines(tmp_path, settings, redis_url):
    env = focalbot_env(
        tmp_path,
        DATABASE_URL=settings.database_url,
        CELERY_BROKER_URL=redis_url,
        LOG_FORMAT="json",
        PLAN_INTERVAL="1",
    )
    proc, lines, thread = _spawn(
        ["celery", "-A", "tasks.celery_app", "--quiet", "beat", "--loglevel=INFO"]
        + ["--schedule", str(tmp_path / "celerybeat-schedule")],
        env,
    )
    try:
        wait_until(
            lambda: any("Sending due task" in line for line in lines),
            timeout=60,
            what="beat to send a task",
        )
        running = list(lines)
    finally:
        _stop(proc, thread)
    parsed = [json.loads(line) for line in running if line.strip()]  # every line is JSON
    assert any(p["logger"] == "celery.beat" and "Starting" in p["message"] for p in parsed)
    assert all(p["task_id"] is None and p["level"] in ("INFO", "WARNING") for p in parsed)
