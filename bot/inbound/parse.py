"""Understanding one incoming message: pure, bytes in and ``ParsedMail`` out, no I/O.

The message is parsed once with ``email.policy.default``. Anything that goes
wrong inside becomes a line in ``problems``; only input that is not a mail
message at all raises ``ParseError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from .. import tokens
from . import body as bodies
from .answers import find_answers
from .attachments import Found, collect
from .authres import dmarc_verdict
from .classify import auto_reply_reason, bounce_info, detect_language
from .dates import return_date
from .mailpolicy import POLICY
from .patterns import load
from .quotes import split_reply
from .successor import find_successor

_MSGID = re.compile(r"<[^<>\s]+>")
_TAG = re.compile(r"\[FB-(\d{1,12})\]", re.IGNORECASE)
_TEXT_REFS = re.compile(
    r"\[FB-(\d{1,12})\]|\+([0-9a-z]{12})@|/f/([0-9a-z]{12})\b|\b((?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{12})\b",
    re.IGNORECASE,
)
# What a person writes themselves: "FB-10", "FB 10", "fb10" or "[FB-10]", a token, a link.
_OWN_REFS = re.compile(
    r"(?<![0-9a-z])FB[-_ ]?(\d{1,12})(?!\d)|\+([0-9a-z]{12})@|/f/([0-9a-z]{12})\b"
    r"|\b((?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{12})\b",
    re.IGNORECASE,
)
_NAME_REFS = re.compile(
    r"FB[-_ ]?(\d{1,12})(?!\d)|(?<![0-9a-z])([0-9a-z]{12})(?![0-9a-z])", re.IGNORECASE
)
BOUNCE_LOCAL = "bounces"
MAX_REFS = 20
MAX_TEXT = 200_000
MIN_INLINE = 2  # one answer under the whole quote is a bottom-posted reply
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|rv|ответ|回复|答复|回覆|رد)\s*:", re.IGNORECASE)


class ParseError(ValueError):
    """The input is not a mail message; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

_Day = date  # inside ParsedMail, the field ``date`` hides the type


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    to_addrs: list[str] = field(default_factory=list)
    cc_addrs: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    original_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    kind: str = "reply"  # reply, auto_reply, bounce, unrelated
    language: str | None = None
    token: str | None = None
    token_valid: bool = False
    new_text: str = ""
    signature: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    bounce: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    subject_tag: int | None = None
    auto_reason: str | None = None
    verp_token: str | None = None
    text_refs: list[str] = field(default_factory=list)  # named in what the sender wrote
    history_refs: list[str] = field(default_factory=list)  # named only in the quoted history
    attachment_refs: list[str] = field(default_factory=list)
    return_date: _Day | None = None
    dmarc: str | None = None
    successor: dict[str, str] | None = None  # "my successor is NAME <email>": a proposal
    files: list[Found] = field(default_factory=list, repr=False)

    @property
    def is_loop(self) -> bool:
        return "loop" in self.problems

    @property
    def sender_domain(self) -> str:
        return self.from_addr.rpartition("@")[2]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "files"}
        data["date"] = self.date.isoformat() if self.date else None
        data["return_date"] = self.return_date.isoformat() if self.return_date else None
        data["references"] = list(self.references)
        return data


def _header(msg: EmailMessage, name: str, problems: list[str]) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:
        problems.append(f"header: {name} unreadable ({exc})")
        return ""
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception as exc:
        problems.append(f"header: {name} unreadable ({exc})")
        return ""
    return " ".join(bodies.fix_header(text, problems).split())


def _addresses(msg: EmailMessage, name: str, problems: list[str]) -> list[str]:
    try:
        values = [str(v) for v in msg.get_all(name, [])]
    except Exception as exc:
        problems.append(f"header: {name} unreadable ({exc})")
        return []
    return [addr.strip().lower() for _, addr in getaddresses(values) if "@" in addr]


def _first_id(value: str) -> str | None:
    found = _MSGID.search(value)
    return found.group(0) if found else (value.strip() or None)


def _token(parsed: ParsedMail, reply_local: str, our_domain: str) -> None:
    """The token from the reply address the message came to (our domain first)."""
    ours = [a for a in parsed.to_addrs + parsed.cc_addrs if a.endswith("@" + our_domain.lower())]
    envelope = parsed.delivered_to + parsed.original_to
    verp = [t for a in ours + envelope if (t := tokens.token_from_address(a, BOUNCE_LOCAL))]
    parsed.verp_token = next((t for t in verp if tokens.is_valid(t)), None)
    found = [t for a in ours + envelope if (t := tokens.token_from_address(a, reply_local))]
    if not found:
        return
    valid = [t for t in found if tokens.is_valid(t)]
    parsed.token = valid[0] if valid else found[0]
    parsed.token_valid = bool(valid)
    if len({tokens.normalise(t) for t in valid}) > 1:
        parsed.problems.append("token: the message came to several reply addresses")


def _date(msg: EmailMessage, problems: list[str]) -> datetime | None:
    try:
        header = msg.get("Date")
        return getattr(header, "datetime", None) if header is not None else None
    except Exception as exc:
        problems.append(f"header: Date unreadable ({exc})")
        return None


def _text(msg: EmailMessage, parsed: ParsedMail) -> str:
    part = bodies.body_part(msg)
    if part is None:
        return ""
    text = bodies.part_text(part, parsed.problems)
    if part.get_content_type() == "text/html":
        text, _ = bodies.html_to_text(text)
    return text


