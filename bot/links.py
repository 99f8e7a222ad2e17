"""Form links: ``/f/TOKEN``, one per letter, for one contact and one request.

A link's token is 17 letters and digits drawn with ``secrets`` (101 random
bits), so that ``PUBLIC_URL/f/TOKEN`` fits one line of a plain-text letter
(60 characters with a PUBLIC_URL of up to 40). Letters and digits only: no
``-`` or ``_`` for a mail client to break a line at, or to leave out of a link
at its end. Only its
SHA-256 is stored (``form_link.hash``): the raw token exists only in the letter
it was written into. Each letter therefore mints a link of its own; the links of
earlier letters stay valid until they expire (``[forms] link_days`` of the
policy) or are revoked (on the desk, or when the contact leaves the post).

The request's own token (12 typeable characters) still goes in the reply
address ``replies+TOKEN@``; it is not a form link's secret. A URL made of it
(``/f/REQUESTTOKEN``, the only kind of link letters carried before form links)
keeps opening the form only while no form link exists for its request: once a
letter has carried a form link, the old URL shows the expired page, whose
button emails a fresh link to the address on file.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from . import audit, tokens
from .config import Settings
from .model import Contact, FormLink, FormLinkMiss, Request, RequestStatus, utcnow
from .policy.ladder import Forms, load_policy

ALPHABET = string.ascii_letters + string.digits  # 62 symbols, 5.95 bits each
LINK_LENGTH = 17  # 101 bits
_LINK = re.compile(r"[A-Za-z0-9]{17}")
MISS_WINDOW = timedelta(minutes=10)
ENDED = (RequestStatus.CLOSED.value, RequestStatus.WAIVED.value)


def new_raw() -> str:
    """A fresh link token."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LINK_LENGTH))


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()


def looks_like_link(text: str) -> bool:
    return _LINK.fullmatch(text) is not None


def url(settings: Settings, raw: str) -> str:
    return f"{settings.public_url}/f/{raw}"


_policies: dict[tuple[str, float], Forms] = {}


def forms_policy(settings: Settings) -> Forms:
    """The ``[forms]`` table of the policy file (read again when the file changes)."""
    path = settings.policy_file
    try:
        key = (str(path), os.stat(path).st_mtime if path else 0.0)
    except OSError:
        key = (str(path), 0.0)
    if key not in _policies:
        _policies[key] = load_policy(path).forms
    return _policies[key]


