"""Checkpoints of the audit log: its head anchored outside the database.

A checkpoint is a small JSON document: the chain's last event (``seq``), its ``hash``, the
``time`` it was taken and the ``key_id`` of the audit key, signed (``signature``) with
HMAC-SHA256 under a key derived from the audit key. ``focalbot audit checkpoint`` writes
one to AUDIT_CHECKPOINT_DIR and mails it to AUDIT_CHECKPOINT_TO; beat does so daily.
``focalbot audit verify --checkpoint FILE`` then checks that the log still holds event
``seq`` with that hash: whoever rewrites or truncates the log back past a checkpoint they
cannot reach (a copy mailed off the machine) is seen, even with the key.

Signing and checking are pure functions; ``write`` does the I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .config import Settings
from .model import AuditEvent, Message, utcnow

FIELDS = ("seq", "hash", "time", "key_id")
KIND = "audit_checkpoint"


class CheckpointRefused(Exception):
    """The chain does not verify: a checkpoint would anchor a log that does not hold."""


def signing_key(key: bytes) -> bytes:
    """The key checkpoints are signed with, derived from the audit key (never the same)."""
    return hmac.new(key, b"checkpoint", hashlib.sha256).digest()


def _signature(key: bytes, doc: dict[str, Any]) -> str:
    signed = audit.canonical({name: doc[name] for name in FIELDS})
    return hmac.new(signing_key(key), signed.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(key: bytes, seq: int, hash_: str, time: datetime) -> dict[str, Any]:
    """The signed checkpoint of a chain whose event ``seq`` has ``hash_``."""
    doc: dict[str, Any] = {
        "seq": seq,
        "hash": hash_,
        "time": time.isoformat(timespec="seconds"),
        "key_id": audit.key_id(key),
    }
    return {**doc, "signature": _signature(key, doc)}


def parse(text: str) -> dict[str, Any]:
    """The checkpoint in ``text``: the file as written, or any text holding it (the body of
    the email it came in). ValueError says why there is none."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no checkpoint in it (no JSON object)")
    try:
        doc = json.loads(text[start : end + 1])
    except ValueError as exc:
        raise ValueError(f"its checkpoint is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError("its checkpoint is not a JSON object")
    return doc


def signature_problem(key: bytes, doc: dict[str, Any]) -> str:
    """Why ``doc`` is not a checkpoint signed with ``key``, or "" when it is."""
    for name in (*FIELDS, "signature"):
        if name not in doc:
            return f"it is not a checkpoint: it has no {name!r}"
    if not isinstance(doc["seq"], int) or isinstance(doc["seq"], bool) or doc["seq"] < 0:
        return "it is not a checkpoint: its 'seq' is not a number of events"
    if not all(isinstance(doc[name], str) for name in ("hash", "time", "key_id", "signature")):
        return "it is not a checkpoint: its 'hash', 'time', 'key_id' and 'signature' must be text"
    if doc["key_id"] != audit.key_id(key):
        return (
            f"it was signed with another audit key (key id {doc['key_id']}; the key in "
            f"AUDIT_KEY_FILE is {audit.key_id(key)})"
        )
    if not hmac.compare_digest(_signature(key, doc), doc["signature"]):
        return "its signature does not match: the checkpoint was altered"
    return ""


def held_problem(doc: dict[str, Any], result: audit.VerifyResult, hash_at_seq: str | None) -> str:
    """Why the log no longer holds the checkpoint's event (or "" when it does).

    ``result`` is the chain's verification, ``hash_at_seq`` the stored hash of its event
    ``doc["seq"]`` (None when there is no such event)."""
    if not result.ok:
        return result.message()
    seq, when = doc["seq"], doc["time"]
    if seq > result.count:
        return (
            f"the log ends at event {result.count}, before event {seq} of the checkpoint of "
            f"{when}: events were removed, or the log rewritten back past the checkpoint"
        )
    expected = audit.GENESIS if seq == 0 else hash_at_seq
    if expected != doc["hash"]:
        return (
            f"event {seq} is not the one the checkpoint of {when} recorded: the log was "
            "rewritten up to it"
        )
    return ""


def added_since(doc: dict[str, Any], result: audit.VerifyResult) -> str:
    """The events written after the checkpoint, as a sentence."""
    seq, count = doc["seq"], result.count
    if count == seq:
        return "no events added since"
    if count == seq + 1:
        return f"1 event added since (event {count})"
    return f"{count - seq} events added since (events {seq + 1} to {count})"


def file_name(doc: dict[str, Any]) -> str:
    return f"audit-checkpoint-{doc['time'][:10]}-seq{doc['seq']}.json"


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


@dataclass
class Written:
    doc: dict[str, Any]
    path: Path
    mailed_to: str = ""

    def message(self) -> str:
        mailed = f", mailed to {self.mailed_to}" if self.mailed_to else ""
        return f"checkpoint of event {self.doc['seq']} written to {self.path}{mailed}"


def write(
    session: Session, settings: Settings, out: Path | None = None, *, now: datetime | None = None
) -> Written:
    """Verify the chain, then write its signed head to ``out`` (or AUDIT_CHECKPOINT_DIR),
    queue it to AUDIT_CHECKPOINT_TO, and record that, in the caller's transaction.

    Raises CheckpointRefused, writing nothing, when the chain does not verify. Mailing
    needs the application context (the letter is rendered from its templates)."""
    key = settings.audit_key
    result = audit.verify(session, key)
    if not result.ok:
        raise CheckpointRefused(result.message())
    doc = sign(key, result.count, result.last_hash, now or utcnow())
    path = out or settings.audit_checkpoint_dir / file_name(doc)
    _write_file(path, dumps(doc))
    to = settings.audit_checkpoint_to
    if to:
        _queue_mail(session, settings, doc, to)
    audit.record(
        session,
        "audit.checkpoint",
        subject_type="audit",
        subject_id=doc["seq"],
        hash=doc["hash"],
        time=doc["time"],
        key_id=doc["key_id"],
        file=str(path),
        mailed_to=to,
    )
    return Written(doc, path, to)


def _write_file(path: Path, text: str) -> None:
    """Write whole or not at all: a crash leaves no half checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def _queue_mail(session: Session, settings: Settings, doc: dict[str, Any], to: str) -> Message:
    from .account_mail import queue_notice
    from .outbound.compose import render

    context = {
        "seq": doc["seq"],
        "time": doc["time"],
        "checkpoint": dumps(doc),
        "secretariat": settings.secretariat_name,
    }
    rendered = render(KIND, KIND, context, "en")
    return queue_notice(
        session, settings, rendered, ("", to), "en", notice=KIND, checkpoint_seq=doc["seq"]
    )


@dataclass
class Checked:
    ok: bool
    message: str


def check(session: Session, key: bytes, text: str) -> Checked:
    """Verify the chain against the checkpoint in ``text``: its signature first, then the
    chain, then that the chain still holds the checkpoint's event with its hash."""
    try:
        doc = parse(text)
    except ValueError as exc:
        return Checked(False, f"checkpoint: {exc}")
    problem = signature_problem(key, doc)
    if problem:
        return Checked(False, f"checkpoint: {problem}")
    result = audit.verify(session, key)
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == doc["seq"]))
    problem = held_problem(doc, result, stored)
    if problem:
        return Checked(False, problem if not result.ok else f"checkpoint: {problem}")
    return Checked(
        True,
        f"{result.message()}; it holds the checkpoint of event {doc['seq']} of {doc['time']}; "
        f"{added_since(doc, result)}",
    )
