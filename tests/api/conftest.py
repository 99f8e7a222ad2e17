"""A desk user with an API key, and a small directory with requests, mail and a campaign."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot import apikeys
from bot.campaign import create_campaign
from bot.model import Attachment, Message, StateInstrument
from tests import factories
from tests.forms.helpers import make_contact, make_state, make_user, web  # noqa: F401


@pytest.fixture
def api_key(session) -> str:
    make_user(session)
    _, key = apikeys.create(session, "officer@secretariat.example.org", actor="test")
    session.commit()
    return key


@pytest.fixture
def api(web):  # noqa: F811  (the fixture imported above)
    return web.test_client()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def seed(session, states: int = 3) -> dict:
    """States with a public and a restricted contact, a campaign, and a message each way."""
    factories.instrument(session)
    codes = ["FR", "KE", "SA", "BR", "JP", "DE", "EG", "MX", "IN", "NG"][:states]
    for code in codes:
        state = make_state(session, code=code, name=f"State {code}")
        session.add(StateInstrument(state_code=code, instrument_code="UNTOC", status="party"))
        make_contact(session, state, email=f"fp@{code.lower()}.example.org")
        make_contact(
            session,
            state,
            email=f"secret@{code.lower()}.example.org",
            access="restricted",
            role="mla",
            name="Restricted Person",
        )
    session.flush()
    result = create_campaign(
        session,
        kind="questionnaire",
        due=date.today() + timedelta(days=30),
        instrument="UNTOC",
        cycle="2025",
        states=codes,
        actor="test",
    )
    for rid, code in zip(result.opened, codes, strict=True):
        out = Message(
            direction="out",
            request_id=rid,
            state_code=code,
            subject=f"Questionnaire [FB-{rid}]",
            raw=b"secret body",
            delivery="sent",
            from_addr="secretariat@example.org",
            to_addrs=[f"fp@{code.lower()}.example.org"],
            step="first",
        )
        reply = Message(
            direction="in",
            request_id=rid,
            state_code=code,
            subject=f"Re: [FB-{rid}]",
            raw=b"From: x\n\nthe reply body",
            text="the reply text",
            delivery="processed",
            from_addr=f"fp@{code.lower()}.example.org",
            kind="reply",
        )
        session.add_all([out, reply])
        session.flush()
        session.add(Attachment(message_id=reply.id, filename="law.pdf", size=10, sha256="0" * 64))
    session.commit()
    return {"codes": codes, "requests": result.opened}
