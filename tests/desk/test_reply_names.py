"""Reply as the focal point, for a contact whose name holds control characters."""

from __future__ import annotations

import mailbox
from email import message_from_bytes, policy

from sqlalchemy import select

from bot.model import Contact, Message
from tests.desk.test_pages import _with_messages


def test_reply_as_a_focal_point_with_a_control_character_in_the_name(desk, session, settings):
    _with_messages(session)
    contact = session.scalars(select(Contact)).one()
    contact.name = "Claire\x0bMartin\r\nBcc: evil@example.net"
    session.commit()
    outbound_id = session.scalar(select(Message.id).where(Message.direction == "out"))
    session.rollback()
    resp = desk.post(f"/desk/messages/{outbound_id}/reply", data={"text": "Merci."})
    assert resp.status_code == 303
    box = mailbox.Maildir(str(settings.local_maildir), create=False)
    [key] = box.keys()
    raw = box.get_bytes(key)
    head = raw.split(b"\n\n", 1)[0]
    assert b"\x0b" not in head and b"\nBcc:" not in head
    reply = message_from_bytes(raw, policy=policy.default)
    assert reply["From"].addresses[0].display_name.startswith("Claire Martin")
    assert reply["From"].addresses[0].addr_spec == "fp@interieur.example.fr"
