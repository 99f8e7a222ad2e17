"""How far a reply goes on its own: pure, from how it was matched and who sent it.

Only our own token or one of our Message-IDs, from a sender the directory
knows, lets an answer stand unreviewed (the request is marked answered, a
clarification's text is accepted). A match by the ``[FB-n]`` tag in the
subject, a reference or the sender's address alone is guessable from outside:
it may pause the ladder, but its answer waits for an officer's review. So does
a reply to a digest filed under every request the digest carried, since it
names none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .thread import Match


@dataclass(frozen=True)
class Weight:
    stands: bool  # the answer may stand without an officer's review
    why: str


def weigh(match: Match, *, known_sender: bool, dmarc: str | None = None) -> Weight:
    if not match.found:
        return Weight(False, "no request found")
    if dmarc == "fail":
        return Weight(False, "DMARC failed for the sender's domain")
    if not match.strong:
        return Weight(False, f"matched by {match.method} only, which anyone could write")
    if not known_sender:
        return Weight(False, "the sender is not a known contact")
    if match.scope == "every":
        return Weight(False, "a reply to a digest that names none of its requests")
    return Weight(True, f"matched by {match.method} from a known contact")
