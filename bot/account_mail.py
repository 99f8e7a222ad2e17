"""The email that tells a user their account is being tried with wrong passwords, queued
through the outbox's one ``enqueue`` (at most once a window, see ``bot.auth``)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from .model import Message, User
from .outbound import outbox
from .outbound.compose import Envelope, build_bytes, new_message_id, render

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
    envelope = Envelope(
        mail_from=settings.mail_from,
        to=[(user.name, user.email)],
        reply_to=settings.mail_from,
        message_id=new_message_id(settings.mail_domain),
    )
    row = Message(
        message_id=envelope.message_id,
        subject=rendered.subject,
        from_addr=settings.mail_from,
        to_addrs=[user.email],
        language=lang,
        kind="notice",
        raw=build_bytes(rendered, envelope),
    )
    return outbox.enqueue(session, row, [], user=user.id, notice=KIND)
