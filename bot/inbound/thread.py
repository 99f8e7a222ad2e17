"""Finding the request an incoming message belongs to: pure, given a ``Lookup``.

Strongest evidence first: a valid token in the reply address; the Message-IDs
of our own messages in In-Reply-To, then References (latest first); for a
delivery failure, the Message-ID of the message that bounced; last, the
``[FB-n]`` tag in the subject. A token whose check character fails is never
looked up or corrected: the message is matched by other evidence or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .. import tokens
from .parse import ParsedMail


class Lookup(Protocol):
    def request_by_token(self, token: str) -> int | None: ...

    def request_by_message_id(self, message_id: str) -> int | None: ...

    def request_exists(self, request_id: int) -> bool: ...


@dataclass(frozen=True)
class Match:
    request_id: int | None
    method: str | None  # token, in_reply_to, references, bounced_message, subject_tag
    reason: str

    @property
    def found(self) -> bool:
        return self.request_id is not None


def locate(parsed: ParsedMail, lookup: Lookup) -> Match:
    notes: list[str] = []
    if parsed.token:
        if not parsed.token_valid:
            notes.append(f"token {parsed.token} fails its check character")
        else:
            request_id = lookup.request_by_token(tokens.normalise(parsed.token))
            if request_id is not None:
                return Match(request_id, "token", f"token {parsed.token} in the reply address")
            notes.append(f"token {parsed.token} belongs to no request")

    candidates: list[tuple[str, str]] = []
    if parsed.in_reply_to:
        candidates.append(("in_reply_to", parsed.in_reply_to))
    candidates += [("references", mid) for mid in reversed(parsed.references)]
    if parsed.bounce and parsed.bounce.get("message_id"):
        candidates.append(("bounced_message", parsed.bounce["message_id"]))
    for method, message_id in candidates:
        request_id = lookup.request_by_message_id(message_id)
        if request_id is not None:
            return Match(request_id, method, _join(f"{method.replace('_', '-')} {message_id} is ours", notes))
    if candidates:
        notes.append("no Message-ID it refers to is one of ours")

    if parsed.subject_tag is not None:
        if lookup.request_exists(parsed.subject_tag):
            return Match(parsed.subject_tag, "subject_tag", _join(f"[FB-{parsed.subject_tag}] in the subject", notes))
        notes.append(f"[FB-{parsed.subject_tag}] in the subject is no request")
    return Match(None, None, _join("no request found", notes))


def _join(head: str, notes: list[str]) -> str:
    return "; ".join([head, *notes])
