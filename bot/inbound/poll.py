"""One poll of the configured mailbox: IMAP when IMAP_URL is set, else the local Maildir."""

from __future__ import annotations

from ..config import Settings
from .imap import poll_imap
from .ingest import PollResult
from .maildir import poll_maildir

__all__ = ["PollResult", "poll"]


def poll(settings: Settings) -> PollResult:
    if settings.imap is not None:
        return poll_imap(settings)
    return poll_maildir(settings)
