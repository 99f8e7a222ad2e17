"""Desk sessions end: at log-out (every session of the user), at a new password, a new role or
removal, when idle for an hour and twelve hours after log-in; and a log-in starts a fresh one."""

from __future__ import annotations

from datetime import timedelta

from bot import auth, sessions
from bot.model import User, utcnow
from tests.forms.helpers import PASSWORD, log_in, make_user

EMAIL = "officer@secretariat.example.org"


def _two_browsers(web):
    first, second = web.test_client(), web.test_client()
    assert log_in(first).status_code == 303
    assert log_in(second).status_code == 303
    return first, second


def _stolen_copy(web, client):
    """Another client holding the same session cookie, as a copied cookie would."""
    copy = web.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_log_out_ends_every_session_of_the_user_and_a_copied_cookie(web, session):
    make_user(session)
    session.commit()
    first, second = _two_browsers(web)
    copy = _stolen_copy(web, first)
    assert copy.get("/desk/").status_code == 200
    assert first.post("/desk/logout").status_code == 303
    for client in (first, second, copy):
        assert client.get("/desk/").status_code == 302


def test_a_new_password_a_new_role_and_removal_end_the_sessions(web, session):
    user = make_user(session)
    session.commit()
    changes = [
        lambda u: auth.set_password(session, EMAIL, PASSWORD, actor="test"),
        lambda u: auth.set_role(session, u, "viewer", actor="test"),
        lambda u: auth.remove_user(session, u, actor="test"),
    ]
    for change in changes:
        client = web.test_client()
        assert log_in(client).status_code == 303
        assert client.get("/desk/").status_code == 200
        change(session.get(User, user.id))
        session.commit()
        assert client.get("/desk/").status_code == 302


def test_log_in_starts_a_fresh_session(web, session):
    make_user(session)
    session.commit()
    client = web.test_client()
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
        cookie["_user_id"] = "999"
    assert log_in(client).status_code == 303
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert cookie["_user_id"] != "999"
        assert cookie[sessions.VERSION] == 0
        assert cookie.permanent


def test_a_session_ends_after_an_idle_hour_and_twelve_hours_in_all(web, session, time_machine):
    make_user(session)
    session.commit()
    time_machine.move_to(utcnow(), tick=False)
    client = web.test_client()
    assert log_in(client).status_code == 303
    time_machine.shift(timedelta(minutes=59))
    assert client.get("/desk/").status_code == 200
    time_machine.shift(timedelta(minutes=61))
    assert client.get("/desk/").status_code == 302  # idle
    assert log_in(client).status_code == 303
    busy = 0
    while client.get("/desk/").status_code == 200 and busy < 30:  # busy all day long
        time_machine.shift(timedelta(minutes=30))
        busy += 1
    assert busy == 25  # 12 hours and a half after log-in: logged out
    assert web.permanent_session_lifetime == timedelta(hours=12)


def test_the_directorys_log_out_ends_every_session_of_its_user_too(web, session):
    auth.set_password(session, "official@example.org", PASSWORD, role="directory", actor="t")
    session.commit()
    browsers = [web.test_client(), web.test_client()]
    for client in browsers:
        data = {"email": "official@example.org", "password": PASSWORD}
        assert client.post("/directory/login", data=data).status_code == 303
        assert "/directory/logout" in client.get("/directory").get_data(as_text=True)
    assert browsers[0].post("/directory/logout").status_code == 303
    assert "/directory/logout" not in browsers[1].get("/directory").get_data(as_text=True)
