"""Polling a real Dovecot mailbox."""

import logging

import pytest
from sqlalchemy import select

from bot import db
from bot.inbound import imap
from bot.inbound.poll import poll
from bot.model import Delivery, MailboxState, Message, Request
from tests.conftest import make_settings

from .factories import france_with_request, reply

PROCESSED = "focalbot-processed"


@pytest.fixture
def imap_settings(settings, app, dovecot):
    return make_settings(
        settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=dovecot.url, IMAP_TIMEOUT="10"
    )


def _inbound() -> list[Message]:
    with db.session() as s:
        return list(s.scalars(select(Message).where(Message.direction == "in").order_by(Message.id)))


def test_it_ingests_a_reply_then_moves_it_and_reads_nothing_twice(imap_settings, dovecot, caplog):
    caplog.set_level(logging.DEBUG)
    fr = france_with_request()
    raw = reply(token=fr["token"])
    dovecot.append(raw)

    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.duplicates, result.triage) == (1, 1, 0, 0)
    assert dovecot.list_folder("INBOX") == []
    assert len(dovecot.list_folder(PROCESSED)) == 1
    [row] = _inbound()
    assert row.request_id == fr["request_id"] and row.delivery == "processed"
    assert row.source.startswith(f"imap://{dovecot.user}:***@")
    with db.session() as s:
        assert s.get(Request, fr["request_id"]).status == "answered"
        state = s.scalar(select(MailboxState))
        assert state.last_uid == 1 and state.uidvalidity == dovecot.uidvalidity()

    again = poll(imap_settings)
    assert (again.fetched, again.recorded) == (0, 0)
    assert len(_inbound()) == 1
    assert dovecot.password not in caplog.text


def test_it_moves_a_message_only_after_its_record_is_committed(imap_settings, dovecot, monkeypatch):
    fr = france_with_request()
    dovecot.append(reply(token=fr["token"]))
    real_move = imap.move
    seen = []

    def checking_move(client, uid, folder):
        with db.session() as s:  # a separate session sees only what was committed
            seen.extend(s.scalars(select(Message.delivery).where(Message.direction == "in")))
        real_move(client, uid, folder)

    monkeypatch.setattr(imap, "move", checking_move)
    poll(imap_settings)
    assert seen == ["processed"]


def test_a_failed_ingest_leaves_the_message_in_the_inbox(imap_settings, dovecot, monkeypatch):
    dovecot.append(reply())

    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(imap, "ingest", broken)
    with pytest.raises(RuntimeError):
        poll(imap_settings)
    assert len(dovecot.list_folder("INBOX")) == 1
    with db.session() as s:
        assert s.scalar(select(MailboxState.last_uid)) == 0

    monkeypatch.undo()
    assert poll(imap_settings).recorded == 1
    assert dovecot.list_folder("INBOX") == []


def test_the_same_message_appended_twice_is_recorded_once(imap_settings, dovecot):
    fr = france_with_request()
    raw = reply(token=fr["token"])
    dovecot.append(raw)
    dovecot.append(raw)
    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.duplicates) == (2, 1, 1)
    assert len(_inbound()) == 1
    assert len(dovecot.list_folder(PROCESSED)) == 2


def test_an_unparsable_message_is_kept_and_the_poll_carries_on(imap_settings, dovecot):
    garbage = b"\x01\x02 this is no mail message \xff\xfe\r\n"
    dovecot.append(garbage)
    dovecot.append(reply())
    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.unparsable, result.triage) == (2, 2, 1, 1)
    first, second = _inbound()
    assert first.delivery == Delivery.UNPARSABLE.value and first.raw == garbage and first.error
    assert second.delivery == Delivery.TRIAGE.value
    assert dovecot.list_folder("INBOX") == []


def test_a_new_uidvalidity_makes_the_folder_read_again(settings, app, dovecot):
    folder = "Replies"
    url = dovecot.url.rsplit("/", 1)[0] + "/" + folder
    imap_settings = make_settings(settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=url)
    dovecot.append(reply(), folder=folder)
    assert poll(imap_settings).recorded == 1
    before = dovecot.uidvalidity(folder)

    client = dovecot.client()
    client.delete_folder(folder)
    client.create_folder(folder)
    client.logout()
    dovecot.append(reply(), folder=folder)  # UID 1 again, under a new UIDVALIDITY
    assert dovecot.uidvalidity(folder) != before

    result = poll(imap_settings)
    assert result.recorded == 1
    with db.session() as s:
        state = s.scalar(select(MailboxState))
        assert state.uidvalidity == dovecot.uidvalidity(folder) and state.last_uid == 1


def test_new_uids_ignores_the_highest_uid_returned_below_the_range(dovecot):
    dovecot.append(reply())
    client = dovecot.client()
    try:
        client.select_folder("INBOX")
        assert client.search(["UID", "5:*"]) == [1]  # what servers answer
        assert imap.new_uids(client, 4) == []
        assert imap.new_uids(client, 0) == [1]
    finally:
        client.logout()
