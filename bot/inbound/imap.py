"""Reading replies from an IMAP mailbox.

For each new message (by UID, above the stored watermark): ingest it (which
commits), then move it to the processed folder, then advance the watermark.
A crash between these steps makes the next poll read the message again, which
the ingest's deduplication makes harmless. The watermark is kept with the
folder's UIDVALIDITY; when that changes, the whole folder is read again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from imapclient import IMAPClient, SocketTimeout
from sqlalchemy import select

from .. import db
from ..config import ServerURL, Settings
from ..model import MailboxState, utcnow
from .ingest import PollResult, ingest

log = logging.getLogger(__name__)
BATCH = 10


@contextmanager
def connect(url: ServerURL, timeout: float) -> Iterator[IMAPClient]:
    client = IMAPClient(
        url.host, port=url.port, ssl=url.tls, timeout=SocketTimeout(connect=timeout, read=timeout)
    )
    try:
        client.login(url.username or "", url.password or "")
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # the connection may already be gone
            pass


def folder_of(url: ServerURL) -> str:
    return url.path or "INBOX"


def _watermark(mailbox: str, uidvalidity: int) -> int:
    """The last UID handled in ``mailbox``, reset to 0 when UIDVALIDITY changed."""
    with db.session() as s:
        state = s.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
        if state is None:
            state = MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0)
            s.add(state)
        elif state.uidvalidity != uidvalidity:
            log.warning(
                "%s: UIDVALIDITY changed from %s to %s; reading the folder again",
                mailbox, state.uidvalidity, uidvalidity,
            )
            state.uidvalidity = uidvalidity
            state.last_uid = 0
        state.polled_at = utcnow()
        return state.last_uid


def _advance(mailbox: str, uidvalidity: int, uid: int) -> None:
    with db.session() as s:
        state = s.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
        if state is not None and state.uidvalidity == uidvalidity and uid > state.last_uid:
            state.last_uid = uid


def ensure_folder(client: IMAPClient, folder: str) -> None:
    if not client.folder_exists(folder):
        client.create_folder(folder)


def move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()


def new_uids(client: IMAPClient, last_uid: int) -> list[int]:
    # "UID n:*" also returns the highest UID when it is below n: filter here.
    return sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)


def poll_imap(settings: Settings) -> PollResult:
    url = settings.imap
    if url is None:
        raise ValueError("IMAP_URL is not set")
    db.init(settings.database_url)
    result = PollResult()
    mailbox = url.redacted()
    folder = folder_of(url)
    with connect(url, settings.imap_timeout) as client:
        selected = client.select_folder(folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        last_uid = _watermark(mailbox, uidvalidity)
        uids = new_uids(client, last_uid)
        if uids:
            ensure_folder(client, settings.imap_processed_folder)
        for start in range(0, len(uids), BATCH):
            batch = uids[start:start + BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                data = fetched.get(uid, {})
                raw = data.get(b"BODY[]")
                if raw is None:
                    log.warning("%s: UID %s vanished before it was read", mailbox, uid)
                    continue
                outcome = ingest(bytes(raw), source=f"{mailbox};uidvalidity={uidvalidity};uid={uid}", settings=settings)
                result.add(outcome)
                move(client, uid, settings.imap_processed_folder)
                _advance(mailbox, uidvalidity, uid)
    log.info(
        "%s: %d fetched, %d recorded, %d duplicates, %d unparsable, %d to triage",
        mailbox, result.fetched, result.recorded, result.duplicates, result.unparsable, result.triage,
    )
    return result
