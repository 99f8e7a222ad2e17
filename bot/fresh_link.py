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
from sqlalchemy.orm import Session

from . import audit, links
from .config import Settings
from .inbound.receipts import enqueue_receipt
from .model import Contact, OutboxItem, Request, utcnow

TEMPLATE = "fresh_link"  # queued as a receipt: an answer to the person's own action


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
    extra = {"form_url": form_url, "successor_url": form_url + "/successor"}
    queued = enqueue_receipt(
        session,
        settings,
        request,
        contact,
        address,
        lang,
        extra,
        step,
        [],
        now,
        kind=TEMPLATE,
        fresh_link=True,
    )
    return "already" if isinstance(queued, str) else "sent"


def resend(
    session: Session, settings: Settings, request: Request, *, actor: str
) -> tuple[str, Contact | None]:
    """An officer's "resend": a letter with a fresh link to the request's addressee on file,
    in their language (at most one a day, as the expired page's button). Returns the outcome
    ("sent", "already", or "nobody" when no one can be written to) and the addressee."""
    from .requests import recipients

    found = [c for c in recipients(request) if c.emails]
    if not found:
        return "nobody", None
    contact = found[0]
    outcome = send_fresh_link(session, settings, request, contact, contact.language)
    audit.record(
        session, "request.resent", request, actor=actor, contact=contact.id, outcome=outcome
    )
    return outcome, contact
