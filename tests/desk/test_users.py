"""Administrators manage the desk's users; a viewer sees the desk without its controls; the
``focalbot user`` commands give roles and take away a lost second factor."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import auth
from bot.audit import data_of
from bot.cli import main
from bot.model import AuditEvent, User
from tests.forms.helpers import PASSWORD, log_in, make_request

ADMIN = "chief@secretariat.example.org"


def _events(session, action):
    session.expire_all()
    found = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    for event in found:  # read as they are, without a transaction left open to read them again
        session.expunge(event)
    session.rollback()
    return found


def _user(session, email) -> SimpleNamespace:
    """The user's row as it is now, read without holding the database."""
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    copy = SimpleNamespace(
        **{c: getattr(user, c) for c in ("id", "role", "active", "totp_secret", "password_hash")}
    )
    session.rollback()
    return copy


@pytest.fixture
def admin(web_client, session):
    auth.set_password(session, ADMIN, PASSWORD, name="Chief", role="admin", actor="test")
    session.commit()
    assert log_in(web_client, ADMIN).status_code == 303
    return web_client


def test_an_administrator_invites_a_user_with_a_role(admin, session):
    page = admin.post(
        "/desk/users", data={"email": "Reader@Example.org", "name": "Reader", "role": "viewer"}
    ).get_data(as_text=True)
    assert "shown only this once" in page
    password = page.split("<code>")[1].split("</code>")[0]
    user = _user(session, "reader@example.org")
    assert user.role == "viewer" and auth.check_password(user.password_hash, password)
    [event] = [e for e in _events(session, "user.created") if e.actor == ADMIN]
    assert event.actor == ADMIN and data_of(event)["role"] == "viewer"
    again = admin.post("/desk/users", data={"email": "reader@example.org", "role": "admin"})
    assert again.status_code == 400 and _user(session, "reader@example.org").role == "viewer"
    listed = admin.get("/desk/users").get_data(as_text=True)
    assert "reader@example.org" in listed and "viewer" in listed


def test_an_administrator_changes_a_role_and_removes_a_user_audited(admin, web, session):
    auth.set_password(session, "o@example.org", PASSWORD, role="officer", actor="test")
    session.commit()
    other = web.test_client()
    assert log_in(other, "o@example.org").status_code == 303
    uid = _user(session, "o@example.org").id
    assert admin.post(f"/desk/users/{uid}/role", data={"role": "admin"}).status_code == 303
    assert _user(session, "o@example.org").role == "admin"
    assert other.get("/desk/").status_code == 302  # the new role ends the old session
    [changed] = _events(session, "user.role_changed")
    assert changed.actor == ADMIN and data_of(changed) | {"before": "officer", "role": "admin"}
    assert admin.post(f"/desk/users/{uid}/role", data={"role": "root"}).status_code == 400
    assert admin.post(f"/desk/users/{uid}/remove").status_code == 303
    assert not _user(session, "o@example.org").active
    [removed] = _events(session, "user.removed")
    assert removed.actor == ADMIN
    assert log_in(other, "o@example.org").status_code == 200  # cannot log in any more


def test_an_administrator_cannot_demote_or_remove_themself(admin, session):
    me = _user(session, ADMIN).id
    assert admin.post(f"/desk/users/{me}/role", data={"role": "viewer"}).status_code == 403
    assert admin.post(f"/desk/users/{me}/remove").status_code == 403
    assert _user(session, ADMIN).role == "admin"


def test_a_viewer_sees_a_request_without_its_controls(web, session):
    req = make_request(session)
    auth.set_password(session, "v@example.org", PASSWORD, role="viewer", actor="test")
    auth.set_password(session, "o@example.org", PASSWORD, role="officer", actor="test")
    session.commit()
    pages = {}
    for email in ("v@example.org", "o@example.org"):
        client = web.test_client()
        assert log_in(client, email).status_code == 303
        pages[email] = client.get(f"/desk/requests/{req.id}").get_data(as_text=True)
        if email == "v@example.org":
            assert client.post(f"/desk/requests/{req.id}/pause").status_code == 403
    assert req.tag in pages["v@example.org"]
    for control in ("/pause", "/close", "/waive", "/requests/new"):
        assert control not in pages["v@example.org"], control
        assert control in pages["o@example.org"], control
    assert "/desk/users" not in pages["o@example.org"]


def test_an_administrator_enrols_a_second_factor_and_logs_in_with_it(admin, web, session):
    page = admin.get("/desk/second-factor").get_data(as_text=True)
    secret = page.split('<code dir="ltr">')[1].split("</code>")[0]
    assert "otpauth://totp/" in page
    wrong = admin.post("/desk/second-factor", data={"code": "000000"})
    assert "The code is not correct." in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    assert admin.post("/desk/second-factor", data={"code": code}).status_code == 303
    assert admin.get("/desk/").status_code == 200  # still logged in, in a fresh session
    assert _user(session, ADMIN).totp_secret == secret
    assert _events(session, "user.totp_enrolled")[0].actor == ADMIN

    client = web.test_client()
    first = log_in(client, ADMIN)
    assert first.status_code == 303 and first.headers["Location"].endswith("/desk/login/code")
    assert client.get("/desk/").status_code == 302  # the password alone does not let in
    bad = client.post("/desk/login/code", data={"code": "123456"})
    assert "The code is not correct." in bad.get_data(as_text=True)
    done = client.post("/desk/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 303 and done.headers["Location"].endswith("/desk/")
    assert client.get("/desk/").status_code == 200
    assert data_of(_events(session, "user.login_failed")[-1])["email"] == ADMIN


def test_another_administrator_or_the_cli_takes_away_a_lost_second_factor(admin, session, cli_env):
    auth.set_password(session, "b@example.org", PASSWORD, role="admin", actor="test")
    other = session.scalar(select(User).where(User.email == "b@example.org"))
    auth.set_totp(session, other, pyotp.random_base32(), actor="test")
    session.commit()
    assert "second factor on" in admin.get("/desk/users").get_data(as_text=True)
    assert admin.post(f"/desk/users/{other.id}/second-factor/reset").status_code == 303
    assert _user(session, "b@example.org").totp_secret is None
    assert _events(session, "user.totp_reset")[-1].actor == ADMIN

    auth.set_totp(session, session.get(User, other.id), pyotp.random_base32(), actor="t")
    session.commit()
    runner = CliRunner()
    result = runner.invoke(main, ["user", "reset-totp", "B@example.org"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert _user(session, "b@example.org").totp_secret is None
    again = runner.invoke(main, ["user", "reset-totp", "b@example.org"], env=cli_env)
    assert again.exit_code != 0 and "no second factor" in again.output


@pytest.mark.parametrize(
    "args, role",
    [(["--role", "viewer"], "viewer"), (["--role", "officer"], "officer"), (["--admin"], "admin")],
)
def test_user_create_gives_a_role(cli_env, session, args, role):
    result = CliRunner().invoke(main, ["user", "create", "new@example.org", *args], env=cli_env)
    assert result.exit_code == 0, result.output
    assert f"({role})" in result.output
    assert _user(session, "new@example.org").role == role
