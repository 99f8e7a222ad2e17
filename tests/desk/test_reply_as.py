"""Reply as the focal point, from every message the desk shows: letters and digests."""

from __future__ import annotations

import mailbox
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from bot import db, requests, service, tokens
from bot.inbound.poll import poll
from bot.model import Message, MessageLink
from tests import factories

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _digest(settings, name: str = "Ana López") -> tuple[int, list[int], str]:
    with db.session() as s:
        contact = factories.focal_point(s, "MX", name=name)
        ids = [
            factories.request(s, "MX", kind=k, contact=contact).id
            for k in ("questionnaire", "directory_update", "clarification")
        ]
    service.plan(settings)
    with db.session() as s:
        digest = s.scalars(select(Message).where(Message.kind == "digest")).one()
        assert digest.token is not None
        return digest.id, ids, digest.token


def test_reply_as_the_focal_point_on_a_digest_puts_the_reply_on_its_requests(desk, settings):
    digest_id, ids, token = _digest(settings)
    page = desk.get(f"/desk/messages/{digest_id}/reply")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for rid in ids:
        assert f"[FB-{rid}]" in html
    resp = desk.post(
        f"/desk/messages/{digest_id}/reply", data={"text": "Thank you, answers will follow."}
    )
    assert resp.status_code == 303

    box = mailbox.Maildir(str(settings.local_maildir), create=False)
    [key] = box.keys()
    reply = message_from_bytes(box.get_bytes(key), policy=policy.default)
    assert reply["To"] == tokens.reply_address(token, settings.reply_address)

    (outcome,) = poll(settings).results
    assert outcome.outcome == "processed"
    with db.session() as s:
        assert sorted(s.scalars(select(MessageLink.request_id))) == ids
        for rid in ids:
            assert any(m.id == outcome.message_pk for m in requests.correspondence(s, rid))
    request_page = desk.get(f"/desk/requests/{ids[0]}").get_data(as_text=True)
    assert "Thank you, answers will follow." in request_page


def test_a_contact_name_with_a_control_character_replies_without_error(desk, settings):
    digest_id, ids, _ = _digest(settings, name="Ana\x0bLópez")
    assert desk.get(f"/desk/messages/{digest_id}/reply").status_code == 200
    resp = desk.post(f"/desk/messages/{digest_id}/reply", data={"text": "Recibido."})
    assert resp.status_code == 303
    box = mailbox.Maildir(str(settings.local_maildir), create=False)
    [key] = box.keys()
    raw = box.get_bytes(key)
    assert b"\x0b" not in raw
    assert (
        message_from_bytes(raw, policy=policy.default)["From"].addresses[0].display_name
        == "Ana López"
    )


def test_reply_as_answers_404_for_a_message_that_is_no_letter(desk, settings):
    assert desk.get("/desk/messages/999999/reply").status_code == 404
    with db.session() as s:
        contact = factories.focal_point(s, "MX")
        s.add(Message(direction="in", raw=b"x", delivery="processed", contact_id=contact.id))
        s.flush()
        inbound = s.scalars(select(Message.id)).one()
    assert desk.get(f"/desk/messages/{inbound}/reply").status_code == 404
