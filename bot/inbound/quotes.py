"""Separating what the sender wrote from the quoted history and the signature.

Pure text in, ``Reply`` out. The text is cut at the first reply marker (a
quoted header block, an "On ... wrote:" line, an "Original Message" separator);
``>``-quoted lines before it are dropped, while answers written between quoted
lines are kept, and paired with the quoted line they answer. A message that
opens with one short quoted passage and then answers it keeps the passage, as
the context of the answer. When nothing but whitespace comes before the first
marker, the message is bottom-posted or a bare forward, and the search starts
again after the marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patterns import Patterns, load

_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")
_DROP = dict.fromkeys(
    map(ord, "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff")
)
_KEEP = {**_SPACES, **_DROP}  # what the sender wrote, made plain
_TABLE = {**_KEEP, ord("\uff1a"): ":", ord("\ufe55"): ":"}  # for finding markers
_QUOTED = re.compile(r"^\s*>")
_SEPARATOR = re.compile(r"^[\s*]*(?:[-_=]\s*){5,}[\s*]*$")
_SENTENCE_END = re.compile(r"[^\W\d_]\s*[.!?…]+$")
_DIGIT = re.compile(r"\d")
MAX_JOIN = 4
MAX_SPAN = 5  # lines a wrapped marker may cover, blank ones included
MAX_MARKER_LINE = 400
HEADER_WINDOW = 8
MAX_CONTEXT = 10  # quoted lines kept above an answer that refers to them
_DELIMITER = re.compile(r"^\s*(?:--|[\u1427]+)\s*$")
_LABELLED = re.compile(r"^\s*[^\W\d][\w .'’-]{0,40}:\s*\S")


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


def _joined_match(
    lines: list[str], i: int, patterns: tuple[re.Pattern[str], ...], p: Patterns
) -> tuple[int, int] | None:
    """Lines i..k (at most MAX_JOIN of them, no quoted line inside) matching a marker.

    A wrapped marker does not start on a line that ends a sentence, and a shorter
    span starting on a line with a date in it is preferred, so that text written
    just above the marker is not taken into it. A marker whose first line opens an
    attribution ("On <date> ...") may have blank lines inside it, and a line that
    starts with the ``>`` closing an address wrapped from the line before is part
    of the marker, not a quote.
    """
    parts: list[str] = []
    where: list[int] = []
    opened = False
    depth = 0
    for k in range(i, min(len(lines), i + MAX_SPAN)):
        line = lines[k].strip()
        if not line:
            if opened:
                continue
            break
        if len(line) > MAX_MARKER_LINE or (_QUOTED.match(lines[k]) and depth == 0):
            break
        if parts and _SENTENCE_END.search(parts[-1]):
            break
        if not parts:
            opened = any(o.match(line) for o in p.opening)
        parts.append(line)
        where.append(k)
        depth = max(0, depth + line.count("<") - line.count(">"))
        if any(pat.match(" ".join(parts)) for pat in patterns):
            begin = i
            for j in range(1, len(parts)):
                if _DIGIT.search(parts[j]) and any(
                    pat.match(" ".join(parts[j:])) for pat in patterns
                ):
                    begin = where[j]
            return begin, k + 1
        if len(parts) >= MAX_JOIN:
            break
    return None


def find_marker(lines: list[str], start: int, p: Patterns) -> tuple[int, int, str] | None:
    """The first reply marker at or after ``start``: (first line, line after it, its kind).

    The kind is ``header`` (a quoted header block), ``wrote`` (an attribution line)
    or ``original`` (an "Original Message" or forward separator).
    """
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
            return begin, end, "header"
        span = _joined_match(lines, i, p.wrote, p)
        if span is not None:
            return *span, "wrote"
        span = _joined_match(lines, i, p.original, p)
        if span is not None:
            return *span, "original"
    return None


def _has_text(lines: list[str]) -> bool:
    return any(
        line.strip() and not _QUOTED.match(line) and not _SEPARATOR.match(line) for line in lines
    )


def _skip_headers(lines: list[str], end: int) -> int:
    """After a header block, also skip its continuation lines up to the first blank one."""
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def _drop_quotes(lines: list[str]) -> tuple[list[int], dict[str, str], bool]:
    """Positions of the lines that are not ``>``-quoted, and the answers written under quoted
    lines."""
    kept: list[int] = []
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

    for n, line in enumerate(lines):
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
        kept.append(n)
    close_answer()
    return kept, answers, found


def _leading_context(lines: list[str]) -> bool:
    """Whether the text opens with one short quoted passage and the rest is the sender's own.

    Such a passage is what the answer below it refers to, and is kept with it; a
    long one (a whole message quoted above a bottom-posted answer), one made of
    labelled lines (a form or a header block), or several passages with answers
    between them are not.
    """
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None or not _QUOTED.match(lines[first]):
        return False
    end = first
    while end < len(lines) and _QUOTED.match(lines[end]):
        end += 1
    rest = lines[end:]
    if (
        end - first > MAX_CONTEXT
        or any(_QUOTED.match(line) for line in rest)
        or not _has_text(rest)
    ):
        return False
    labelled = sum(1 for line in lines[first:end] if _LABELLED.match(_unquote(line)))
    return labelled < 2


def _signature_start(lines: list[str], p: Patterns) -> int | None:
    """Where the signature begins, if there is text of the sender's own above it."""
    for i, line in enumerate(lines):
        if i == 0:
            continue
        s = line.strip()
        if s and any(pat.match(s) for pat in p.signature):
            return i if _has_text(lines[:i]) else None
    return None


def _answered_below(lines: list[str], end: int, p: Patterns) -> bool:
    """Whether the attribution ending before ``end`` heads a ``>``-quote that the sender
    answers below it (an inline reply under an introduction), rather than the history."""
    k = end
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k >= len(lines) or not _QUOTED.match(lines[k]):
        return False
    following = find_marker(lines, k, p)
    own = [
        line
        for line in lines[k : following[0] if following else len(lines)]
        if not _QUOTED.match(line)
    ]
    cut = _signature_start(own, p)
    return _has_text(own[:cut] if cut is not None else own)


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n").strip()


def split_reply(text: str, patterns: Patterns | None = None) -> Reply:
    p = patterns or load()
    lines = normalise(text).split("\n")
    written = text.replace("\r\n", "\n").replace("\r", "\n").translate(_KEEP).split("\n")
    body: list[int] = []
    start = 0
    quoted = False
    while True:
        marker = find_marker(lines, start, p)
        if marker is None:
            body += range(start, len(lines))
            break
        begin, end, kind = marker
        quoted = True
        if _has_text(lines[start:begin]):
            body += range(start, begin)
            if kind == "wrote" and _answered_below(lines, end, p):
                start = end
                continue
            break
        if kind == "header" or _SEPARATOR.match(lines[begin]):
            end = _skip_headers(lines, end)
        start = end
    body_lines = [lines[i] for i in body]
    kept, answers, found = _drop_quotes(body_lines)
    if body[:1] == [0] and _leading_context(body_lines):
        kept = list(range(len(body)))
    cut = _signature_start([body_lines[n] for n in kept], p)
    signature = None
    if cut is not None:
        tail = [written[body[n]] for n in kept[cut:]]
        while tail and _DELIMITER.match(tail[0]):
            tail.pop(0)
        signature = "\n".join(tail).strip() or None
        kept = kept[:cut]
    # the text is returned as written (full-width colons included), not as normalised for matching
    return Reply(_tidy([written[body[n]] for n in kept]), signature, answers, quoted or found)
