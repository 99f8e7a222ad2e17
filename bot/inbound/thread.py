"""Finding the request(s) an incoming message belongs to: pure, given a ``Lookup``.

Strongest evidence first: a valid token in the reply address (or, for a
delivery failure, in the VERP bounce address); the Message-IDs of our own
messages in In-Reply-To, then References (latest first); the Message-ID of the
message that bounced; the ``[FB-n]`` tag in the subject; a reference in the
reply's own text, in the quoted history or in an attachment's name; last, the
sender's address when that contact has exactly one open request. A token whose
check character fails is never taken: the requests of the valid tokens one
typing slip away are offered as guesses, and the message is matched by other
evidence or not at all.

A digest carries several requests, and has a token and a Message-ID of its
own. A reply found by either is filed under the requests it names (by tag or
reference, in its subject, its own text or an attachment's name); else under
the one its content answers (CONFIRM or corrected lines: the directory update;
a file attached: the questionnaire); else under every request the digest
carried. ``Match.scope`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .. import tokens
from .parse import ParsedMail


class Lookup(Protocol):
    def request_by_token(self, token: str) -> int | None: ...

    def digest_by_token(self, token: str) -> list[int]: ...

    def request_by_message_id(self, message_id: str) -> int | None: ...

    def digest_by_message_id(self, message_id: str) -> list[int]: ...

    def request_kind(self, request_id: int) -> str | None: ...

    def request_exists(self, request_id: int) -> bool: ...

    def open_requests_of(self, address: str) -> list[int]: ...


STRONG = frozenset({"token", "verp", "in_reply_to", "references", "bounced_message"})
SCOPES = ("named", "answer", "every")  # how a reply to a digest was narrowed


@dataclass(frozen=True)
class Match:
    request_id: int | None  # the first request it is filed under
    method: str | None  # token, verp, in_reply_to, references, bounced_message, subject_tag,
    #                     text_reference, quoted_history, attachment_name, sender
    reason: str
    ambiguous: bool = False
    guesses: tuple[int, ...] = ()
    also: tuple[int, ...] = ()  # the other requests it is filed under (a reply to a digest)
    scope: str | None = None  # for a digest: named, answer or every (see SCOPES)

    @property
    def found(self) -> bool:
        return self.request_id is not None

    @property
    def request_ids(self) -> tuple[int, ...]:
        return () if self.request_id is None else (self.request_id, *self.also)

    @property
    def digest(self) -> bool:
        return self.scope is not None

    @property
    def recorded_method(self) -> str | None:
        """What ``message.match_method`` keeps: the method, and the scope for a digest."""
        if self.method is None:
            return None
        return f"{self.method}:{self.scope}" if self.scope else self.method

    @property
    def strong(self) -> bool:
        """Found by our own token or Message-ID, which only our correspondents know."""
        return self.method in STRONG


def near_tokens(token: str) -> list[str]:
    """Valid tokens one substituted character or one swap of neighbours away from ``token``."""
    t = tokens.normalise(token)
    if len(t) != tokens.BODY_LENGTH + 1 or any(c not in tokens.ALPHABET for c in t):
        return []
    out: list[str] = []
    for i in range(len(t)):
        for c in tokens.ALPHABET:
            if c != t[i]:
                candidate = t[:i] + c + t[i + 1 :]
                if tokens.is_valid(candidate) and candidate not in out:
                    out.append(candidate)
    for i in range(len(t) - 1):
        if t[i] != t[i + 1]:
            candidate = t[:i] + t[i + 1] + t[i] + t[i + 2 :]
            if tokens.is_valid(candidate) and candidate not in out:
                out.append(candidate)
    return out


def _token_guesses(token: str, lookup: Lookup) -> list[tuple[str, int]]:
    found = []
    for candidate in near_tokens(token):
        request_id = lookup.request_by_token(candidate)
        if request_id is not None:
            found.append((candidate, request_id))
    return found


def _by_token(
    parsed: ParsedMail, lookup: Lookup, notes: list[str], guesses: list[int]
) -> Match | None:
    for method, token, valid in (
        ("verp", parsed.verp_token, True),
        ("token", parsed.token, parsed.token_valid),
    ):
        if not token:
            continue
        if not valid:
            near = _token_guesses(token, lookup)
            note = f"token {token} fails its check character"
            if near:
                note += "; did you mean " + ", ".join(f"{t} ([FB-{rid}])" for t, rid in near) + "?"
                guesses.extend(rid for _, rid in near if rid not in guesses)
            notes.append(note)
            continue
        where = "bounce address" if method == "verp" else "reply address"
        normal = tokens.normalise(token)
        request_id = lookup.request_by_token(normal)
        if request_id is not None:
            return Match(request_id, method, f"token {token} in the {where}")
        carried = lookup.digest_by_token(normal)
        if carried:
            return _digest(
                parsed, lookup, method, carried, f"token {token} of a digest in the {where}"
            )
        notes.append(f"token {token} belongs to no request")
    return None


def _by_message_id(parsed: ParsedMail, lookup: Lookup, notes: list[str]) -> Match | None:
    candidates: list[tuple[str, str]] = []
    if parsed.in_reply_to:
        candidates.append(("in_reply_to", parsed.in_reply_to))
    candidates += [("references", mid) for mid in reversed(parsed.references)]
    if parsed.bounce and parsed.bounce.get("message_id"):
        candidates.append(("bounced_message", parsed.bounce["message_id"]))
    for method, message_id in candidates:
        header = method.replace("_", "-")
        request_id = lookup.request_by_message_id(message_id)
        if request_id is not None:
            return Match(request_id, method, _join(f"{header} {message_id} is ours", notes))
        carried = lookup.digest_by_message_id(message_id)
        if carried:
            return _digest(
                parsed,
                lookup,
                method,
                carried,
                _join(f"{header} {message_id} is our digest", notes),
            )
    if candidates:
        notes.append("no Message-ID it refers to is one of ours")
    return None


def named(parsed: ParsedMail) -> list[str]:
    """The references a reply makes itself: its subject's tag, its own text, its files' names."""
    refs = [f"FB-{parsed.subject_tag}"] if parsed.subject_tag is not None else []
    return [*refs, *parsed.text_refs, *parsed.attachment_refs]


def answered_kinds(parsed: ParsedMail) -> set[str]:
    """The kinds of request the reply's content answers by its form alone."""
    kinds = set()
    if "fields" in parsed.answers or parsed.answers.get("confirm"):
        kinds.add("directory_update")
    if any(not f.get("refused") for f in parsed.attachments):
        kinds.add("questionnaire")
    return kinds


