"""Letters: who a step is addressed to, and the outbox row that carries it.

One step for one addressee is a letter of its own; several steps due to the
same addressee at once are one digest listing every request. Either way the
row holds the final bytes and Message-ID, and an ``OutboxItem`` per request
and step (unique) records that the step has gone out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_date
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, kinds, links, tokens
from ..config import Settings
from ..model import Contact, Direction, Message, Request, Role, User
from ..policy.ladder import Step
from ..requests import reachable, recipients
from . import outbox, problems
from .compose import Envelope, build_bytes, new_message_id, render_letter


@dataclass(frozen=True)
class Addressee:
    name: str
    email: str
    languages: tuple[str, ...]
    contact: Contact | None = field(default=None, compare=False)


def invalid_reason(contact: Contact) -> str | None:
    """Why a contact's address cannot be written to, or None."""
    try:
        validate_email(contact.email or "", check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)[:500]
    return None


def mark_invalid(session: Session, contact: Contact, reason: str) -> None:
    contact.email_status, contact.email_problem = "invalid", reason
    audit.record(session, "contact.email_invalid", contact, reason=reason[:200])
    problems.report(
        session,
        f"contact:{contact.id}:email",
        "contact",
        f"{contact.state_code} {contact.name or contact.role}: {contact.email!r} "
        f"is not a valid address ({reason})",
    )


def _of(contact: Contact) -> Addressee:
    langs = tuple(contact.languages) or (
        (contact.state.language, "en") if contact.state.language != "en" else ("en",)
    )
    return Addressee(contact.name, contact.email or "", langs, contact)


def choose_addressees(
    session: Session, request: Request, step: Step
) -> tuple[list[Addressee], list[Addressee], list[tuple[Contact, str]]]:
    """To and Cc for a step, and the invalid addresses passed over (not marked here):
    the request's addressee; the alternate in copy when the step says so; on
    escalation, the permanent mission with the alternate and the officer in copy."""
    invalid: list[tuple[Contact, str]] = []
    to: list[Addressee] = []
    for _ in range(3):  # an invalid address is passed over for the next in line
        found = recipients(request, exclude={c.id for c, _ in invalid})
        reason = invalid_reason(found[0]) if found else None
        if reason is None:
            to = [_of(c) for c in found]
            break
        invalid.append((found[0], reason))
    cc: list[Addressee] = []
    state_contacts = request.state.contacts
    bad = {c.id for c, _ in invalid}

    def with_role(role: Role) -> list[Addressee]:
        return [
            _of(c)
            for c in state_contacts
            if c.role == role.value and reachable(c) and c.id not in bad
        ][:1]

    if step.escalate:
        mission = with_role(Role.MISSION)
        if mission:
            cc, to = [a for a in to if a not in mission], mission
    if step.cc_alternate or step.escalate:
        cc += [a for a in with_role(Role.ALTERNATE) if a not in to and a not in cc]
    if step.escalate and request.officer_id:
        officer = session.get(User, request.officer_id)
        if officer is not None:
            cc.append(Addressee(officer.name, officer.email, ("en",)))
    return to, cc, invalid


@dataclass
class Letter:
    requests: list[Request]
    steps: list[Step]
    to: list[Addressee]
    cc: list[Addressee]

    @property
    def digest(self) -> bool:
        return len(self.requests) > 1


def _item_context(request: Request, lang: str, form_url: str) -> dict:
    return {
        "request": request,
        "tag": request.tag,
        "state_name": request.state.name(lang),
        "instrument_name": request.instrument.name(lang) if request.instrument else "",
        "cycle": request.cycle,
        "subject": request.subject,
        "due": format_date(request.due_date, format="long", locale=lang),
        "form_url": form_url,
    }


def write_letter(
    session: Session,
    settings: Settings,
    letter: Letter,
    *,
    now: datetime,
    previous: list[str] | None = None,
    entries: list[audit.Entry] | None = None,
    flush: bool = True,
) -> Message:
    """Compose ``letter`` and queue it. ``previous``: the Message-IDs already sent for
    its request, when the caller has them; ``entries``: where to put the audit event
    when the caller records a batch at once; ``flush``: False to leave the rows to the
    caller's next flush."""
    first = letter.requests[0]
    langs = letter.to[0].languages
    # Each letter carries links of its own for its addressee (see bot.links): the raw
    # token is known only now, and only its hash is kept.
    days, addressee = links.forms_policy(settings).link_days, letter.to[0].contact
    urls = {
        r.id: links.url(settings, links.create(session, r, addressee, days=days, now=now))
        for r in letter.requests
    }
    # "This is no longer me": a line of its own, but for a digest in two languages, which must
    # stay under 8 KB; there each request's link opens a page that offers the same path.
    successor_url = "" if letter.digest and len(langs) > 1 else urls[first.id] + "/successor"

    def context(lang: str) -> dict:
        ctx = _item_context(first, lang, urls[first.id])
        ctx.update(
            contact=letter.to[0].contact,
            secretariat=settings.secretariat_name,
            wording=letter.steps[0].letter,  # the step's wording and subject prefix (policy file)
            prefix=letter.steps[0].prefix,
            successor_url=successor_url,
            items=[
                dict(_item_context(r, lang, urls[r.id]), step=s.name)
                for r, s in zip(letter.requests, letter.steps, strict=True)
            ],
        )
        return ctx

    template = "digest" if letter.digest else kinds.for_request(first).email
    rendered = render_letter(template, letter.steps[0].name, context, langs)
    if letter.digest:
        previous = []
    elif previous is None:
        previous = [
            m
            for m in session.scalars(
                select(Message.message_id)
                .where(Message.request_id == first.id, Message.direction == Direction.OUT.value)
                .order_by(Message.id)
            )
            if m
        ]
    # A digest has a token of its own, bound to the requests it carries (its outbox items).
    digest_token = tokens.new_token() if letter.digest else None
    reply_to = tokens.reply_address(digest_token or first.token, settings.reply_address)
    envelope = Envelope(
        mail_from=settings.mail_from,
        to=[(a.name, a.email) for a in letter.to],
        cc=[(a.name, a.email) for a in letter.cc],
        reply_to=reply_to,
        message_id=new_message_id(settings.mail_domain),
        references=previous[-10:],
        date=now,
    )
    row = Message(
        message_id=envelope.message_id,
        request_id=None if letter.digest else first.id,
        state_code=first.state_code,
        contact_id=letter.to[0].contact.id if letter.to[0].contact else None,
        token=digest_token,
        step="digest" if letter.digest else letter.steps[0].name,
        kind="digest" if letter.digest else "reminder",
        subject=rendered.subject,
        from_addr=settings.mail_from,
        to_addrs=[a.email for a in letter.to + letter.cc],
        language=rendered.language,
        raw=build_bytes(rendered, envelope),
    )
    items = [(r.id, s.name) for r, s in zip(letter.requests, letter.steps, strict=True)]
    return outbox.enqueue(session, row, items, entries=entries, flush=flush)
