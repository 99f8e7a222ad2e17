"""One reader at a time per mailbox: a poll holds the mailbox's lease (real Dovecot)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import db, lease
from bot.inbound import imap
from bot.inbound.poll import poll
from bot.model import AuditEvent, Lease, Message, Problem, utcnow

from .factories import reply


def _name(settings) -> str:
    return lease.mailbox_lease(settings.imap.redacted())


def _inbound() -> int:
    with db.session() as s:
        return len(s.scalars(select(Message.id).where(Message.direction == "in")).all())


def test_a_poll_finds_the_mailbox_held_by_another_reader_and_returns_at_once(
    imap_settings, dovecot
):
    dovecot.append(reply(subject="RE: held"))
    lease.acquire(_name(imap_settings), "other-host:1:abcd", 300)
    result = poll(imap_settings)
    assert result.skipped.startswith("another reader has the mailbox: lease held by other-host")
    assert (result.fetched, result.recorded) == (0, 0)
    assert len(dovecot.list_folder("INBOX")) == 1 and _inbound() == 0
    with db.session() as s:  # not a failure: nothing for the desk
        assert s.scalar(select(Problem)) is None
        assert s.get(Lease, _name(imap_settings)).holder == "other-host:1:abcd"

    lease.release(_name(imap_settings), "other-host:1:abcd")
    result = poll(imap_settings)
    assert not result.skipped and result.recorded == 1


def test_a_poll_releases_the_lease_at_the_end_and_writes_no_audit_event_for_it(
    imap_settings, dovecot
):
    dovecot.append(reply(subject="RE: one"))
    assert poll(imap_settings).recorded == 1
    with db.session() as s:
        row = s.get(Lease, _name(imap_settings))
        assert row.holder == "" and row.expires_at <= utcnow()
        actions = s.scalars(select(AuditEvent.action)).all()
    assert not [a for a in actions if a.startswith("lease.")]


def test_the_lease_of_a_reader_that_died_is_taken_over_once_it_expires(imap_settings, dovecot):
    dovecot.append(reply(subject="RE: after a crash"))
    name = _name(imap_settings)
    lease.acquire(name, "dead-host:9:dead", 60, now=utcnow() - timedelta(seconds=61))
    assert poll(imap_settings).recorded == 1
    with db.session() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "lease.taken_over"))
    assert '"previous":"dead-host:9:dead"' in event.payload


def test_the_lease_is_renewed_between_batches_and_a_lost_lease_stops_the_poll(
    imap_settings, dovecot, monkeypatch
):
    for i in range(2 * imap.BATCH + 2):
        dovecot.append(reply(subject=f"RE: {i}"))
    renewals = []
    real_renew = lease.Claim.renew

    def renew_then_lose(self):
        renewals.append(self.holder)
        if len(renewals) == 2:  # another reader took it over after the second batch
            lease.acquire(self.name, "thief:2:beef", 300, now=utcnow() + timedelta(hours=1))
        return real_renew(self)

    monkeypatch.setattr(lease.Claim, "renew", renew_then_lose)
    result = poll(imap_settings)
    assert len(renewals) == 2
    assert result.recorded == 2 * imap.BATCH  # it stopped before the third batch
    assert len(dovecot.list_folder("INBOX")) == 2
    with db.session() as s:
        assert s.get(Lease, _name(imap_settings)).holder == "thief:2:beef"  # not released


def test_a_maildir_poll_holds_the_maildir_lease_too(settings, app):
    import mailbox

    from bot.folders import ensure_maildir

    box = ensure_maildir(settings.local_maildir)
    box.add(mailbox.MaildirMessage(reply(subject="RE: local")))
    name = lease.mailbox_lease(str(settings.local_maildir))
    lease.acquire(name, "listener:3:cafe", 300)
    result = poll(settings)
    assert result.skipped and result.fetched == 0 and len(box) == 1
    lease.release(name, "listener:3:cafe")
    assert poll(settings).recorded == 1 and len(box) == 0
