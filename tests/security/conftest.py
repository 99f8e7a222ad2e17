"""What the security tests share: the app with and without CSRF, desk users of each role, an
opened request with its form link, and a client that lets the app's request take SQLite's lock."""

from __future__ import annotations

import pytest

from bot import auth, links
from tests.forms.helpers import (  # noqa: F401  (fixtures)
    PASSWORD,
    Client,
    csrf_web,
    log_in,
    make_request,
    web,
)

ROLES = ("viewer", "officer", "admin")


@pytest.fixture
def client(web, session):  # noqa: F811  (the fixture imported above)
    return Client(web, session)


@pytest.fixture
def csrf_client(csrf_web, session):  # noqa: F811
    return Client(csrf_web, session)


@pytest.fixture
def users(session) -> dict[str, str]:
    """A desk user of each role and an authorised user of the directory, by role: their emails."""
    made = {}
    for role in ("directory", *ROLES):
        email = f"{role}@secretariat.example.org"
        auth.set_password(session, email, PASSWORD, role=role, actor="test")
        made[role] = email
    session.commit()
    return made


@pytest.fixture
def opened(session):
    """An open request for France, its focal point and a live form link: (request, contact, raw)."""
    req = make_request(session)
    contact = req.state.contacts[0]
    raw = links.create(session, req, contact, days=120)
    session.commit()
    return req, contact, raw


def logged_in(app, session, email: str) -> Client:
    client = Client(app, session)
    assert log_in(client, email, PASSWORD).status_code == 303
    return client
