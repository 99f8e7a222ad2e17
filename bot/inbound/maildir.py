"""Reading replies from a local Maildir, the embedded default when no IMAP server is set.

Each message is ingested (which commits) and only then moved into the
Maildir++ folder ``.processed`` of the same Maildir.
"""

from __future__ import annotations

import logging
import mailbox

from .. import db
from ..config import Settings
from ..folders import PROCESSED, ensure_maildir
from .ingest import PollResult, ingest

log = logging.getLogger(__name__)


def open_maildir(settings: Settings) -> tuple[mailbox.Maildir, mailbox.Maildir]:
    """The inbox and its processed folder, made when missing (FolderError when they cannot be)."""
    inbox = ensure_maildir(settings.local_maildir)
    return inbox, inbox.get_folder(PROCESSED)


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
