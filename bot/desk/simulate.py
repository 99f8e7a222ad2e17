"""A reply written on the desk as if a focal point had sent it, for trying the loop locally.

The reply is an ordinary RFC 5322 message put into the local Maildir, where the
mailbox poll reads it like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from ..folders import ensure_maildir
from ..outbound.salutation import clean


def outbound_headers(raw: bytes) -> dict[str, str]:
    """Reply-To, From, Message-ID, Date and Subject of an outbound message."""
    parsed = message_from_bytes(raw, policy=policy.default)
    return {
        name: str(parsed.get(name, "") or "")
        for name in ("Reply-To", "From", "Message-ID", "Date", "Subject")
    }


def quoted_body(raw: bytes, limit: int = 4000) -> str:
    """The outbound text, each line quoted with '> '."""
    parsed = message_from_bytes(raw, policy=policy.default)
    part = parsed.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        return ""
    return "\n".join("> " + line if line else ">" for line in text[:limit].splitlines())


def build_reply(
    raw: bytes,
    *,
    subject: str,
    message_id: str | None,
    from_name: str,
    from_addr: str,
    fallback_to: str,
    text: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The focal point's answer to the outbound message ``raw``."""
    headers = outbound_headers(raw)
    to_addr = parseaddr(headers["Reply-To"])[1] or parseaddr(headers["From"])[1] or fallback_to
    original_id = message_id or headers["Message-ID"]
    subject = subject or headers["Subject"]
    now = now or datetime.now(UTC)
    reply = EmailMessage()
    from_name = clean(from_name)  # a control character in a name is no header's end
    reply["From"] = formataddr((from_name, from_addr)) if from_name else from_addr
    reply["To"] = to_addr
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or "localhost")
    if original_id:
        reply["In-Reply-To"] = original_id
        reply["References"] = original_id
    body = text.replace("\r\n", "\n").strip() + "\n"
    quoted = quoted_body(raw)
    if quoted:
        sent = headers["Date"] or ""
        body += f"\nOn {sent}, {headers['From']} wrote:\n{quoted}\n"
    reply.set_content(body)
    return reply


def deliver(maildir: Path, message: EmailMessage) -> str:
    """Put ``message`` into the Maildir's new/ folder; returns its key."""
    return ensure_maildir(Path(maildir)).add(message.as_bytes())