def create(
    session: Session,
    request: Request,
    contact: Contact | None,
    *,
    days: int,
    now: datetime | None = None,
) -> str:
    """A new link for ``contact`` and ``request``; returns the raw token (stored only hashed)."""
    now = now or utcnow()
    raw = new_raw()
    session.add(
        FormLink(
            hash=digest(raw),
            request_id=request.id,
            contact_id=contact.id if contact else None,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return raw


@dataclass(frozen=True)
class LinkCheck:
    """What a token opens, and why it cannot be used if so.

    ``problem``: None, "unknown", "expired", "revoked", "closed", or "superseded" (a
    request's own token, from an old URL, when a letter has carried a form link since).
    ``legacy``: the token is a request's own token.
    """

    request: Request | None
    contact: Contact | None
    problem: str | None
    link: FormLink | None = None
    legacy: bool = False

    @property
    def renewable(self) -> bool:
        """A fresh link can be sent: to a contact still in post whose address works."""
        c = self.contact
        return (
            self.problem in ("expired", "revoked", "superseded")
            and self.request is not None
            and self.request.status not in ENDED
            and c is not None
            and c.active
            and bool(c.emails)
            and c.email_status == "ok"
        )


def _addressee(request: Request) -> Contact | None:
    from .requests import recipients

    found = recipients(request)
    return found[0] if found else None


def find(
    session: Session, token: str, *, now: datetime | None = None, valid_days: int = 365
) -> LinkCheck:
    """Look a token up as it came in the URL: a form link, or a request's own token."""
    now = now or utcnow()
    if looks_like_link(token):
        link = session.scalar(select(FormLink).where(FormLink.hash == digest(token)))
        if link is None:
            return LinkCheck(None, None, "unknown")
        req, contact = link.request, link.contact or _addressee(link.request)
        if req.status in ENDED:
            problem: str | None = "closed"
        elif link.revoked_at is not None or (contact is not None and not contact.active):
            problem = "revoked"
        elif now >= link.expires_at:
            problem = "expired"
        else:
            problem = None
        return LinkCheck(req, contact, problem, link)
    if not tokens.is_valid(token):
        return LinkCheck(None, None, "unknown")
    from .requests import find_by_token

    check = find_by_token(session, token, now=now, valid_days=valid_days)
    if check.request is None:
        return LinkCheck(None, None, "unknown")
    req = check.request
    problem = check.problem
    if problem is None and session.scalar(
        select(FormLink.id).where(FormLink.request_id == req.id).limit(1)
    ):
        problem = "superseded"  # a letter has carried a form link since: the old URL is retired
    return LinkCheck(req, _addressee(req), problem, None, legacy=True)


def used(link: FormLink | None, now: datetime | None = None) -> None:
    """Note that a POST was made with ``link``."""
    if link is not None:
        link.last_used_at = now or utcnow()


def revoke(session: Session, link: FormLink, *, actor: str, reason: str = "") -> bool:
    """Revoke one link; False when it was revoked already."""
    if link.revoked_at is not None:
        return False
    link.revoked_at, link.revoked_by = utcnow(), actor
    session.flush()
    audit.record(
        session,
        "form_link.revoked",
        link,
        actor=actor,
        request=link.request_id,
        contact=link.contact_id,
        reason=reason,
    )
    return True


def revoke_for_contact(session: Session, contact: Contact, *, actor: str, reason: str) -> int:
    """Revoke every live link of ``contact``; how many."""
    live = session.scalars(
        select(FormLink).where(FormLink.contact_id == contact.id, FormLink.revoked_at.is_(None))
    )
    return sum(revoke(session, link, actor=actor, reason=reason) for link in list(live))


def of_request(session: Session, request_id: int) -> list[FormLink]:
    return list(
        session.scalars(
            select(FormLink).where(FormLink.request_id == request_id).order_by(FormLink.id.desc())
        )
    )


# -- letters kept without their links ---------------------------------------------------

_IN_TEXT = re.compile(r"(/f/)[A-Za-z0-9]{17}(?![A-Za-z0-9])")
SCRUBBED = "/f/[link]"


def scrub_text(text: str) -> str:
    return _IN_TEXT.sub(SCRUBBED, text)


_BOUNDARY = re.compile(rb'boundary="([^"]+)"')
_CTE = re.compile(rb"^Content-Transfer-Encoding:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_SUBTYPE = re.compile(rb"^Content-Type:[ \t]*text/(\w+)", re.IGNORECASE | re.MULTILINE)
_IN_BYTES = re.compile(rb"(/f/)[A-Za-z0-9]{17}(?![A-Za-z0-9])")


def scrub_letter(raw: bytes) -> bytes:
    """``raw`` with every form link's token masked (``/f/[link]``), in each text part and in
    its own transfer encoding, the headers byte for byte: what the database keeps of a
    letter once it is sent. Pure, and fast (no email parsing): it runs as letters are sent."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    found = _BOUNDARY.search(head)
    if not sep or found is None:
        return raw
    delimiter = b"--" + found.group(1)
    pieces = body.split(delimiter)
    scrubbed = [pieces[0], *(_scrub_part(piece) for piece in pieces[1:])]
    if all(a is b for a, b in zip(pieces, scrubbed, strict=True)):
        return raw
    return head + sep + delimiter.join(scrubbed)


def _scrub_part(piece: bytes) -> bytes:
    from .outbound.mime import text_part

    part_head, sep, part_body = piece.partition(b"\r\n\r\n")
    cte, subtype = _CTE.search(part_head), _SUBTYPE.search(part_head)
    if not sep or cte is None or subtype is None:
        return piece
    encoding = cte.group(1).decode("ascii").lower()
    content = part_body.rstrip(b"\r\n")
    tail = part_body[len(content) :]
    if encoding == "base64":
        data = binascii.a2b_base64(content)
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(content)
    else:
        data = content
    masked = _IN_BYTES.sub(SCRUBBED.encode("ascii"), data)
    if masked == data:
        return piece
    if encoding not in ("base64", "quoted-printable"):
        return part_head + sep + masked + tail
    text = masked.decode("utf-8", "replace")
    fresh = text_part(subtype.group(1).decode("ascii"), text, encoding).partition(b"\r\n\r\n")[2]
    return part_head + sep + fresh.rstrip(b"\r\n") + tail


# -- the rate limit on wrong tokens -----------------------------------------------
# Counted in the database, so that every web worker sees the same count.


def source_key(secret_key: str, address: str) -> str:
    """The remote address as a keyed hash: the count needs no address in the clear."""
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def limited(session: Session, source: str, limit: int, now: datetime | None = None) -> bool:
    """True when ``source`` has tried ``limit`` wrong tokens in the last ten minutes."""
    now = now or utcnow()
    n = session.scalar(
        select(func.count())
        .select_from(FormLinkMiss)
        .where(FormLinkMiss.source == source, FormLinkMiss.at > now - MISS_WINDOW)
    )
    return (n or 0) >= limit


def record_miss(session: Session, source: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.execute(delete(FormLinkMiss).where(FormLinkMiss.at <= now - MISS_WINDOW))
    session.add(FormLinkMiss(source=source, at=now))
    session.flush()
