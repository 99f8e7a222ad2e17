"""A form page opened again comes from the page cache, and only while nothing it shows changed."""

from __future__ import annotations

import time

import pytest
from flask import template_rendered
from flask_wtf.csrf import CSRFError

from bot import links
from bot.model import Request, Submission
from bot.requests import close
from forms import csrf, pagecache
from tests.conftest import make_settings
from tests.forms.helpers import SAMPLES, csrf_token_in, make_request

ANSWERS = SAMPLES["clarification"]


@pytest.fixture(autouse=True)
def _empty_cache():
    pagecache.clear()
    yield
    pagecache.clear()


class Renders:
    """Counts the templates the app renders: a page from the cache renders none."""

    def __init__(self, app):
        self.app, self.count = app, 0

    def __enter__(self):
        template_rendered.connect(self._seen, self.app)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._seen, self.app)

    def _seen(self, *_args, **_kw):
        self.count += 1


def _open(session, kind="clarification"):
    req = make_request(session, kind=kind)
    contact = req.state.contacts[0]
    raw = links.create(session, req, contact, days=120)
    session.commit()
    return req, contact, raw


def _without_token(html: str) -> str:
    return html.replace(csrf_token_in(html), "")


def test_a_page_opened_again_is_served_without_a_render_and_with_a_token(session, web):
    _req, _contact, raw = _open(session)
    client = web.test_client()
    with Renders(web) as renders:
        first = client.get(f"/f/{raw}?lang=fr")
        rendered = renders.count
        second = client.get(f"/f/{raw}?lang=fr")
    assert first.status_code == second.status_code == 200
    assert rendered > 0 and renders.count == rendered  # the second one rendered nothing
    assert _without_token(first.get_data(as_text=True)) == _without_token(
        second.get_data(as_text=True)
    )
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers.getlist("Set-Cookie") == []
    other = client.get(f"/f/{raw}?lang=ar")  # another language is another page
    assert 'dir="rtl"' in other.get_data(as_text=True)


def test_a_saved_answer_shows_at_once(session, web):
    _req, _contact, raw = _open(session)
    client = web.test_client()
    assert "Réponse enregistrée" not in client.get(f"/f/{raw}?lang=fr").get_data(as_text=True)
    assert client.post(f"/f/{raw}?lang=fr", data={"answer": "Réponse enregistrée", "go_save": "1"})
    page = client.get(f"/f/{raw}?lang=fr").get_data(as_text=True)
    assert "Réponse enregistrée" in page


def test_a_revoked_link_or_a_closed_request_is_never_served_from_the_cache(session, web):
    req, _contact, raw = _open(session)
    client = web.test_client()
    assert client.get(f"/f/{raw}").status_code == 200
    assert client.get(f"/f/{raw}").status_code == 200  # now cached
    (link,) = links.of_request(session, req.id)
    links.revoke(session, link, actor="officer@example.org")
    session.commit()
    assert client.get(f"/f/{raw}").status_code == 410

    req2, _c, raw2 = _open(session, kind="questionnaire")
    assert client.get(f"/f/{raw2}").status_code == 200
    client.get(f"/f/{raw2}")
    closed = session.get(Request, req2.id)
    assert closed is not None
    close(session, closed, actor="officer@example.org")
    session.commit()
    page = client.get(f"/f/{raw2}").get_data(as_text=True)
    assert 'name="csrf_token"' not in page  # the closed page, not the form kept before


def test_an_address_over_the_limit_gets_429_even_for_a_cached_page(session, web, settings):
    _req, _contact, raw = _open(session)
    client = web.test_client()
    assert client.get(f"/f/{raw}").status_code == 200
    for _ in range(links.forms_policy(settings).misses_per_10_minutes):
        assert client.get("/f/AAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get(f"/f/{raw}").status_code == 429


def test_the_cached_pages_token_is_accepted_and_another_links_is_not(session, csrf_web):
    req, _contact, raw = _open(session)
    _req2, _c2, other = _open(session, kind="questionnaire")
    client = csrf_web.test_client()
    client.get(f"/f/{raw}?lang=fr")
    cached = client.get(f"/f/{raw}?lang=fr").get_data(as_text=True)
    theirs = csrf_token_in(client.get(f"/f/{other}").get_data(as_text=True))
    refused = client.post(f"/f/{raw}?lang=fr", data=dict(ANSWERS, csrf_token=theirs))
    assert refused.status_code == 400  # the page again, with the request to send again
    assert session.scalar(Submission.__table__.select().limit(1)) is None
    session.rollback()  # end the read: SQLite's writer would wait for it
    data = dict(ANSWERS, csrf_token=csrf_token_in(cached), go_next="1")
    assert client.post(f"/f/{raw}?lang=fr", data=data).status_code == 303


def test_a_token_lives_a_day_and_belongs_to_its_link(web):
    with web.test_request_context("/f/x"):
        now = time.time()
        token = csrf.make("AAAAAAAAAAAAAAAAA", now=now)
        csrf.check("AAAAAAAAAAAAAAAAA", token, now=now + 23 * 3600)
        with pytest.raises(CSRFError):
            csrf.check("AAAAAAAAAAAAAAAAA", token, now=now + 25 * 3600)
        with pytest.raises(CSRFError):
            csrf.check("BBBBBBBBBBBBBBBBB", token, now=now)
        with pytest.raises(CSRFError):
            csrf.check("AAAAAAAAAAAAAAAAA", token.replace(".", ".0", 1)[:-1], now=now)
        with pytest.raises(CSRFError):
            csrf.check("AAAAAAAAAAAAAAAAA", "", now=now)


def test_the_cache_reads_the_links_state_on_postgresql(tmp_path, pg_url):
    from bot import db
    from bot.app import create_app

    app = create_app(make_settings(tmp_path, DATABASE_URL=pg_url), TESTING=True)
    session = db.SessionFactory()
    try:
        req, _contact, raw = _open(session)
        client = app.test_client()
        with Renders(app) as renders:
            assert client.get(f"/f/{raw}").status_code == 200
            rendered = renders.count
            assert client.get(f"/f/{raw}").status_code == 200
        assert renders.count == rendered
        (link,) = links.of_request(session, req.id)
        links.revoke(session, link, actor="officer@example.org")
        session.commit()
        assert client.get(f"/f/{raw}").status_code == 410
    finally:
        session.close()
