"""Reading replies from a local Maildir, the embedded default when no IMAP server is set.

Each message is ingested (which commits) and only then moved into the
Maildir++ folder ``.processed`` of the same Maildir. A poll holds the Maildir's lease, as
an IMAP poll holds its mailbox's.
"""

from __future__ import annotations

import logging
import mailbox

from .. import db, lease
from ..config import Settings
from ..folders import PROCESSED, ensure_maildir
from .ingest import PollResult, ingest, not_read

log = logging.getLogger(__name__)
BATCH = 10  # messages between renewals of the lease


def open_maildir(settings: Settings) -> tuple[mailbox.Maildir, mailbox.Maildir]:
    """The inbox and its processed folder, made when missing (FolderError when they cannot be)."""
    inbox = ensure_maildir(settings.local_maildir)
    return inbox, inbox.get_folder(PROCESSED)


def poll_maildir(settings: Settings, holder: str | None = None) -> PollResult:
    db.init(settings.database_url)
    inbox, processed = open_maildir(settings)
    name = lease.mailbox_lease(str(settings.local_maildir))
    claim = lease.Claim(name, settings.mailbox_lease_seconds, holder)
    with lease.claimed(claim):
        if not claim.held:
            return not_read(f"maildir {settings.local_maildir}", claim.outcome)
        return _read_maildir(settings, inbox, processed, claim)


def _read_maildir(
    settings: Settings, inbox: mailbox.Maildir, processed: mailbox.Maildir, claim: lease.Claim
) -> PollResult:
    result = PollResult()
    for n, key in enumerate(sorted(inbox.iterkeys())):
        if n and n % BATCH == 0 and not claim.renew():
            break  # another reader took the Maildir over
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
