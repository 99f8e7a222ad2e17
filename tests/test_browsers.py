"""The form in real browsers: w3m (no CSS, no JavaScript) and headless Chromium (Arabic, right to
left)."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from tests.forms.helpers import make_request, make_web_app


def _browser(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: `make test` installs it (apt-get install -y chromium w3m)"
        )
    return path


@pytest.fixture
def served(settings, session):
    """The app on a free loopback port, with one open questionnaire request."""
    egypt = make_request(session, code="EG", language="ar")
    session.commit()
    server = make_server("127.0.0.1", 0, make_web_app(settings, csrf=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", egypt.token
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _w3m(url: str) -> str:
    return subprocess.run(
        [_browser("w3m"), "-dump", "-cols", "100", url],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout


def test_w3m_shows_the_form_without_css_or_javascript(served):
    base, token = served
    out = _w3m(f"{base}/f/{token}?lang=en")
    assert "Questionnaire on the implementation of the Convention" in out
    assert "Name and title of the person completing this questionnaire" in out
    assert "Email address" in out
    assert "Save and continue" in out and "Save and finish later" in out
    article5 = _w3m(f"{base}/f/{token}?lang=en&page=1")
    assert "participation in an organized criminal group (article 5)" in article5
    assert "Has your State established as a criminal offence the agreement" in article5
    assert "Yes" in article5 and "No" in article5 and "Partly" in article5
    assert "A document in support (optional)" in article5


def test_chromium_renders_the_arabic_form_right_to_left(served, tmp_path):
    base, token = served
    command = [
        _browser("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        f"{base}/f/{token}",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'lang="ar"' in dom and 'dir="rtl"' in dom
    assert "استبيان بشأن تنفيذ الاتفاقية" in dom
