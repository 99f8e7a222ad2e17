"""Reply markers, auto-reply subjects, delivery-failure phrases and stopwords, read once from
``bot/data/quotes``.

Each language has one TOML file; the markers of every language are tried on
every message, since a focal point may use a mail client set to another
language than the one they write in.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

QUOTES_DIR = Path(__file__).resolve().parent.parent / "data" / "quotes"
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class Patterns:
    header_from: re.Pattern[str]
    header_other: re.Pattern[str]
    wrote: tuple[re.Pattern[str], ...]
    opening: tuple[re.Pattern[str], ...]
    original: tuple[re.Pattern[str], ...]
    signature: tuple[re.Pattern[str], ...]
    auto_reply_subject: tuple[re.Pattern[str], ...]
    bounce_subject: tuple[re.Pattern[str], ...]
    bounce_body: tuple[re.Pattern[str], ...]
    bounce_temporary: tuple[re.Pattern[str], ...]
    stopwords: dict[str, frozenset[str]]


def _label_pattern(labels: list[str]) -> re.Pattern[str]:
    names = sorted({re.escape(x) for x in labels}, key=len, reverse=True)
    return re.compile(r"^[\s*_]*(?:" + "|".join(names) + r")[\s*_]*:", FLAGS)


def _compile(items: list[str], source: str) -> list[re.Pattern[str]]:
    out = []
    for item in items:
        try:
            out.append(re.compile(item, FLAGS))
        except re.error as exc:
            raise ValueError(f"{source}: bad pattern {item!r}: {exc}") from None
    return out


@cache
def load(directory: Path = QUOTES_DIR) -> Patterns:
    froms: list[str] = []
    others: list[str] = []
    lists: dict[str, list[re.Pattern[str]]] = {
        k: []
        for k in (
            "wrote",
            "opening",
            "original",
            "signature",
            "auto_reply",
            "bounce",
            "body",
            "temporary",
        )
    }
    stopwords: dict[str, frozenset[str]] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        header = data.get("header", {})
        froms += header.get("from", [])
        others += header.get("other", [])
        markers = data.get("markers", {})
        subjects = data.get("subjects", {})
        failures = data.get("bounce", {})
        for key in ("wrote", "opening", "original", "signature"):
            lists[key] += _compile(markers.get(key, []), path.name)
        for key in ("auto_reply", "bounce"):
            lists[key] += _compile(subjects.get(key, []), path.name)
        for key in ("body", "temporary"):
            lists[key] += _compile(failures.get(key, []), path.name)
        if data.get("language") and data.get("stopwords"):
            stopwords[data["language"]] = frozenset(w.lower() for w in data["stopwords"])
    return Patterns(
        header_from=_label_pattern(froms),
        header_other=_label_pattern(others),
        wrote=tuple(lists["wrote"]),
        opening=tuple(lists["opening"]),
        original=tuple(lists["original"]),
        signature=tuple(lists["signature"]),
        auto_reply_subject=tuple(lists["auto_reply"]),
        bounce_subject=tuple(lists["bounce"]),
        bounce_body=tuple(lists["body"]),
        bounce_temporary=tuple(lists["temporary"]),
        stopwords=stopwords,
    )
