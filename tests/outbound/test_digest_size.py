"""Size: a digest of three requests stays under 8 KB in every language pair of the demo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import db, service
from bot.directory.seed import seed_demo
from bot.model import Contact, Message, OutboxItem
from bot.requests import open_request

LIMIT = 8 * 1024
PAIRS = {"EG": "ar, en", "CN": "zh, en", "SN": "fr, en", "RU": "ru, en", "MX": "es, en", "KE": "en"}


@pytest.fixture
def demo_digests(app, settings, fixed_clock):
    """The demo, its focal points with no language set (their State's language, then
    English), each with a third request at least, planned once."""
    with db.session() as s:
        seed_demo(s, today=date.today(), actor="test")
        for fp in s.scalars(select(Contact).where(Contact.role == "focal_point")):
            fp.languages = []
            open_request(
                s,
                fp.state,
                "clarification",
                date.today() + timedelta(days=30),
                instrument_code="UNTOC",
                contact=fp,
                actor="test",
                subject=(
                    "Channels for urgent requests for mutual legal assistance (art. 18, para. 13)"
                ),
            )
    service.plan(settings)
    with db.session() as s:
        rows = s.scalars(select(Message).where(Message.kind == "digest")).all()
        return {
            m.state_code: (
                m.language,
                len(m.raw),
                len(s.scalars(select(OutboxItem).where(OutboxItem.message_id == m.id)).all()),
            )
            for m in rows
        }


@pytest.mark.parametrize("code", sorted(PAIRS))
def test_a_digest_of_three_requests_in_two_languages_is_under_8_kb(demo_digests, code):
    language, size, carried = demo_digests[code]
    assert language == PAIRS[code] and carried >= 3
    assert size < LIMIT, f"{code} ({language}, {carried} requests): {size} bytes"
