import mailbox

from sqlalchemy import select

from bot import db
from bot.inbound.poll import poll
from bot.model import Message

from .factories import france_with_request, reply


def test_it_ingests_the_local_maildir_and_moves_what_it_recorded(settings, app):
    fr = france_with_request()
    settings.local_maildir.parent.mkdir(parents=True, exist_ok=True)
    inbox = mailbox.Maildir(settings.local_maildir, create=True)
    raw = reply(token=fr["token"])
    inbox.add(raw)
    inbox.add(raw)
    inbox.add(b"\x00\xff not a message\n")

    result = poll(settings)
    assert (result.fetched, result.recorded, result.duplicates, result.unparsable) == (3, 2, 1, 1)
    assert len(inbox) == 0
    processed = inbox.get_folder("processed")
    assert sorted(processed.get_bytes(k) for k in processed.keys()) == sorted(
        [raw, raw, b"\x00\xff not a message\n"]
    )
    assert (settings.local_maildir / ".processed" / "cur").is_dir()
    with db.session() as s:
        rows = list(
            s.scalars(select(Message).where(Message.direction == "in").order_by(Message.id))
        )
    assert [r.delivery for r in rows] == ["processed", "unparsable"]
    assert rows[0].source.startswith("maildir:")

    assert poll(settings).fetched == 0


def test_it_creates_a_missing_maildir(settings, app):
    assert not settings.local_maildir.exists()
    assert poll(settings).fetched == 0
    assert (settings.local_maildir / "new").is_dir()
