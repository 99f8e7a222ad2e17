"""Answers by email: the confirm word and labelled lines of a directory entry. Pure.

The vocabulary is data, one file per language in ``bot/data/answers``; the
labels and confirm words of every language are recognised in every reply,
whether the lines come back plain or ``>``-quoted.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ANSWERS_DIR = Path(__file__).resolve().parent.parent / "data" / "answers"
FIELDS = ("name", "title", "organisation", "emails", "phone", "fax", "address")
IDENTITY = frozenset({"name", "title", "organisation"})
MIN_LABELS = 2
CONFIRM_LINES = 3
CONTINUED = frozenset({"name", "title", "organisation", "address"})
MAX_VALUE = 1000
_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+\s?")
_EMAIL_SPLIT = re.compile(r"[\s,;]+")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True)
class Vocabulary:
    confirm: frozenset[str]
    label_line: re.Pattern[str]
    field_of: dict[str, str]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def vocabulary(directory: Path = ANSWERS_DIR) -> Vocabulary:
    confirm: set[str] = set()
    field_of: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        confirm.update(_fold(w) for w in data.get("confirm", []))
        for name, labels in data.get("labels", {}).items():
            if name not in FIELDS:
                raise ValueError(f"{path.name}: unknown field {name!r}")
            for label in labels:
                field_of[_fold(label)] = name
    names = sorted((re.escape(k).replace(r"\ ", r"\s+") for k in field_of), key=len, reverse=True)
    pattern = re.compile(
        r"^[\s*_\-•·]*(" + "|".join(names) + r")[\s*_]*[:：]\s*(.*)$", re.IGNORECASE
    )
    return Vocabulary(frozenset(confirm), pattern, field_of)


def _unquote(line: str) -> tuple[str, bool]:
    stripped = _QUOTE_PREFIX.sub("", line)
    return stripped, stripped != line


def _label_lines(lines: list[str], vocab: Vocabulary) -> dict[str, str]:
    """{field: value} from lines ``Label: value``; a line that follows one without a
    blank line between and has no label of its own continues its value."""
    found: dict[str, str] = {}
    current: str | None = None
    for raw in lines:
        line, _ = _unquote(raw)
        line = line.strip()
        if not line:
            current = None
            continue
        match = vocab.label_line.match(line)
        if match:
            name = vocab.field_of.get(_fold(match.group(1)))
            if name is None or name in found:
                current = None
                continue
            found[name] = match.group(2).strip()[:MAX_VALUE]
            current = name
        elif current in CONTINUED:
            joiner = ", " if current == "address" else " "
            found[current] = f"{found[current]}{joiner}{line}".strip(" ,")[:MAX_VALUE]
        else:
            current = None
    return found


def _is_entry(fields: dict[str, str]) -> bool:
    return len(fields) >= MIN_LABELS and bool(IDENTITY & fields.keys())


def _confirms(text: str, vocab: Vocabulary) -> bool:
    """Whether one of the first lines the sender wrote starts with a confirm word."""
    seen = 0
    for raw in text.splitlines():
        line, quoted = _unquote(raw)
        words = _fold(_EDGE_PUNCT.sub("", line))
        if quoted or not words:
            continue
        leading = [w for w in re.split(r"[\s,.;:!。，،]+", words, maxsplit=2) if w]
        first = leading[0] if leading else ""
        if (
            words in vocab.confirm
            or first in vocab.confirm
            or " ".join(leading[:2]) in vocab.confirm
        ):
            return True
        seen += 1
        if seen >= CONFIRM_LINES:
            break
    return False


def find_answers(new_text: str, full_text: str) -> dict[str, Any]:
    """``{"confirm": True}``, ``{"fields": {...}}`` (with ``"quoted": True`` when the
    lines were only found in the quoted history), or ``{}``."""
    vocab = vocabulary()
    own = _label_lines(new_text.splitlines(), vocab)
    if _is_entry(own):
        return {"fields": own}
    if _confirms(new_text, vocab):
        return {"confirm": True}
    history = _label_lines(full_text.splitlines(), vocab)
    if _is_entry(history):
        return {"fields": history, "quoted": True}
    return {}


# -- the change against the current entry ------------------------------------


def _emails(value: Any) -> list[str]:
    if isinstance(value, list):
        items = value
    else:
        items = _EMAIL_SPLIT.split(str(value or ""))
    return [e.strip().strip("<>").lower() for e in items if "@" in e]


def _text(value: Any) -> str:
    return " ".join(str(value or "").replace("\n", ", ").split())


def _same(a: Any, b: Any) -> bool:
    return (
        re.sub(r"[\s,;]+", " ", _text(a)).strip().casefold()
        == re.sub(r"[\s,;]+", " ", _text(b)).strip().casefold()
    )


def current_entry(contact: Any) -> dict[str, Any]:
    """The fields of a contact as the directory-update email shows them."""
    return {
        "name": contact.name or "",
        "title": contact.title or "",
        "organisation": contact.organisation or "",
        "emails": list(contact.emails or []),
        "phone": contact.phone or "",
        "fax": contact.fax or "",
        "address": contact.address or "",
    }


def changes(current: dict[str, Any], fields: dict[str, str]) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for each field whose answered value differs from ``current``."""
    out: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        if name not in fields:
            continue
        if name == "emails":
            new: Any = _emails(fields[name])
            if new and new != _emails(current.get(name)):
                out[name] = {"old": list(current.get(name) or []), "new": new}
            continue
        new = _text(fields[name])
        if not _same(new, current.get(name)):
            out[name] = {"old": current.get(name) or "", "new": new}
    return out
