"""Every route of the app, with every method, for each kind of caller: anonymous, an authorised
user of the directory, a viewer, an officer and an administrator. The expectations are
written here from the roles' definitions, apart from the access table they check."""

from __future__ import annotations

import logging
import re

import pytest

from bot import access, auth
from tests.forms.helpers import PASSWORD, csrf_token_in, log_in

CALLERS = ["anonymous", "directory", "viewer", "officer", "admin"]
DESK_RANK = {"viewer": 1, "officer": 2, "admin": 3}
PUBLIC_DESK = {"desk.login", "desk.login_code"}
# users and settings: administrators only
ADMIN_ONLY = re.compile(r"^desk\.(users?|user_.*|second_factor|directory_.*)$")
# the only POSTs a viewer makes on the desk
VIEWER_POSTS = {"desk.login", "desk.login_code", "desk.logout"}
# pages that are forms to act with: not shown to a viewer
ACTION_PAGES = {"desk.request_new", "desk.simulated_reply", "desk.campaign_new"}


def expected(caller: str, endpoint: str, method: str, methods: set[str]) -> str:
    """ "open" (anything but a refusal), "login" (sent to the log-in page) or "refused" (403).
    HEAD and OPTIONS are asked as the route's GET, or its POST when it has no GET."""
    asked = method
    if method in ("HEAD", "OPTIONS"):
        method = "GET" if "GET" in methods else "POST"
    if endpoint in ("api.index", "api.refuse"):
        return "open"  # the API's index is public; any other method is a 405 or 404
    if endpoint.startswith("api.") and endpoint != "api.openapi":
        return "unauthorised"  # the read API wants an API key, whoever is logged in
    if endpoint == "desk.login_code":  # no log-in begun: back to the password
        return "open" if asked == "OPTIONS" else "login"
    if not endpoint.startswith("desk.") or endpoint in PUBLIC_DESK:
        return "open"
    if caller == "anonymous":
        return "login"
    if caller == "directory":
        return "refused"
    need = 3 if ADMIN_ONLY.match(endpoint) else 1
    if method == "POST" and endpoint not in VIEWER_POSTS or endpoint in ACTION_PAGES:
        need = max(need, 2)
    if DESK_RANK[caller] < need:
        return "refused"
    return "login" if endpoint == "desk.logout" and asked == "POST" else "open"


def outcome(resp) -> str:
    if resp.status_code == 403:
        return "refused"
    if resp.status_code in (301, 302, 303) and "/desk/login" in resp.headers.get("Location", ""):
        return "login"
    if resp.status_code == 401:
        return "unauthorised"
    return "open"


def _url(rule) -> str:
    # ids and codes that name nothing: a route that lets the caller in answers 404 or 400,
    # and changes nothing
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
        lambda m: "999999" if m.group(1) == "int" else "ZZ",
        rule.rule,
    )


def _every_route(app):
    """(endpoint, method, url) for every rule and method; log-outs last, as they end the
    caller's session."""
    routes = [
        (rule.endpoint, method, _url(rule), rule.methods)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods)
    ]
    return sorted(routes, key=lambda r: ("logout" in r[0], r))


@pytest.fixture
def users(session):
    made = {}
    for role in ("directory", "viewer", "officer", "admin"):
        email = f"{role}@secretariat.example.org"
        auth.set_password(session, email, PASSWORD, role=role, actor="test")
        made[role] = email
    session.commit()
    return made


def _client(web, users, caller):
    client = web.test_client()
    if caller == "directory":
        resp = client.post("/directory/login", data={"email": users[caller], "password": PASSWORD})
        assert resp.status_code == 303
    elif caller != "anonymous":
        assert log_in(client, users[caller]).status_code == 303
    return client


def test_every_endpoint_has_an_access_rule(web):
    missing = sorted({r.endpoint for r in web.url_map.iter_rules()} - set(access.ACCESS))
    assert not missing, f"endpoints without a rule in bot/access.py: {missing}"


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_and_method_answers_each_caller_as_its_role_allows(web, users, caller):
    client = _client(web, users, caller)
    wrong = []
    routes = _every_route(web)
    assert len(routes) > 60
    for endpoint, method, url, methods in routes:
        resp = client.open(url, method=method)
        want, got = expected(caller, endpoint, method, methods), outcome(resp)
        if got != want:
            wrong.append(f"{method} {url} ({endpoint}): {resp.status_code}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_an_endpoint_without_a_rule_is_refused(web, users, monkeypatch, caplog):
    monkeypatch.delitem(access.ACCESS, "desk.states")
    client = _client(web, users, "admin")
    with caplog.at_level(logging.WARNING, logger="bot.access"):
        assert client.get("/desk/states").status_code == 403
    assert "access refused: GET /desk/states" in caplog.text
    assert "admin@secretariat.example.org" in caplog.text


def test_a_refusal_is_logged_with_who_and_what(web, users, caplog):
    client = _client(web, users, "officer")
    with caplog.at_level(logging.WARNING, logger="bot.access"):
        assert client.get("/desk/users").status_code == 403
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.access"]
    assert "GET /desk/users (desk.users)" in line and "officer@secretariat.example.org" in line


def test_every_desk_form_needs_its_csrf_token(csrf_web, users):
    client = csrf_web.test_client()
    page = client.get("/desk/login").get_data(as_text=True)
    resp = client.post(
        "/desk/login",
        data={
            "email": users["admin"],
            "password": PASSWORD,
            "csrf_token": csrf_token_in(page),
        },
    )
    assert resp.status_code == 303
    posts = [
        (endpoint, url)
        for endpoint, method, url, _methods in _every_route(csrf_web)
        if method == "POST" and endpoint.startswith("desk.")
    ]
    assert len(posts) > 20
    for endpoint, url in posts:
        assert client.post(url, data={}).status_code == 400, endpoint
    assert client.get("/desk/").status_code == 200  # still logged in: nothing was done
