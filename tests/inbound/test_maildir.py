import mailbox

import pytest
from sqlalchemy import select

from bot import db
from bot.inbound.poll import PollError, poll
from bot.model import Message, Problem

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


def test_it_makes_a_missing_maildir_and_its_folders(settings):
    """A fresh clone: no Maildir at all, or an empty folder where it should be."""
    assert not settings.local_maildir.exists()
    assert poll(settings).fetched == 0
    for sub in ("cur", "new", "tmp", ".processed/cur", ".processed/new", ".processed/tmp"):
        assert (settings.local_maildir / sub).is_dir(), sub

    for sub in ("cur", "new", "tmp"):
        (settings.local_maildir / sub).rmdir()
    assert poll(settings).fetched == 0
    assert (settings.local_maildir / "cur").is_dir()


def test_a_maildir_path_that_is_a_file_is_a_problem_and_cleared_once_fixed(settings):
    settings.local_maildir.parent.mkdir(parents=True, exist_ok=True)
    settings.local_maildir.write_text("not a folder")
    with pytest.raises(PollError) as raised:
        poll(settings)
    assert f"{settings.local_maildir} is a file" in str(raised.value)
    assert settings.local_maildir.read_text() == "not a folder"  # nothing is overwritten
    with db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.key == "mailbox:poll"))
    assert problem.area == "mailbox" and problem.resolved_at is None
    assert "is a file" in problem.message

    settings.local_maildir.unlink()
    assert poll(settings).fetched == 0
    with db.session() as s:
        assert (
            s.scalar(select(Problem.resolved_at).where(Problem.key == "mailbox:poll")) is not None
        )


def test_the_app_starts_and_makes_every_local_folder(settings):
    from bot.app import create_app

    create_app(settings, TESTING=True)
    for folder in (settings.var_dir, settings.local_outbox, settings.local_maildir / "new"):
        assert folder.is_dir(), folder
