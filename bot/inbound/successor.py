"""A successor named in an email: "I have left this post; my successor is NAME <email>".

Pure: text in, ``{"name": ..., "email": ...}`` or None out. The phrases are data
(``bot/data/successor.toml``), every language tried on every message; the
successor's address must follow the phrase closely, and the name is what stands
between them. What is found is only a proposal for the secretariat to approve.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "successor.toml"
REACH = 160  # characters after the phrase in which the address must appear
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TRIM = " \t\r\n:：,，;；.。-–—<>()（）[]«»\"'“”„،؛"
_LEAD = re.compile(r"^(?:is|est|es|ser[áa]|sera|будет|является|هو|هي)\s+", re.IGNORECASE)


@cache
def phrases(path: Path = DATA) -> tuple[re.Pattern[str], ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for lang, table in data.items():
        for item in table.get("successor", []):
            try:
                out.append(re.compile(item, re.IGNORECASE))
            except re.error as exc:
                raise ValueError(f"{path}: [{lang}] bad pattern {item!r}: {exc}") from None
    return tuple(out)


def find_successor(text: str) -> dict[str, str] | None:
    """The successor named in ``text`` (what the sender wrote, without the quoted history)."""
    best: tuple[int, dict[str, str]] | None = None
    for pattern in phrases():
        for match in pattern.finditer(text):
            after = text[match.end() : match.end() + REACH]
            address = _EMAIL.search(after)
            if address is None:
                continue
            name = _LEAD.sub("", after[: address.start()].strip(_TRIM)).strip(_TRIM)
            name = " ".join(name.split())[:200]
            found = {"name": name, "email": address.group(0).strip(".")}
            if best is None or match.start() < best[0]:
                best = (match.start(), found)
            break
    return best[1] if best else None