def _refs(pattern: re.Pattern[str], text: str) -> list[str]:
    """``FB-n`` and valid tokens named in ``text``, in order, without repeats."""
    out: list[str] = []
    for m in pattern.finditer(text):
        number = m.group(1)
        ref = f"FB-{int(number)}" if number else next(g for g in m.groups()[1:] if g).upper()
        if (number or tokens.is_valid(ref)) and ref not in out:
            out.append(ref)
            if len(out) >= MAX_REFS:
                break
    return out


def _files(msg: EmailMessage, parsed: ParsedMail) -> str | None:
    files, tnef_body = collect(msg, bodies.body_part(msg), parsed.problems)
    parsed.files = files
    parsed.attachments = [f.describe() for f in files]
    parsed.attachment_refs = _refs(_NAME_REFS, " ".join(f.filename for f in files))
    return tnef_body


def _kind(msg: EmailMessage, parsed: ParsedMail, body: str, our_domain: str) -> None:
    p = load()
    parsed.bounce = bounce_info(
        msg, _header(msg, "From", []) or parsed.from_addr, parsed.subject, body, p
    )
    if parsed.bounce is not None:
        parsed.kind = "bounce"
        return
    domain = our_domain.lower()
    if parsed.from_addr.endswith("@" + domain) or (parsed.message_id or "").lower().endswith(
        "@" + domain + ">"
    ):
        parsed.kind = "unrelated"
        parsed.problems.append("loop")
        return
    parsed.auto_reason = auto_reply_reason(msg, parsed.subject, p)
    if parsed.auto_reason:
        parsed.kind = "auto_reply"
        return
    evidence = parsed.token or parsed.subject_tag or parsed.in_reply_to or parsed.references
    parsed.kind = "reply" if evidence or _REPLY_SUBJECT.match(parsed.subject) else "unrelated"


def _guarded(step: str, problems: list[str], fn, *args) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        problems.append(f"{step}: {type(exc).__name__}: {exc}")
        return None


def parse(raw: bytes, *, reply_local: str, our_domain: str, authserv_id: str = "") -> ParsedMail:
    """Parse ``raw`` once and report everything focalbot needs to know about it."""
    if not raw or not raw.strip():
        raise ParseError("empty message")
    try:
        msg = message_from_bytes(raw, policy=POLICY)
    except Exception as exc:
        raise ParseError(f"not a mail message ({type(exc).__name__}: {exc})") from None
    if not msg.keys():
        raise ParseError("no header fields: not a mail message")
    parsed = ParsedMail()
    problems = parsed.problems
    for defect in msg.defects:
        problems.append(f"mime: {type(defect).__name__}")
    parsed.message_id = _first_id(_header(msg, "Message-ID", problems))
    parsed.in_reply_to = _first_id(_header(msg, "In-Reply-To", problems))
    parsed.references = _MSGID.findall(_header(msg, "References", problems))
    parsed.subject = _header(msg, "Subject", problems)
    tag = _TAG.search(parsed.subject)
    parsed.subject_tag = int(tag.group(1)) if tag else None
    senders = _addresses(msg, "From", problems)
    parsed.from_addr = senders[0] if senders else ""
    if not parsed.from_addr:
        problems.append("header: no sender address")
    parsed.to_addrs = _addresses(msg, "To", problems)
    parsed.cc_addrs = _addresses(msg, "Cc", problems)
    parsed.delivered_to = _addresses(msg, "Delivered-To", problems)
    parsed.original_to = _addresses(msg, "X-Original-To", problems)
    parsed.date = _date(msg, problems)
    _guarded("token", problems, _token, parsed, reply_local, our_domain)

    tnef_body = _guarded("attachments", problems, _files, msg, parsed)
    text = _guarded("body", problems, _text, msg, parsed) or ""
    if not text.strip() and tnef_body:
        text = tnef_body
    if len(text) > MAX_TEXT:
        problems.append(f"body: longer than {MAX_TEXT} characters; only the start was read")
        text = text[:MAX_TEXT]
    _guarded("kind", problems, _kind, msg, parsed, text, our_domain)
    reply = _guarded("quotes", problems, split_reply, text)
    if reply is not None:
        parsed.new_text = reply.new_text
        parsed.signature = reply.signature
    else:
        parsed.new_text = text.strip()
    parsed.language = _guarded("language", problems, detect_language, parsed.new_text, load())
    every_ref = _guarded("references", problems, _refs, _TEXT_REFS, text) or []
    parsed.text_refs = _guarded("references", problems, _refs, _OWN_REFS, parsed.new_text) or []
    parsed.history_refs = [r for r in every_ref if r not in parsed.text_refs]
    answers = _guarded("answers", problems, find_answers, parsed.new_text, text) or {}
    if reply is not None and len(reply.answers) >= MIN_INLINE and not answers:
        answers = {"inline": reply.answers}
    parsed.answers = answers
    if parsed.kind == "reply":
        parsed.successor = _guarded("successor", problems, find_successor, parsed.new_text)
    if parsed.kind == "auto_reply":
        received = parsed.date.date() if parsed.date else date.today()
        parsed.return_date = _guarded("return date", problems, return_date, text, received)
    if authserv_id:
        values = _all(msg, "Authentication-Results", problems)
        parsed.dmarc = dmarc_verdict(values, authserv_id, parsed.sender_domain)
    return parsed


def _all(msg: EmailMessage, name: str, problems: list[str]) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name, [])]
    except Exception as exc:
        problems.append(f"header: {name} unreadable ({exc})")
        return []
