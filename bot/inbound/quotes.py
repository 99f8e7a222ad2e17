"""Separating what the sender wrote from the quoted history and the signature.

Pure text in, ``Reply`` out. The text is cut at the first reply marker (a
quoted header block, an "On ... wrote:" line, an "Original Message" separator);
``>``-quoted lines before it are dropped, while answers written between quoted
lines are kept, and paired with the quoted line they answer. When nothing but
whitespace comes before the first marker, the message is bottom-posted or a
bare forward, and the search starts again after the marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patterns import Patterns, load

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")
_DROP = dict.fromkeys(map(ord, "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff"))
_TABLE = {**_SPACES, **_DROP, ord("\uff1a"): ":", ord("\ufe55"): ":"}
_QUOTED = re.compile(r"^\s*>")
_SEPARATOR = re.compile(r"^[\s*]*(?:[-_=]\s*){5,}[\s*]*$")
_SENTENCE_END = re.compile(r"[^\W\d_]\s*[.!?…]+$")
_DIGIT = re.compile(r"\d")
MAX_JOIN = 4
MAX_MARKER_LINE = 400
HEADER_WINDOW = 8


@dataclass
class Reply:
    new_text: str
    signature: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    quoted: bool = False  # some quoted history was found and removed


def normalise(text: str) -> str:
    """Line endings, no-break spaces, full-width colons and bidi controls made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_TABLE)


def _unquote(line: str) -> str:
    return re.sub(r"^(\s*>)+\s?", "", line)


def _header_block(lines: list[str], i: int, p: Patterns) -> int | None:
    """End of the quoted header block starting at ``i``, or None."""
    if not p.header_from.match(lines[i]):
        return None
    found = 0
    end = i + 1
    for j in range(i + 1, min(len(lines), i + 1 + HEADER_WINDOW)):
        if p.header_other.match(lines[j]):
            found += 1
            end = j + 1
    return end if found >= 2 else None


def _joined_match(lines: list[str], i: int, patterns: tuple[re.Pattern[str], ...]) -> tuple[int, int] | None:
    """Lines i..k (at most MAX_JOIN, no blank or quoted line inside) matching a marker.

    A wrapped marker does not start on a line that ends a sentence, and a shorter
    span starting on a line with a date in it is preferred, so that text written
    just above the marker is not taken into it.
    """
    parts: list[str] = []
    for k in range(i, min(len(lines), i + MAX_JOIN)):
        line = lines[k].strip()
        if not line or len(line) > MAX_MARKER_LINE or _QUOTED.match(lines[k]):
            break
        if parts and _SENTENCE_END.search(parts[-1]):
            break
        parts.append(line)
        if any(p.match(" ".join(parts)) for p in patterns):
            begin = i
            for j in range(1, len(parts)):
                if _DIGIT.search(parts[j]) and any(p.match(" ".join(parts[j:])) for p in patterns):
                    begin = i + j
            return begin, k + 1
    return None


def find_marker(lines: list[str], start: int, p: Patterns) -> tuple[int, int] | None:
    """The first reply marker at or after ``start``: (first line, line after it)."""
    for i in range(start, len(lines)):
        if not lines[i].strip() or _QUOTED.match(lines[i]):
            continue
        end = _header_block(lines, i, p)
        if end is not None:
            begin = i
            prev = i - 1
            while prev >= start and not lines[prev].strip():
                prev -= 1
            if prev >= start and _SEPARATOR.match(lines[prev]):
                begin = prev
            return begin, end
        span = _joined_match(lines, i, p.wrote) or _joined_match(lines, i, p.original)
        if span is not None:
            return span
    return None


def _has_text(lines: list[str]) -> bool:
    return any(line.strip() and not _QUOTED.match(line) and not _SEPARATOR.match(line) for line in lines)


def _skip_headers(lines: list[str], end: int) -> int:
    """After a header block, also skip its continuation lines up to the first blank one."""
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def _drop_quotes(lines: list[str]) -> tuple[list[str], dict[str, str], bool]:
    kept: list[str] = []
    answers: dict[str, str] = {}
    quoted: list[str] = []
    last_question = ""
    answer: list[str] = []
    found = False

    def close_answer() -> None:
        text = "\n".join(answer).strip()
        if last_question and text:
            answers[last_question] = text
        answer.clear()

    for line in lines:
        if _QUOTED.match(line):
            found = True
            if answer:
                close_answer()
            quoted.append(_unquote(line).strip())
            continue
        if quoted:
            paragraph = " ".join(" ".join(quoted).split())
            if paragraph:
                last_question = paragraph[:300]
            quoted.clear()
        if last_question:
            answer.append(line)
        kept.append(line)
    close_answer()
    return kept, answers, found


def _split_signature(lines: list[str], p: Patterns) -> tuple[list[str], str | None]:
    for i, line in enumerate(lines):
        if i == 0:
            continue
        s = line.strip()
        if s and any(pat.match(s) for pat in p.signature):
            head = lines[:i]
            if not _has_text(head):
                return lines, None
            sig = "\n".join(lines[i:]).strip()
            if sig in ("--", "-- "):
                sig = ""
            return head, sig or None
    return lines, None


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n").strip()


def split_reply(text: str, patterns: Patterns | None = None) -> Reply:
    p = patterns or load()
    lines = normalise(text).split("\n")
    start = 0
    quoted = False
    body = lines
    while True:
        marker = find_marker(lines, start, p)
        if marker is None:
            body = lines[start:]
            break
        begin, end = marker
        quoted = True
        if _has_text(lines[start:begin]):
            body = lines[start:begin]
            break
        if _header_block(lines, begin, p) is not None or _SEPARATOR.match(lines[begin]):
            end = _skip_headers(lines, end)
        start = end
    kept, answers, found = _drop_quotes(body)
    kept, signature = _split_signature(kept, p)
    return Reply(_tidy(kept), signature, answers, quoted or found)
