"""A fresh form link, emailed to the address on file when an old one has expired or was revoked.

Asked for with the button of the expired-link page (a POST). Never sent to an
address typed in: always to the contact's own first address. At most one per
request and contact per day (the ``OutboxItem`` step ``receipt-link-YYYY-MM-DD``
is unique per request), so that the button cannot be used to flood a mailbox.
Like a receipt it answers a person's own action: it is sent even while the
request's reminders are paused, and it does not count as a reminder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import links, tokens
from .config import Settings
from .model import Contact, Message, OutboxItem, Request, utcnow
from .outbound import outbox
from .outbound.compose import Envelope, build, new_message_id, render

KIND = "receipt"  # an answer to the person's own action, as receipts are
TEMPLATE = "fresh_link"


def step_for(day: datetime) -> str:
    return f"receipt-link-{day.date().isoformat()}"


def send_fresh_link(
    session: Session,
    settings: Settings,
    request: Request,
    contact: Contact,
    lang: str,
    *,
    now: datetime | None = None,
) -> str:
    """Queue a letter with a fresh link to ``contact``: "sent", or "already" (one today)."""
    now = now or utcnow()
    step = step_for(now)
    taken = select(OutboxItem.id).where(
        OutboxItem.request_id == request.id, OutboxItem.step == step
    )
    if session.scalar(taken) is not None:
        return "already"
    address = contact.emails[0]
    days = links.forms_policy(settings).link_days
    form_url = links.url(settings, links.create(session, request, contact, days=days, now=now))
    context = {
        "request": request,
        "tag": request.tag,
        "contact": contact,
        "state_name": request.state.name(lang),
        "form_url": form_url,
        "successor_url": form_url + "/successor",
        "secretariat": settings.secretariat_name,
    }
    rendered = render(TEMPLATE, TEMPLATE, context, lang)
    envelope = Envelope(
        mail_from=settings.mail_from,
        to=[(contact.name, address)],
        reply_to=tokens.reply_address(request.token, settings.reply_address),
        message_id=new_message_id(settings.mail_domain),
        references=[],
        date=now,
    )
    row = Message(
        message_id=envelope.message_id,
        request_id=request.id,
        state_code=request.state_code,
        contact_id=contact.id,
        step=step,
        subject=rendered.subject,
        from_addr=settings.mail_from,
        to_addrs=[address],
        language=lang,
        kind=KIND,
        raw=build(rendered, envelope).as_bytes(),
    )
    try:
        with session.begin_nested():
            outbox.enqueue(session, row, [(request.id, step)], fresh_link=True)
    except IntegrityError:
        return "already"
    return "sent"
