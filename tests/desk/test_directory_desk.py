"""The directory on the desk: administrators invite and remove authorised users and keep the
resource links; the CLI makes authorised users too."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from bot import auth
from bot.cli import main
from bot.model import DirectoryResource, User
from tests.forms.helpers import PASSWORD, log_in, make_user


def _admin(client, session):
    auth.set_password(session, "chief@secretariat.example.org", PASSWORD, role="admin")
    session.commit()
    assert log_in(client, "chief@secretariat.example.org").status_code == 303


def test_an_officer_who_is_not_an_admin_cannot_manage_the_directory(desk):
    assert desk.get("/desk/directory").status_code == 403
    assert desk.post("/desk/directory/users", data={"email": "x@example.org"}).status_code == 403


def test_an_admin_invites_an_authorised_user_who_then_logs_in_and_is_removed(web_client, session):
    _admin(web_client, session)
    page = web_client.post(
        "/desk/directory/users", data={"email": "Official@Justice.example.ke", "name": "Official"}
    ).get_data(as_text=True)
    password = re.search(r"shown only this once: <code>([^<]+)</code>", page).group(1)
    user = session.scalar(select(User).where(User.email == "official@justice.example.ke"))
    assert user.role == "directory" and user.active
    user_id = user.id
    session.rollback()
    other = web_client.application.test_client()
    resp = other.post(
        "/directory/login", data={"email": "official@justice.example.ke", "password": password}
    )
    assert resp.status_code == 303
    assert other.get("/desk/").status_code == 403
    assert (
        other.post(
            "/desk/login", data={"email": "official@justice.example.ke", "password": password}
        ).status_code
        == 403
    )
    assert web_client.post(f"/desk/directory/users/{user_id}/remove").status_code == 303
    session.expire_all()
    assert not session.get(User, user_id).active
    session.rollback()
    assert b"official@justice.example.ke" not in other.get("/directory").data  # logged out


def test_an_admin_keeps_the_resource_links_http_only(web_client, session):
    _admin(web_client, session)
    bad = web_client.post(
        "/desk/directory/resources", data={"title": "Bad", "url": "javascript:alert(1)"}
    )
    assert bad.status_code == 400
    good = web_client.post(
        "/desk/directory/resources", data={"title": "Manual", "url": "https://example.org/m.pdf"}
    )
    assert good.status_code == 303
    html = web_client.get("/directory").get_data(as_text=True)
    assert (
        '<a href="https://example.org/m.pdf" rel="nofollow noopener" dir="auto">Manual</a>' in html
    )
    [resource] = session.scalars(select(DirectoryResource)).all()
    resource_id = resource.id
    session.rollback()
    web_client.post(f"/desk/directory/resources/{resource_id}/remove")
    assert "Manual" not in web_client.get("/directory").get_data(as_text=True)


def test_user_create_takes_a_role_and_admin_as_a_synonym(cli_env, session):
    runner = CliRunner()
    made = runner.invoke(
        main, ["user", "create", "dir@example.org", "--role", "directory"], env=cli_env
    )
    assert made.exit_code == 0 and "(directory)" in made.output, made.output
    admin = runner.invoke(main, ["user", "create", "a@example.org", "--admin"], env=cli_env)
    assert admin.exit_code == 0 and "(admin)" in admin.output
    bad = runner.invoke(main, ["user", "create", "b@example.org", "--role", "king"], env=cli_env)
    assert bad.exit_code != 0
    listing = runner.invoke(main, ["user", "list"], env=cli_env).output
    assert "dir@example.org\t\tdirectory" in listing and "a@example.org\t\tadmin" in listing
    session.expire_all()
    roles = {u.email: u.role for u in session.scalars(select(User))}
    assert roles == {"dir@example.org": "directory", "a@example.org": "admin"}


def test_an_officer_made_before_roles_stays_an_officer(session):
    make_user(session)
    assert session.scalar(select(User)).role == "officer"


def test_a_viewer_reads_the_desk_and_changes_nothing(web_client, session):
    auth.set_password(session, "reader@secretariat.example.org", PASSWORD, role="viewer")
    session.commit()
    assert log_in(web_client, "reader@secretariat.example.org").status_code == 303
    assert web_client.get("/desk/").status_code == 200
    assert web_client.post("/desk/requests/1/pause").status_code == 403
    assert web_client.post("/desk/logout").status_code == 303
