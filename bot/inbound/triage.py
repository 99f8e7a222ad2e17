"""What a person decides about a message the bot could not place: file it under a request, or
dismiss it."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..config import Settings
from ..model import Attachment, Delivery, Direction, Message, Request, Submission
from . import submit
from .parse import parse

WAITING = (Delivery.TRIAGE.value, Delivery.UNPARSABLE.value)
_REF = re.compile(r"^\s*(?:\[?\s*FB\s*-?\s*|#)?(\d{1,12})\s*\]?\s*$", re.IGNORECASE)
_TAGS = re.compile(r"\[FB-(\d{1,12})\]")


class TriageError(ValueError):
    """The message or request cannot be used as asked."""


def request_number(text: str) -> int | None:
    """``[FB-12]``, ``FB-12``, ``#12`` or ``12`` as a request id."""
    found = _REF.match(text or "")
    return int(found.group(1)) if found else None


def suggestions(session: Session, row: Message) -> list[Request]:
    """Where the message may belong, best first: the weak match, then requests named in the
    reason."""
    ids: list[int] = [row.request_id] if row.request_id else []
    ids += [int(n) for n in _TAGS.findall(row.error or "") if int(n) not in ids]
    found = [session.get(Request, i) for i in ids[:10]]
    return [r for r in found if r is not None]


def waiting(session: Session, row_id: int) -> Message:
    row = session.get(Message, row_id)
    if row is None or row.direction != Direction.IN.value or row.delivery not in WAITING:
        raise TriageError("this message is not waiting in triage")
    return row


def _files(session: Session, row: Message) -> list[dict]:
    rows = session.scalars(
        select(Attachment).where(Attachment.message_id == row.id).order_by(Attachment.id)
    )
    return [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            **({"refused": a.refused} if a.refused else {}),
        }
        for a in rows
    ]


def file_message(
    session: Session, settings: Settings, row: Message, request: Request, *, actor: str
) -> Submission | None:
    """Put ``row`` under ``request``; a person's reply is then recorded as its answer."""
    previous = row.delivery
    row.request_id = request.id
    row.state_code = request.state_code
    row.delivery = Delivery.PROCESSED.value
    row.match_method = "manual"
    audit.record(session, "message.filed", row, actor=actor, request=request.id, previous=previous)
    if row.kind != "reply":
        return None
    try:
        answers = parse(
            row.raw, reply_local=settings.reply_local, our_domain=settings.mail_domain
        ).answers
    except Exception:
        answers = {}
    return submit.record_answer(
        session,
        row,
        request,
        row.text or "",
        answers,
        _files(session, row),
        actor=actor,
        stands=True,
    )


def dismiss(session: Session, row: Message, *, actor: str) -> None:
    previous = row.delivery
    row.delivery = Delivery.PROCESSED.value
    audit.record(session, "message.dismissed", row, actor=actor, previous=previous, kind=row.kind)
