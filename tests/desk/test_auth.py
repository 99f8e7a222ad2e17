"""Log-in to the desk, and the ``focalbot user`` command."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from bot import auth
from bot.audit import data_of
from bot.auth import ensure_admin
from bot.cli import main
from bot.model import AuditEvent, User
from tests.forms.helpers import PASSWORD, csrf_token_in, log_in, make_user


def _events(session, action):
    session.expire_all()
    found = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    session.rollback()
    return found


def test_it_requires_login_for_every_desk_route(web, session):
    rules = [
        r
        for r in web.url_map.iter_rules()
        if r.rule.startswith("/desk/") and r.endpoint != "desk.login"
    ]
    assert len(rules) >= 8
    client = web.test_client()
    for rule in rules:
        values = {arg: 1 if arg.endswith("_id") else "X" for arg in rule.arguments}
        with web.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods & {"GET", "POST"}):
            resp = client.open(url, method=method)
            assert resp.status_code in (302, 303), (method, url, resp.status_code)
            assert "/desk/login" in resp.headers["Location"], (method, url)


def test_it_logs_in_and_out(web_client, session):
    make_user(session)
    session.commit()
    resp = log_in(web_client)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/desk/")
    assert web_client.get("/desk/").status_code == 200
    assert web_client.get("/desk/logout").status_code == 405
    assert web_client.post("/desk/logout").status_code == 303
    assert web_client.get("/desk/").status_code == 302
    [event] = _events(session, "user.login")
    assert event.actor == "officer@secretariat.example.org"


def test_it_returns_to_the_page_asked_for(web_client, session):
    make_user(session)
    session.commit()
    first = web_client.get("/desk/audit")
    assert "next=" in first.headers["Location"]
    resp = web_client.post(
        first.headers["Location"],
        data={"email": "officer@secretariat.example.org", "password": PASSWORD},
    )
    assert resp.headers["Location"].endswith("/desk/audit")
    evil = web_client.post(
        "/desk/login?next=//evil.example/",
        data={"email": "officer@secretariat.example.org", "password": PASSWORD},
    )
    assert evil.headers["Location"].endswith("/desk/")
    for raw in ("/%09/evil.example", "/%0a/evil.example"):
        tab = web_client.post(
            f"/desk/login?next={raw}",
            data={"email": "officer@secretariat.example.org", "password": PASSWORD},
        )
        assert tab.status_code == 303 and tab.headers["Location"].endswith("/desk/")


def test_it_refuses_bad_credentials_with_one_message(web_client, session):
    make_user(session)
    session.commit()
    wrong = log_in(web_client, password="not the password at all").get_data(as_text=True)
    unknown = log_in(web_client, email="nobody@example.org").get_data(as_text=True)
    assert "The email or password is not correct." in wrong
    assert "The email or password is not correct." in unknown
    assert web_client.get("/desk/").status_code == 302
    events = _events(session, "user.login_failed")
    assert [data_of(e)["email"] for e in events] == [
        "officer@secretariat.example.org",
        "nobody@example.org",
    ]
    assert all("not the password" not in e.payload for e in events)


def test_it_enforces_csrf_on_login(csrf_web, session):
    make_user(session)
    session.commit()
    client = csrf_web.test_client()
    data = {"email": "officer@secretariat.example.org", "password": PASSWORD}
    assert client.post("/desk/login", data=data).status_code == 400
    token = csrf_token_in(client.get("/desk/login").get_data(as_text=True))
    assert client.post("/desk/login", data=dict(data, csrf_token=token)).status_code == 303


def test_it_rehashes_an_old_hash_at_login(web_client, session):
    from argon2 import PasswordHasher

    user = make_user(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    session.commit()
    assert log_in(web_client).status_code == 303
    session.expire_all()
    stored = session.get(User, user.id).password_hash
    session.rollback()
    assert not auth.hasher.check_needs_rehash(stored)
    assert auth.check_password(stored, PASSWORD)


def test_it_refuses_an_inactive_user(web_client, session):
    make_user(session).active = False
    session.commit()
    assert log_in(web_client).status_code == 200


def test_user_create_prints_a_generated_password_once(cli_env, session):
    runner = CliRunner()
    result = runner.invoke(
        main, ["user", "create", "Desk@Example.org", "--name", "Desk", "--admin"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "desk@example.org"))
    assert (
        user.is_admin and user.name == "Desk" and auth.check_password(user.password_hash, password)
    )
    session.rollback()
    [event] = _events(session, "user.created")
    assert password not in event.payload


def test_user_create_resets_a_password_from_stdin(cli_env, session):
    make_user(session)
    session.commit()
    runner = CliRunner()
    args = ["user", "create", "officer@secretariat.example.org", "--password-stdin"]
    result = runner.invoke(main, args, input="a brand new passphrase\n", env=cli_env)
    assert result.exit_code == 0, result.output
    assert "a brand new passphrase" not in result.output
    session.expire_all()
    user = session.scalar(select(User))
    assert auth.check_password(user.password_hash, "a brand new passphrase")
    session.rollback()
    assert len(_events(session, "user.password_reset")) == 1
    short = runner.invoke(main, args, input="short\n", env=cli_env)
    assert short.exit_code != 0 and "12 characters" in short.output


def test_ensure_admin_makes_the_first_administrator_once(session):
    user, password = ensure_admin(session)
    assert user.is_admin and password and auth.check_password(user.password_hash, password)
    again, none = ensure_admin(session)
    assert again.id == user.id and none is None


def test_five_failures_slow_the_account_down_from_that_address_only(web_client, session):
    make_user(session)
    session.commit()
    for _ in range(5):
        assert log_in(web_client, password="wrong password").status_code == 200
    refused = log_in(web_client)  # even the right password
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert web_client.get("/desk/").status_code == 302
    assert len(_events(session, "user.login_throttled")) == 1
    assert len(_events(session, "user.login_failed")) == 5
    assert (
        log_in(web_client, email="someone.else@example.org").status_code == 200
    )  # other accounts are not affected
    elsewhere = web_client.application.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert log_in(elsewhere).status_code == 303  # nor the owner at another address
