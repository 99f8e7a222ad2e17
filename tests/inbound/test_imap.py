"""Polling a real Dovecot mailbox."""

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import db
from bot.inbound import imap
from bot.inbound.poll import PollError, poll
from bot.model import Delivery, MailboxState, Message, Problem, Request
from tests.conftest import make_settings

from .factories import france_with_request, reply

PROCESSED = "focalbot-processed"


def _inbound() -> list[Message]:
    with db.session() as s:
        return list(
            s.scalars(select(Message).where(Message.direction == "in").order_by(Message.id))
        )


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
    with pytest.raises(PollError, match="database is down"):
        poll(imap_settings)
    assert len(dovecot.list_folder("INBOX")) == 1
    with db.session() as s:
        assert s.scalar(select(MailboxState.last_uid)) == 0
        problem = s.scalar(select(Problem).where(Problem.key == "mailbox:poll"))
        assert problem.area == "mailbox" and problem.resolved_at is None
        assert "database is down" in problem.message

    monkeypatch.undo()
    assert poll(imap_settings).recorded == 1
    assert dovecot.list_folder("INBOX") == []
    with db.session() as s:
        assert (
            s.scalar(select(Problem.resolved_at).where(Problem.key == "mailbox:poll")) is not None
        )


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
    imap_settings = make_settings(
        settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=url
    )
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


# -- folders, UIDVALIDITY and servers without MOVE ----------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
REVIEW, BOUNCES = "focalbot-review", "focalbot-bounces"
NO_MESSAGE_ID = (
    b"From: Grace Otieno <g.otieno@ag.go.example>\r\nTo: replies@secretariat.example.org\r\n"
    b"Subject: Re: languages\r\nDate: Tue, 4 Mar 2025 09:14:27 +0300\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nEnglish and Kiswahili.\r\n"
)


def _subjects(dovecot, folder):
    from email import message_from_bytes

    return sorted(str(message_from_bytes(raw)["Subject"]) for raw in dovecot.list_folder(folder))


def test_each_message_goes_to_the_processed_review_or_bounces_folder(imap_settings, dovecot):
    fr = france_with_request()
    dovecot.append(reply(token=fr["token"], subject="RE: answered"))
    dovecot.append(reply(subject="RE: no request", sender="someone@elsewhere.example"))
    dovecot.append(b"\x01\x02 no mail at all \xff\r\n")
    dovecot.append((FIXTURES / "dsn-postfix-5.1.1.eml").read_bytes())

    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.triage, result.unparsable) == (4, 4, 1, 1)
    assert dovecot.list_folder("INBOX") == []
    assert _subjects(dovecot, PROCESSED) == ["RE: answered"]
    assert len(dovecot.list_folder(REVIEW)) == 2 and "RE: no request" in _subjects(dovecot, REVIEW)
    assert _subjects(dovecot, BOUNCES) == ["Undelivered Mail Returned to Sender"]


def test_the_folders_are_settings(settings, app, dovecot):
    custom = make_settings(
        settings.var_dir.parent,
        DATABASE_URL=settings.database_url,
        IMAP_URL=dovecot.url,
        IMAP_REVIEW_FOLDER="Triage",
        IMAP_BOUNCES_FOLDER="Bounced",
    )
    dovecot.append(reply())
    dovecot.append((FIXTURES / "dsn-exim-nonstandard.eml").read_bytes())
    poll(custom)
    assert len(dovecot.list_folder("Triage")) == 1 and len(dovecot.list_folder("Bounced")) == 1


def test_after_a_uidvalidity_change_stored_messages_are_moved_but_not_recorded_again(
    settings, app, dovecot, monkeypatch
):
    folder = "Replies"
    url = dovecot.url.rsplit("/", 1)[0] + "/" + folder
    imap_settings = make_settings(
        settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=url
    )
    with_id = reply(subject="RE: with an id")
    dovecot.append(with_id, folder=folder)
    dovecot.append(NO_MESSAGE_ID, folder=folder)
    assert poll(imap_settings).recorded == 2

    # the server rebuilt its index: the same messages come back under new UIDs
    client = dovecot.client()
    client.delete_folder(folder)
    client.create_folder(folder)
    client.logout()
    dovecot.append(with_id, folder=folder)
    dovecot.append(NO_MESSAGE_ID, folder=folder)
    dovecot.append(reply(subject="RE: new"), folder=folder)

    full_fetches = []
    real_fetch = imap.IMAPClient.fetch

    def counting_fetch(self, messages, data, *args, **kwargs):
        if b"BODY.PEEK[]" in [d.encode() if isinstance(d, str) else d for d in data]:
            full_fetches.extend(messages)
        return real_fetch(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(imap.IMAPClient, "fetch", counting_fetch)
    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.duplicates) == (3, 1, 2)
    assert len(full_fetches) == 2  # the one known by its Message-ID is not downloaded again
    assert dovecot.list_folder(folder) == []
    assert len(dovecot.list_folder(REVIEW)) == 5
    with db.session() as s:
        assert len(list(s.scalars(select(Message.id).where(Message.direction == "in")))) == 3


