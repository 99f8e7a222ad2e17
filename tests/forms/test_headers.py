"""Security headers and cookies of the form pages."""

from __future__ import annotations

import pytest

from bot import db, links
from tests import factories
from tests.conftest import make_settings
from tests.forms.helpers import csrf_token_in

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _link() -> str:
    with db.session() as s:
        c = factories.focal_point(s, "FR")
        return links.create(s, factories.request(s, "FR"), c, days=120)


def test_every_form_page_forbids_scripts_and_framing(app, client):
    raw = _link()
    for path in (f"/f/{raw}", f"/f/{raw}/successor", f"/f/{links.new_raw()}"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp  # falls back on default-src 'none': no script at all
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script" not in resp.get_data(as_text=True)


def test_cookies_are_secure_behind_tls_and_never_readable_by_script(tmp_path, settings):
    from bot.app import create_app

    s = make_settings(
        tmp_path, DATABASE_URL=settings.database_url, PUBLIC_URL="https://bot.example.org"
    )
    app = create_app(s, TESTING=True)
    with app.app_context():
        raw = _link()
    client = app.test_client()
    page = client.get(f"/f/{raw}", base_url="https://bot.example.org")
    csrf_token_in(page.get_data(as_text=True))  # bound to the link: no session needed
    assert page.headers.getlist("Set-Cookie") == []  # a form page sets no cookie at all
    login = client.get("/desk/login", base_url="https://bot.example.org")
    csrf_token_in(login.get_data(as_text=True))  # the desk's token lives in its session
    (cookie,) = [c for c in login.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    lang = client.get("/lang/ar?next=/desk", base_url="https://bot.example.org")
    assert all(flag in lang.headers["Set-Cookie"] for flag in ("Secure", "HttpOnly", "SameSite"))
