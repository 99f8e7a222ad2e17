"""What a stored message shows on the desk: its text, its HTML made safe, its attachments
(with the SHA-256 they are stored under, when they were kept, for their download).

The raw source is kept as received; the desk reads it again to show the parts. HTML
is cleaned with nh3 (Ammonia): no script, style, event attribute or remote image is
left, and links open nothing on their own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import nh3
from markupsafe import Markup

from ..inbound.attachments import refusal, safe_filename

MAX_TEXT = 20_000  # characters of one part shown on a page; the raw source has the rest
TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "i", "li", "ol", "p", "pre", "span",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul", "h1", "h2", "h3", "h4",
}
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str = ""  # of a file the ingest keeps (not of one it refuses)


@dataclass(frozen=True)
class Parts:
    display_name: str = ""
    text: str = ""
    html: Markup = Markup("")  # sanitised by clean_html: inert markup
    attachments: list[Attachment] = field(default_factory=list)


def clean_html(html: str) -> Markup:
    """HTML from outside, with only inert formatting left."""
    cleaned = nh3.clean(
        html[:MAX_TEXT * 5],
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704  (Ammonia left no script, style or event attribute)


def _readable(text: str) -> str:
    """Undeclared 8-bit bytes in headers come back from the parser as surrogates: read them
    as UTF-8, replacing what is not."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return _readable(content) if isinstance(content, str) else ""


def read(raw: bytes) -> Parts:
    """The parts of one stored message (``raw`` as received or as sent)."""
    try:
        msg = message_from_bytes(raw, policy=policy.default)
    except Exception:  # noqa: BLE001  (a message that cannot be read shows its raw source)
        return Parts()
    assert isinstance(msg, EmailMessage)
    try:
        display = str(msg["from"].addresses[0].display_name) if msg["from"] else ""
    except (AttributeError, IndexError, TypeError, ValueError):
        display = ""
    text = ""
    html = Markup("")
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        kind = part.get_content_type()
        if filename or part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            kept = data and refusal(safe_filename(filename), kind, data) is None
            digest = hashlib.sha256(data).hexdigest() if kept else ""
            attachments.append(Attachment(_readable(str(filename or "")), kind, len(data), digest))
        elif kind == "text/plain" and not text:
            text = _content(part)[:MAX_TEXT]
        elif kind == "text/html" and not html:
            html = clean_html(_content(part))
    return Parts(_readable(display), text, html, attachments)
