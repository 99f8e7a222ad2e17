"""The desk's side of form links and successors: a request's links, revoking one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import db, links, successor
from bot.model import AuditEvent, FormLink
from tests import factories
from tests.forms.helpers import csrf_token_in, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _desk(csrf_web):
    client = csrf_web.test_client()
    page = client.get("/desk/login").get_data(as_text=True)
    client.post(
        "/desk/login",
        data={
            "csrf_token": csrf_token_in(page),
            "email": "officer@secretariat.example.org",
            "password": "correct horse battery staple",
        },
    )
    return client


def test_an_officer_revokes_a_link_on_the_request_page(settings, csrf_web, session):
    with db.session() as s:
        make_user(s)
        c = factories.focal_point(s, "FR", name="Claire Martin")
        req = factories.request(s, "FR")
        raw = links.create(s, req, c, days=120)
        successor.propose(
            s, c, name="Sophie Bernard", email="sb@example.fr", source="form", request=req
        )
        rid = req.id
    desk = _desk(csrf_web)
    page = desk.get(f"/desk/requests/{rid}").get_data(as_text=True)
    assert raw not in page  # a link cannot be shown again: only its hash is kept
    assert "Claire Martin &lt;fp.fr@example.org&gt;" in page
    assert "Sophie Bernard" in page  # the successor waiting for approval
    with db.session() as s:
        link_id = s.scalar(select(FormLink.id))
    assert f"/desk/links/{link_id}/revoke" in page
    resp = desk.post(f"/desk/links/{link_id}/revoke", data={"csrf_token": csrf_token_in(page)})
    assert resp.status_code == 302
    with db.session() as s:
        assert s.get(FormLink, link_id).revoked_at is not None
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "form_link.revoked"))
        assert event is not None and event.actor == "officer@secretariat.example.org"
    assert csrf_web.test_client().get(f"/f/{raw}").status_code == 410
    # without its CSRF token, a revocation is refused
    with db.session() as s:
        other = links.create(s, s.get(FormLink, link_id).request, None, days=120)
        other_id = s.scalar(select(FormLink.id).where(FormLink.hash == links.digest(other)))
    assert desk.post(f"/desk/links/{other_id}/revoke").status_code == 400
    with db.session() as s:
        assert s.get(FormLink, other_id).revoked_at is None
