"""Notices from the system to one address, queued through the outbox's one ``enqueue``:
the email that tells a user their account is being tried with wrong passwords (at most
once a window, see ``bot.auth``), and the audit log's checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from .config import Settings
from .model import Message, User
from .outbound import outbox
from .outbound.compose import Envelope, Rendered, build_bytes, new_message_id, render

KIND = "login_warning"


def queue_login_warning(
    session: Session, user: User, *, failures: int, since: datetime, address: str
) -> Message:
    settings = current_app.config["FOCALBOT"]
    lang = user.language or "en"
    context = {
        "name": user.name or user.email,
        "email": user.email,
        "failures": failures,
        "since": since.strftime("%Y-%m-%d %H:%M"),
        "address": address,
        "secretariat": settings.secretariat_name,
    }
    rendered = render(KIND, KIND, context, lang)
    return queue_notice(
        session, settings, rendered, (user.name, user.email), lang, user=user.id, notice=KIND
    )


def queue_notice(
    session: Session,
    settings: Settings,
    rendered: Rendered,
    to: tuple[str, str],
    language: str,
    **data: Any,
) -> Message:
    """Queue ``rendered`` to ``to`` (display name, address) from MAIL_FROM; ``data`` goes in
    its audit event."""
    envelope = Envelope(
        mail_from=settings.mail_from,
        to=[to],
        reply_to=settings.mail_from,
        message_id=new_message_id(settings.mail_domain),
    )
    row = Message(
        message_id=envelope.message_id,
        subject=rendered.subject,
        from_addr=settings.mail_from,
        to_addrs=[to[1]],
        language=language,
        kind="notice",
        raw=build_bytes(rendered, envelope),
    )
    return outbox.enqueue(session, row, [], **data)
