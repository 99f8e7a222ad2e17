"""A short acknowledgement of a person's reply, in their language, through the outbox.

At most one per request per day: the ``OutboxItem`` step ``receipt-YYYY-MM-DD``
is unique per request. Written in the same transaction as the reply it
acknowledges; the outbox sweeper sends it. Never for machine mail.
"""

from __future__ import annotations

from datetime import datetime

from flask import has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import LANGUAGES, tokens
from ..config import Settings
from ..model import Contact, Message, OutboxItem, Request, Submission, utcnow
from ..outbound import outbox
from ..outbound.compose import Envelope, build, new_message_id, render

KIND = "receipt"


def step_for(day: datetime) -> str:
    return f"receipt-{day.date().isoformat()}"


def _what(received: dict) -> str:
    if received.get("changes"):
        return "changes"
    if received.get("confirm"):
        return "confirm"
    if received.get("attachments"):
        return "attachments"
    return "reply"


def queue_receipt(
    session: Session,
    settings: Settings,
    reply: Message,
    request: Request,
    contact: Contact,
    *,
    received: dict | None = None,
    references: list[str] | None = None,
    now: datetime | None = None,
) -> int | str:
    """Write the receipt for ``reply`` to the outbox: its row id, or why none was written."""
    now = now or utcnow()
    if not has_app_context():
        return "no receipt: no application context to render it in"
    if not reply.from_addr:
        return "no receipt: the reply has no sender address"
    step = step_for(now)
    if session.query(OutboxItem.id).filter_by(request_id=request.id, step=step).first() is not None:
        return "no receipt: one was already sent today for this request"
    lang = reply.language if reply.language in LANGUAGES else contact.language
    received = received or {}
    context = {
        "what": _what(received), "files": len(received.get("attachments") or []),
    }
    thread = [m for m in [*(references or [])[-8:], reply.message_id] if m]
    return enqueue_receipt(
        session, settings, request, contact, reply.from_addr, lang, context, step, thread, now,
        reply=reply.id,
    )


def queue_form_receipt(
    session: Session,
    settings: Settings,
    submission: Submission,
    request: Request,
    contact: Contact | None,
    lines: list[tuple[str, str]],
    *,
    title: str,
    kind: str = KIND,
    now: datetime | None = None,
) -> int | str:
    """Write the receipt of answers sent by web form, listing them (label, answer), to the
    address on file, in the language of the form: its row id, or why none was written."""
    now = now or utcnow()
    if not has_app_context():
        return "no receipt: no application context to render it in"
    if contact is None or not contact.email:
        return "no receipt: no address on file"
    lang = submission.language if submission.language in LANGUAGES else contact.language
    context = {
        "what": "form",
        # a question by its first words: the receipt of a whole questionnaire stays light
        "lines": [(_short(label, LABEL), _short(value)) for label, value in lines],
        "reference": submission.reference, "version": submission.version, "title": title,
    }
    step = f"receipt-form-{submission.id}"
    return enqueue_receipt(
        session, settings, request, contact, contact.email, lang, context, step, [], now,
        kind=kind, submission=submission.id,
    )


SHORT = 300  # characters of an answer a receipt repeats
LABEL = 70  # characters of a question


def _short(value: str, most: int | None = None) -> str:
    """An answer (or a question) as a receipt repeats it: on one line, at most ``most``
    characters (SHORT for an answer)."""
    most = most or SHORT
    flat = " ".join(value.split())
    return flat if len(flat) <= most else flat[: most - 1].rstrip() + "…"


def enqueue_receipt(
    session: Session, settings: Settings, request: Request, contact: Contact, to_addr: str,
    lang: str, extra: dict, step: str, thread: list[str], now: datetime, *, kind: str = KIND,
    **data,
) -> int | str:
    """Compose ``templates/email/<kind>/`` for ``contact`` at ``to_addr`` and queue it as a
    receipt (an answer to the person's own action) under ``step``, unique per request: its
    row id, or why none was written."""
    context = {
        "request": request, "tag": request.tag, "contact": contact,
        "state_name": request.state.name(lang), "secretariat": settings.secretariat_name, **extra,
    }
    rendered = render(kind, KIND, context, lang)
    envelope = Envelope(
        mail_from=settings.mail_from, to=[(contact.name, to_addr)],
        reply_to=tokens.reply_address(request.token, settings.reply_address),
        message_id=new_message_id(settings.mail_domain), references=thread, date=now,
    )
    row = Message(
        message_id=envelope.message_id, request_id=request.id,
        state_code=request.state_code, contact_id=contact.id, step=step, subject=rendered.subject,
        from_addr=settings.mail_from, to_addrs=[to_addr], language=lang, kind=KIND,
        raw=build(rendered, envelope).as_bytes(),
    )
    try:
        with session.begin_nested():
            outbox.enqueue(session, row, [(request.id, step)], **data)
    except IntegrityError:
        return "no receipt: one was already sent for this request"
    return row.id
