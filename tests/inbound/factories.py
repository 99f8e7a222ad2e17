"""Rows and raw messages for the inbound tests."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from bot import db, requests, tokens
from bot.model import Contact, Delivery, Direction, Message, State

DOMAIN = "secretariat.example.org"
FOCAL_POINT = "jean.dupont@justice.gouv.fr"


def france_with_request(kind: str = "clarification", *, email: str = FOCAL_POINT) -> dict:
    """France, its focal point and one open request; returns their ids and the request token."""
    with db.session() as s:
        state = State(
            code="FR",
            names={"en": "France"},
            un_group="WEOG",
            language="fr",
            timezone="Europe/Paris",
        )
        s.add(state)
        contact = Contact(
            state_code="FR",
            role="focal_point",
            name="Jean Dupont",
            emails=[email],
            languages=["fr"],
        )
        s.add(contact)
        s.flush()
        request = requests.open_request(
            s, state, kind, date.today() + timedelta(days=30),
            subject="Autorité centrale", contact=contact,
        )
        sent = Message(
            direction=Direction.OUT.value,
            message_id=make_msgid(domain=DOMAIN),
            request_id=request.id,
            state_code="FR",
            contact_id=contact.id,
            subject=f"{request.tag} Demande de clarification",
            from_addr=tokens.reply_address(request.token, f"replies@{DOMAIN}"),
            to_addrs=[email],
            raw=b"",
            delivery=Delivery.SENT.value,
            step="first",
        )
        s.add(sent)
        s.flush()
        return {
            "request_id": request.id, "token": request.token, "contact_id": contact.id,
            "sent_message_id": sent.message_id, "tag": request.tag,
        }


def reply(
    *,
    token: str | None = None,
    body: str = (
        "Bonjour,\n\nL'autorité centrale est le ministère de la Justice.\n\n"
        "Cordialement,\nJean Dupont\n"
    ),
    subject: str = "RE: Demande de clarification",
    sender: str = FOCAL_POINT,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Jean Dupont <{sender}>"
    msg["To"] = tokens.reply_address(token, f"replies@{DOMAIN}") if token else f"replies@{DOMAIN}"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Mar 2025 10:00:00 +0100"
    msg["Message-ID"] = message_id or make_msgid(domain="justice.gouv.fr")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def another_request(fr: dict, kind: str = "questionnaire") -> int:
    """A second open request to the same focal point."""
    with db.session() as s:
        contact = s.get_one(Contact, fr["contact_id"])
        request = requests.open_request(
            s, contact.state, kind, date.today() + timedelta(days=40), contact=contact,
        )
        return request.id


def tnef(body: str, files: dict[str, bytes]) -> bytes:
    """A small Outlook winmail.dat (TNEF) with a plain body and the given files."""
    import struct

    def obj(level: int, name: int, kind: int, data: bytes) -> bytes:
        return (
            struct.pack("<BHHI", level, name, kind, len(data))
            + data
            + struct.pack("<H", sum(data) & 0xFFFF)
        )

    out = struct.pack("<IH", 0x223E9F78, 1) + obj(1, 0x800C, 0x0002, body.encode("cp1252"))
    for name, data in files.items():
        out += obj(2, 0x9002, 0x0006, b"\x01\x00" + b"\x00" * 12)
        out += obj(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")
        out += obj(2, 0x800F, 0x0006, data)
    return out