def _without(monkeypatch, *capabilities):
    real = imap.IMAPClient.has_capability

    def has_capability(self, capability):
        return capability.upper() not in capabilities and real(self, capability)

    monkeypatch.setattr(imap.IMAPClient, "has_capability", has_capability)


def _flag_deleted_by_someone_else(dovecot) -> None:
    dovecot.append(reply(subject="RE: flagged by another client"))
    client = dovecot.client()
    try:
        client.select_folder("INBOX")
        client.add_flags(client.search(["ALL"]), [b"\\Deleted"])
    finally:
        client.logout()


def test_without_move_it_copies_and_expunges_only_its_own_message(
    imap_settings, dovecot, monkeypatch
):
    _flag_deleted_by_someone_else(dovecot)
    dovecot.append(reply(subject="RE: ours"))
    _without(monkeypatch, "MOVE")
    assert poll(imap_settings).recorded == 1
    assert _subjects(dovecot, "INBOX") == ["RE: flagged by another client"]
    assert _subjects(dovecot, REVIEW) == ["RE: ours"]


def test_without_uidplus_it_leaves_the_copied_message_flagged_and_expunges_nothing(
    imap_settings, dovecot, monkeypatch, caplog
):
    _flag_deleted_by_someone_else(dovecot)
    dovecot.append(reply(subject="RE: ours"))
    _without(monkeypatch, "MOVE", "UIDPLUS")
    monkeypatch.setattr(
        imap.IMAPClient,
        "expunge",
        lambda *a, **k: pytest.fail("EXPUNGE would remove others' messages"),
    )
    assert poll(imap_settings).recorded == 1
    assert _subjects(dovecot, "INBOX") == ["RE: flagged by another client", "RE: ours"]
    assert _subjects(dovecot, REVIEW) == ["RE: ours"]
    assert "no UIDPLUS" in caplog.text
    again = poll(imap_settings)
    assert (again.fetched, again.recorded) == (0, 0)


def test_a_message_that_is_not_stored_is_never_moved(imap_settings, dovecot, monkeypatch):
    dovecot.append(reply())
    monkeypatch.setattr(
        imap, "ingest", lambda raw, **kw: imap.IngestResult("duplicate", reason="already recorded")
    )
    poll(imap_settings)  # reported as seen before, yet no row holds it
    assert len(dovecot.list_folder("INBOX")) == 1
    assert dovecot.list_folder(PROCESSED) == dovecot.list_folder(REVIEW) == []


def test_messages_are_fetched_in_small_batches(imap_settings, dovecot, monkeypatch):
    for i in range(imap.BATCH + 3):
        dovecot.append(reply(subject=f"RE: {i}"))
    sizes = []
    real_fetch = imap.IMAPClient.fetch

    def spying_fetch(self, messages, data, *args, **kwargs):
        sizes.append((len(messages), list(data)))
        return real_fetch(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(imap.IMAPClient, "fetch", spying_fetch)
    assert poll(imap_settings).recorded == imap.BATCH + 3
    assert sizes == [(imap.BATCH, ["BODY.PEEK[]"]), (3, ["BODY.PEEK[]"])]


def test_a_refused_login_is_a_problem_on_the_desk_without_the_password(settings, app, dovecot):
    wrong = dovecot.url.replace(dovecot.password, "not-the-password")
    bad = make_settings(settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_URL=wrong)
    with pytest.raises(PollError) as raised:
        poll(bad)
    assert "refused the login" in str(raised.value) and dovecot.user in str(raised.value)
    assert "not-the-password" not in str(raised.value)
    with db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.key == "mailbox:poll"))
    assert problem.resolved_at is None and "refused the login" in problem.message
    assert "not-the-password" not in problem.message
