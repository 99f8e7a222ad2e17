"""Keeping the files that came with a message: bytes by SHA-256 on disk, a row per file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from ..model import Attachment, Message
from .attachments import Found


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def write(root: Path, sha256: str, data: bytes) -> Path:
    """Write ``data`` under its hash, atomically; a file already there is kept."""
    target = path_for(root, sha256)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def keep(session: Session, message: Message, files: list[Found], root: Path, cap: int) -> list[str]:
    """Store each file (within ``cap`` bytes for the message) and add its Attachment row.

    Returns a note for each file that was not kept.
    """
    notes: list[str] = []
    used = 0
    for found in files:
        refused = found.refused
        if refused is None and used + found.size > cap:
            refused = f"over the size cap of {cap} bytes per message"
        stored = False
        if refused is None:
            try:
                write(root, found.sha256, found.data)
                stored = True
                used += found.size
            except OSError as exc:
                refused = f"could not be stored ({exc.strerror or exc})"
        if refused:
            notes.append(f"attachment {found.filename!r} not kept: {refused}")
        session.add(
            Attachment(
                message_id=message.id,
                filename=found.filename[:255],
                content_type=found.content_type[:127],
                size=found.size,
                sha256=found.sha256,
                stored=stored,
                refused=refused[:200] if refused else None,
            )
        )
    return notes
