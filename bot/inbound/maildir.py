"""Reading replies from a local Maildir, the embedded default when no IMAP server is set.

Each message is ingested (which commits) and only then moved into the
Maildir++ folder ``.processed`` of the same Maildir.
"""

from __future__ import annotations

import logging
import mailbox

from .. import db
from ..config import Settings
from .ingest import PollResult, ingest

log = logging.getLogger(__name__)
PROCESSED = "processed"


def open_maildir(settings: Settings) -> tuple[mailbox.Maildir, mailbox.Maildir]:
    settings.local_maildir.parent.mkdir(parents=True, exist_ok=True)
    inbox = mailbox.Maildir(settings.local_maildir, factory=None, create=True)
    try:
        processed = inbox.get_folder(PROCESSED)
    except mailbox.NoSuchMailboxError:
        processed = inbox.add_folder(PROCESSED)
    return inbox, processed


def poll_maildir(settings: Settings) -> PollResult:
    db.init(settings.database_url)
    inbox, processed = open_maildir(settings)
    result = PollResult()
    for key in sorted(inbox.iterkeys()):
        try:
            raw = inbox.get_bytes(key)
        except KeyError:  # taken by another reader meanwhile
            continue
        result.add(ingest(raw, source=f"maildir:{key}", settings=settings))
        processed.add(raw)
        inbox.discard(key)
    if result.fetched:
        log.info(
            "maildir %s: %d fetched, %d recorded, %d duplicates, %d unparsable, %d to triage",
            settings.local_maildir, result.fetched, result.recorded, result.duplicates,
            result.unparsable, result.triage,
        )
    return result
