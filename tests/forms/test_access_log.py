"""A form link's token never reaches a log: the werkzeug server of ``make run`` and
gunicorn's access log both record ``/f/[token]``."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

from bot import db, links
from bot.weblog import redact
from tests import factories


def _link() -> str:
    with db.session() as s:
        c = factories.focal_point(s, "FR")
        req = factories.request(s, "FR")
        return links.create(s, req, c, days=120)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redact_masks_the_token_in_paths_queries_and_referrers():
    raw = links.new_raw()
    line = f'"GET /f/{raw}/successor?lang=fr HTTP/1.1" 200 - "/lang/ar?next=%2Ff%2F{raw}"'
    masked = redact(line)
    assert raw not in masked
    assert "/f/[token]/successor?lang=fr" in masked and "%2Ff%2F[token]" in masked
    assert redact("GET /desk/requests/12 HTTP/1.1") == "GET /desk/requests/12 HTTP/1.1"


def test_the_werkzeug_request_log_carries_no_token(app, caplog):
    raw = _link()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            base = f"http://127.0.0.1:{server.server_port}"
            assert _get(f"{base}/f/{raw}") == 200
            assert _get(f"{base}/f/{raw}/successor") == 200
            assert _get(f"{base}/f/{links.new_raw()}") == 404
    finally:
        server.shutdown()
        thread.join(5)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/f/[token]" in logged and "/f/[token]/successor" in logged
    assert raw not in logged


def test_the_gunicorn_access_log_carries_no_token(settings, cli_env, tmp_path):
    from bot.app import create_app

    app = create_app(settings)
    with app.app_context():
        raw = _link()
    log = tmp_path / "access.log"
    port = _free_port()
    env = {**os.environ, **cli_env, "PUBLIC_URL": "http://bot.example.org"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "--logger-class",
            "bot.weblog.GunicornLogger",
            "bot.wsgi:app",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status = _get(f"{base}/f/{raw}")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        assert status == 200
        assert _get(f"{base}/f/{raw}/successor?lang=ar") == 200
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    written = log.read_text()
    assert "/f/[token]" in written and "/f/[token]/successor?lang=ar" in written, err
    assert raw not in written
    assert raw not in err.decode("utf-8", "replace")