def narrow(parsed: ParsedMail, lookup: Lookup, carried: list[int]) -> tuple[list[int], str]:
    """Which of a digest's requests a reply concerns, and how that was decided (SCOPES)."""
    ids = [i for i in _references(named(parsed), lookup) if i in carried]
    if ids:
        return ids, "named"
    kinds = answered_kinds(parsed)
    ids = [i for i in carried if lookup.request_kind(i) in kinds]
    if ids:
        return ids, "answer"
    return list(carried), "every"


def _digest(
    parsed: ParsedMail, lookup: Lookup, method: str, carried: list[int], reason: str
) -> Match:
    ids, scope = narrow(parsed, lookup, carried)
    how = {
        "named": "the requests it names",
        "answer": "the request its answer is for",
        "every": "every request the digest carried",
    }[scope]
    listed = ", ".join(f"[FB-{i}]" for i in ids)
    return Match(
        ids[0], method, f"{reason}; filed under {how}: {listed}", also=tuple(ids[1:]), scope=scope
    )


def _references(refs: list[str], lookup: Lookup) -> list[int]:
    """Request ids named by ``refs`` (``FB-n`` or a token), in order, without repeats."""
    found: list[int] = []
    for ref in refs:
        request_id: int | None = None
        if ref.upper().startswith("FB-"):
            number = int(ref[3:])
            request_id = number if lookup.request_exists(number) else None
        elif tokens.is_valid(ref):
            request_id = lookup.request_by_token(tokens.normalise(ref))
        if request_id is not None and request_id not in found:
            found.append(request_id)
    return found


def _weak(
    method: str, single: str, several: str, ids: list[int], notes: list[str], guesses: list[int]
) -> Match | None:
    if not ids:
        return None
    if len(ids) == 1:
        return Match(
            ids[0], method, _join(f"[FB-{ids[0]}] {single}", notes), guesses=tuple(guesses)
        )
    named = ", ".join(f"[FB-{i}]" for i in ids)
    return Match(None, method, _join(f"{several}: {named}", notes), True, tuple(ids))


def locate(parsed: ParsedMail, lookup: Lookup) -> Match:
    notes: list[str] = []
    guesses: list[int] = []
    strong = _by_token(parsed, lookup, notes, guesses)
    if strong is not None:
        return strong
    by_id = _by_message_id(parsed, lookup, notes)
    if by_id is not None:
        return by_id
    if parsed.subject_tag is not None:
        if lookup.request_exists(parsed.subject_tag):
            return Match(
                parsed.subject_tag,
                "subject_tag",
                _join(f"[FB-{parsed.subject_tag}] in the subject", notes),
            )
        notes.append(f"[FB-{parsed.subject_tag}] in the subject is no request")
    for method, refs, what in (
        ("text_reference", parsed.text_refs, "the reply's own text"),
        ("quoted_history", parsed.history_refs, "the quoted history"),
        ("attachment_name", parsed.attachment_refs, "an attachment's file name"),
    ):
        ids = _references(refs, lookup)
        found = _weak(
            method, f"named in {what}", f"several requests named in {what}", ids, notes, guesses
        )
        if found is not None:
            return found
    if parsed.from_addr and parsed.kind == "reply":
        ids = lookup.open_requests_of(parsed.from_addr)
        found = _weak(
            "sender",
            "is the only open request of the sender",
            "the sender has several open requests",
            ids,
            notes,
            guesses,
        )
        if found is not None:
            return found
    reason = "no request found"
    if guesses:
        reason += "; suggested: " + ", ".join(f"[FB-{g}]" for g in guesses)
    return Match(None, None, _join(reason, notes), guesses=tuple(guesses))


def _join(head: str, notes: list[str]) -> str:
    return "; ".join([head, *notes])
