"""The local folders the bot works in: made at startup, checked before each use.

On the embedded defaults mail is read from a Maildir (``cur``, ``new``,
``tmp`` and the ``.processed`` folder) and written to an outbox folder; a
fresh clone has none of them. ``ensure_folders`` makes what is missing and
says in one line what is wrong when a path cannot be a folder (a file in its
place, no permission), so that the caller can report it as a Problem.
"""

from __future__ import annotations

import mailbox
import os
from pathlib import Path

from .config import Settings

MAILDIR_SUBDIRS = ("cur", "new", "tmp")
PROCESSED = "processed"


class FolderError(Exception):
    """A folder the bot needs cannot be made or used."""


def _make(path: Path, what: str) -> None:
    for part in (path, *path.parents):
        if part.exists() and not part.is_dir():
            raise FolderError(f"the {what} {path} cannot be made: {part} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError(f"the {what} {path} cannot be made: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise FolderError(f"the {what} {path} is not writable by this process")


def ensure_maildir(path: Path) -> mailbox.Maildir:
    """The Maildir at ``path`` with its folders made, and its ``.processed`` folder."""
    path = Path(path)
    for sub in MAILDIR_SUBDIRS:
        _make(path / sub, "mail folder")
    for sub in MAILDIR_SUBDIRS:
        _make(path / f".{PROCESSED}" / sub, "mail folder")
    (path / f".{PROCESSED}" / "maildirfolder").touch(exist_ok=True)
    return mailbox.Maildir(str(path), factory=None, create=False)


def ensure_folders(settings: Settings) -> None:
    """Make every local folder the settings name; raise FolderError saying which cannot be."""
    _make(settings.var_dir, "data folder")
    _make(settings.attachment_dir, "attachment folder")
    if settings.smtp is None:
        _make(settings.local_outbox, "outbox folder")
    if settings.imap is None:
        ensure_maildir(settings.local_maildir)
