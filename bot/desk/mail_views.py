"""All mail: what needs a person (triage, unparsable), the outbox, and what came in."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import select

from ..db import get_session
from ..model import Delivery, Direction, Message
from . import queries
from .blueprint import bp

LIMIT = 100


@bp.get("/mail")
def mail():
    session = get_session()
    settings = current_app.config["FOCALBOT"]

    def latest(*conditions):
        return session.scalars(
            select(Message).where(*conditions).order_by(Message.id.desc()).limit(LIMIT)
        ).all()

    attention = latest(
        Message.direction == Direction.IN.value,
        Message.delivery.in_(
            [Delivery.TRIAGE.value, Delivery.UNPARSABLE.value, Delivery.RECEIVED.value]
        ),
    )
    outgoing = latest(Message.direction == Direction.OUT.value)
    incoming = latest(
        Message.direction == Direction.IN.value, Message.delivery == Delivery.PROCESSED.value
    )
    shown = [m.id for m in (*attention, *outgoing, *incoming)]
    return render_template(
        "desk/mail.html",
        attention=attention,
        outgoing=outgoing,
        incoming=incoming,
        about=queries.message_requests(session, shown),
        local_mode=settings.imap is None,
        outbox=settings.local_outbox if settings.smtp is None else None,
    )
