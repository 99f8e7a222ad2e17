"""CSRF, for every route that takes a POST: the desk's, for each role that may post there,
and the log-in pages of the desk and the directory, refuse a missing or a wrong token (one of
another session); the forms' link-bound tokens (forms/csrf.py) refuse a token for another
link and an expired one; over HTTPS a POST must come from a page of the same origin.

tests/desk/test_access.py walks the role matrix itself (who may open which route)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot import access, links
from bot.model import AuditEvent, FormLink, Submission
from tests.conftest import FIXED_NOW, make_settings
from tests.desk.test_access import _every_route
from tests.forms.helpers import (
    PASSWORD,
    SAMPLES,
    Client,
    csrf_token_in,
    fill_pages,
    make_request,
    make_web_app,
)
from tests.security.conftest import ROLES

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _with_token(app, session, email: str | None = None, page: str = "/desk/login"):
    """A client that logged in (when ``email`` is given) through the real form, its token
    included; and the token of its session."""
    client = Client(app, session)
    token = csrf_token_in(client.get(page).get_data(as_text=True))
    if email is not None:
        resp = client.post(page, data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 303, resp.get_data(as_text=True)[-500:]
        # the token of the session the log-in started, from the log-out form of every page
        token = csrf_token_in(client.get("/desk/").get_data(as_text=True))
    return client, token


def _events(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEvent))


def _desk_posts(app, role: str) -> list[tuple[str, str]]:
    """(endpoint, url) of every desk POST ``role`` may make, log-outs last."""
    return [
        (endpoint, url)
        for endpoint, method, url, _methods in _every_route(app)
        if method == "POST"
        and endpoint.startswith("desk.")
        and endpoint not in ("desk.login", "desk.login_code")
        and access.allows(role, access.required(endpoint, "POST") or access.ADMIN)
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_desk_post_a_role_may_make_refuses_a_missing_or_wrong_token(
    csrf_web, session, users, role
):
    client, token = _with_token(csrf_web, session, users[role])
    _stranger, strangers = _with_token(csrf_web, session)  # a valid token of another session
    assert strangers != token
    posts = _desk_posts(csrf_web, role)
    assert len(posts) >= (1 if role == "viewer" else 20)
    before = _events(session)
    for endpoint, url in posts:
        for data in ({}, {"csrf_token": strangers}, {"csrf_token": token[:-2] + "xx"}):
            resp = client.post(url, data=data)
            assert resp.status_code == 400, (role, endpoint, data, resp.status_code)
    assert _events(session) == before  # nothing was done, not even a log-out
    assert client.get("/desk/").status_code == 200
    # and the right token goes through the check (to a 404 for an id that names nothing)
    assert client.post("/desk/requests/999999/close", data={"csrf_token": token}).status_code in (
        403 if role == "viewer" else 404,
    )


@pytest.mark.parametrize("page", ["/desk/login", "/directory/login"])
def test_the_log_in_pages_refuse_a_missing_or_wrong_token(csrf_web, session, users, page):
    client, token = _with_token(csrf_web, session, page=page)
    _other, strangers = _with_token(csrf_web, session, page=page)
    login = {"email": users["officer"], "password": PASSWORD}
    for data in (login, {**login, "csrf_token": strangers}, {**login, "csrf_token": "x"}):
        assert client.post(page, data=data).status_code == 400, data
    assert client.get("/desk/").status_code == 302  # not logged in
    assert client.post(page, data={**login, "csrf_token": token}).status_code == 303


def test_the_directory_log_out_needs_its_token(csrf_web, session, users):
    client, token = _with_token(csrf_web, session, page="/directory/login")
    login = {"email": users["directory"], "password": PASSWORD, "csrf_token": token}
    assert client.post("/directory/login", data=login).status_code == 303
    before = _events(session)
    assert client.post("/directory/logout", data={}).status_code == 400
    assert _events(session) == before


def test_a_log_in_over_https_needs_a_referer_of_the_same_origin(tmp_path, settings, session, users):
    app = make_web_app(
        make_settings(
            tmp_path, DATABASE_URL=settings.database_url, PUBLIC_URL="https://bot.example.org"
        ),
        csrf=True,
    )
    client = Client(app, session)
    base = {"base_url": "https://bot.example.org"}
    token = csrf_token_in(client.get("/desk/login", **base).get_data(as_text=True))
    login = {"email": users["officer"], "password": PASSWORD, "csrf_token": token}
    for referer in (None, "https://evil.example.com/desk/login", "http://bot.example.org/"):
        headers = {"Referer": referer} if referer else {}
        resp = client.post("/desk/login", data=login, headers=headers, **base)
        assert resp.status_code == 400, referer
    ok = {"Referer": "https://bot.example.org/desk/login"}
    assert client.post("/desk/login", data=login, headers=ok, **base).status_code == 303


# -- the forms' link-bound tokens --------------------------------------------------------


def _link(session, req) -> str:
    raw = links.create(session, req, req.state.contacts[0], days=120)
    session.commit()
    return raw


def _submissions(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Submission))


def test_a_form_token_for_another_link_is_refused(csrf_web, session):
    req = make_request(session)
    mine, theirs = _link(session, req), _link(session, req)
    client = Client(csrf_web, session)
    their_token = csrf_token_in(client.get(f"/f/{theirs}").get_data(as_text=True))
    data = {**SAMPLES["questionnaire"], "csrf_token": their_token}
    assert client.post(f"/f/{mine}", data=data).status_code == 400
    assert client.post(f"/f/{theirs}", data=data).status_code == 303  # its own link takes it
    link = session.scalar(select(FormLink).where(FormLink.hash == links.digest(mine)))
    assert link.last_used_at is None


@pytest.mark.parametrize("path", ["", "/submit", "/successor", "/renew"])
@pytest.mark.parametrize("sent", ["no token", "another link's token"])
def test_every_form_post_refuses_a_missing_or_wrong_token(web, csrf_web, session, path, sent):
    req = make_request(session)
    raw, other = _link(session, req), _link(session, req)
    fill_pages(Client(web, session), raw, SAMPLES["questionnaire"])  # a draft, ready to submit
    client = Client(csrf_web, session)
    data = {**SAMPLES["questionnaire"], "name": "Aminata Diallo", "email": "a@example.org"}
    if sent != "no token":
        data["csrf_token"] = csrf_token_in(client.get(f"/f/{other}").get_data(as_text=True))
    before = _events(session)
    resp = client.post(f"/f/{raw}{path}", data=data)
    # the page again with its notice, or the page of a link that renews nothing (a live one)
    assert resp.status_code == (404 if path == "/renew" else 400), resp.status_code
    assert _submissions(session) == 0
    assert _events(session) == before


def test_an_expired_form_token_is_refused_and_a_fresh_one_taken(csrf_web, session):
    req = make_request(session)
    raw = _link(session, req)
    client = Client(csrf_web, session)
    token = csrf_token_in(client.get(f"/f/{raw}").get_data(as_text=True))
    limit = csrf_web.config["WTF_CSRF_TIME_LIMIT"]
    data = {**SAMPLES["questionnaire"], "csrf_token": token}
    with time_machine.travel(FIXED_NOW + timedelta(seconds=limit - 60), tick=False):
        assert client.post(f"/f/{raw}", data=data).status_code == 303
    with time_machine.travel(FIXED_NOW + timedelta(seconds=limit + 60), tick=False):
        assert client.post(f"/f/{raw}", data=data).status_code == 400
        fresh = csrf_token_in(client.get(f"/f/{raw}").get_data(as_text=True))
        assert fresh != token
        assert client.post(f"/f/{raw}", data={**data, "csrf_token": fresh}).status_code == 303
