""" "This is no longer me": a successor named from the form, approved on the desk, takes
over the ladders; the old contact receives nothing more."""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy

import pytest
from sqlalchemy import select

from bot import db, service
from bot.model import (
    AuditEvent,
    Contact,
    Delivery,
    Message,
    Request,
    SuccessorProposal,
)
from tests import factories
from tests.forms.helpers import csrf_token_in, log_in, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")

OLD = "fp.fr@example.org"
NEW = "sophie.bernard@justice.example.fr"
_URL = re.compile(r"https?://[^\s<>\"]+/f/([A-Za-z0-9]{17})(?![A-Za-z0-9])")


def _text(raw: bytes) -> str:
    body = message_from_bytes(raw, policy=email_policy.default).get_body(("plain",))
    assert body is not None
    return body.get_content()


def _france() -> dict:
    with db.session() as s:
        old = factories.focal_point(s, "FR", email=OLD, name="Claire Martin", title="Magistrate")
        by_role = factories.request(s, "FR", kind="questionnaire")
        by_name = factories.request(s, "FR", kind="clarification", contact=old)
        make_user(s)
        return {"old": old.id, "by_role": by_role.id, "by_name": by_name.id}


def _outgoing(s) -> list[Message]:
    return list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))


def test_a_successor_named_on_the_form_and_approved_takes_over_the_ladders(
    settings, csrf_web, session
):
    ids = _france()
    session.close()
    service.plan(settings)
    with db.session() as s:
        first = _outgoing(s)
        assert first and all(m.to_addrs == [OLD] for m in first)
        raw = _URL.findall(_text(first[0].raw))[0]
        assert f"/f/{raw}/successor" in _text(first[0].raw)  # every letter offers the path

    web = csrf_web.test_client()
    page = web.get(f"/f/{raw}").get_data(as_text=True)
    assert f'href="/f/{raw}/successor?lang=fr"' in page  # and every form page
    form = web.get(f"/f/{raw}/successor").get_data(as_text=True)
    resp = web.post(
        f"/f/{raw}/successor",
        data={
            "csrf_token": csrf_token_in(form),
            "name": "Sophie Bernard",
            "title": "Juge d'instruction",
            "email": NEW,
        },
    )
    assert resp.status_code == 200
    with db.session() as s:
        (proposal,) = s.scalars(select(SuccessorProposal)).all()
        assert (proposal.status, proposal.source, proposal.email) == ("pending", "form", NEW)
        assert s.get(Contact, ids["old"]).left_at is None  # nothing changes before approval
        proposal_id = proposal.id

    desk = csrf_web.test_client()
    log_in_page = desk.get("/desk/login").get_data(as_text=True)
    desk.post(
        "/desk/login",
        data={
            "csrf_token": csrf_token_in(log_in_page),
            "email": "officer@secretariat.example.org",
            "password": "correct horse battery staple",
        },
    )
    listing = desk.get("/desk/successors").get_data(as_text=True)
    assert "Sophie Bernard" in listing and NEW in listing
    approved = desk.post(
        f"/desk/successors/{proposal_id}/approve", data={"csrf_token": csrf_token_in(listing)}
    )
    assert approved.status_code == 302

    with db.session() as s:
        old = s.get(Contact, ids["old"])
        new = s.scalar(select(Contact).where(Contact.id == old.successor_id))
        assert old.left_at is not None and new is not None
        assert (new.role, new.state_code, new.emails, new.name) == (
            "focal_point",
            "FR",
            [NEW],
            "Sophie Bernard",
        )
        assert s.get(Request, ids["by_name"]).contact_id == new.id
        assert all(m.delivery == Delivery.CANCELLED.value for m in _outgoing(s))
        assert all(raw not in _text(m.raw) and "/f/[link]" in _text(m.raw) for m in _outgoing(s))
        assert s.get(SuccessorProposal, proposal_id).status == "approved"
        actions = set(s.scalars(select(AuditEvent.action)))
        assert {
            "successor.proposed",
            "successor.approved",
            "contact.created",
            "contact.left",
            "request.readdressed",
            "form_link.revoked",
        } <= actions
        before = {m.id for m in _outgoing(s)}

    # the old contact's link is withdrawn, and offers no fresh link (they have left)
    gone = web.get(f"/f/{raw}")
    assert gone.status_code == 410 and "/renew" not in gone.get_data(as_text=True)

    service.plan(settings)
    with db.session() as s:
        after = [m for m in _outgoing(s) if m.id not in before]
        assert after, "the next plan writes to the successor"
        assert all(m.to_addrs == [NEW] for m in after)
        carried = " ".join(_text(m.raw) for m in after)
        assert f"[FB-{ids['by_role']}]" in carried and f"[FB-{ids['by_name']}]" in carried
        assert not [m for m in _outgoing(s) if OLD in m.to_addrs and m.delivery != "cancelled"]


def test_a_successor_can_be_refused_and_nothing_changes(settings, web, session):
    ids = _france()
    with db.session() as s:
        from bot import successor

        old = s.get(Contact, ids["old"])
        proposal = successor.propose(s, old, name="X", email="x@example.org", source="form")
        successor.reject(s, proposal, actor="officer@secretariat.example.org")
        with pytest.raises(successor.SuccessorError):
            successor.approve(s, proposal, actor="officer@secretariat.example.org")
        with pytest.raises(successor.SuccessorError, match="own"):
            successor.propose(s, old, name="Me", email=OLD, source="form")
    with db.session() as s:
        assert s.get(Contact, ids["old"]).left_at is None
        assert s.scalar(select(SuccessorProposal.status)) == "rejected"


def test_the_successor_form_keeps_what_was_typed_and_says_what_is_wrong(settings, web, session):
    with db.session() as s:
        c = factories.focal_point(s, "EG", email="fp.eg@example.org")
        req = factories.request(s, "EG")
        from bot import links

        raw = links.create(s, req, c, days=120)
    client = web.test_client()
    resp = client.post(f"/f/{raw}/successor", data={"name": "أحمد علي", "email": "not an address"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert '<html lang="ar" dir="rtl">' in html
    assert "أحمد علي" in html and "not an address" in html
    with db.session() as s:
        assert s.scalars(select(SuccessorProposal)).all() == []


def test_desk_login_helper_still_works(settings, web, session):
    """The desk list of successors needs a login."""
    client = web.test_client()
    assert client.get("/desk/successors").status_code == 302
    with db.session() as s:
        make_user(s, email="second@secretariat.example.org")
    log_in(client, email="second@secretariat.example.org")
    assert client.get("/desk/successors").status_code == 200
