"""The bytes of a multipart/alternative message, written directly.

The same bytes as ``email.message.EmailMessage`` with ``email.policy.SMTP``
(set_content, add_alternative, as_bytes), at a fraction of the cost: a header
that is short plain ASCII is written as it is, which is what the email package
does with it; any other header (encoded words, quoting, folding) goes through
the email package itself. ``tests/outbound/test_mime.py`` holds the two side by
side.

No header is written that ends its line early: a value with a line break or another
control character (the tab aside) is refused with ``HeaderError``, and so is what the email
package folds into a line break of its own (it decodes the encoded words of the text it is
given, and ``=?utf-8?q?=0D=0A...?=`` is a line break), as Python 3.13's generator refuses it.
"""

from __future__ import annotations

import binascii
import random
import re
import sys
from email import quoprimime
from email.headerregistry import Address
from email.policy import SMTP
from functools import lru_cache

CRLF = "\r\n"
MAX: int = SMTP.max_line_length or 78
_NL = re.compile(r"\r\n|\r|\n")
_PLAIN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # printable ASCII words, single spaces
_WORDS = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")  # a display name that needs no quoting
_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_WIDTH = len(repr(sys.maxsize - 1))
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BREAK = re.compile(rb"\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n")  # a line end that is no folding


class HeaderError(ValueError):
    """A header value that would end its header line and start another."""


def _unbroken(name: str, *values: str) -> None:
    if any(_CONTROL.search(v) for v in values):
        raise HeaderError(f"the {name} header has a line break or control character")


def _checked(name: str, line: bytes) -> bytes:
    """``line`` (one header and its CRLF) when every line end in it is a folding."""
    if not line.endswith(b"\r\n") or _BREAK.search(line[:-2]):
        raise HeaderError(f"the {name} header would end its line and start another")
    return line


@lru_cache(maxsize=4096)
def _folded(name: str, value: str | tuple[tuple[str, str], ...]) -> bytes:
    """A header as the email package folds it (the slow path, for what is not plain)."""
    if isinstance(value, tuple):
        parsed = SMTP.header_factory(name, [_address(n, a) for n, a in value])
    else:
        parsed = SMTP.header_factory(name, value)
    return SMTP.fold_binary(name, parsed)


def _address(name: str, addr: str) -> Address:
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def header(name: str, value: str) -> bytes:
    """``Name: value`` and its line end, folded and encoded as the email package does."""
    _unbroken(name, value)
    line = f"{name}: {value}"
    if len(line) <= MAX and "=?" not in value and _PLAIN.fullmatch(value):
        return (line + CRLF).encode("ascii")
    return _checked(name, _folded(name, value))


def address_header(name: str, pairs: list[tuple[str, str]]) -> bytes:
    """An address header (From, To, Cc) from (display name, address) pairs."""
    _unbroken(name, *(text for pair in pairs for text in pair))
    parts = []
    for display, addr in pairs:
        local, _, domain = addr.rpartition("@")
        if not (_LOCAL.fullmatch(local) and _DOMAIN.fullmatch(domain)):
            break
        if display and not _WORDS.fullmatch(display):
            break
        parts.append(f"{display} <{addr}>" if display else addr)
    else:
        line = f"{name}: {', '.join(parts)}"
        if len(line) <= MAX:
            return (line + CRLF).encode("ascii")
    return _checked(name, _folded(name, tuple(pairs)))


def text_part(subtype: str, text: str, cte: str, *, mime_version: bool = False) -> bytes:
    """A text/``subtype`` part in UTF-8, headers and body (as ``set_content`` makes it)."""
    lines = text.encode("utf-8").splitlines()
    if cte == "quoted-printable":
        body = quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), MAX)
    elif cte == "base64":
        data = CRLF.encode().join(lines) + CRLF.encode()
        step = MAX // 4 * 3
        body = "".join(
            binascii.b2a_base64(data[i : i + step]).decode("ascii")
            for i in range(0, len(data), step)
        )
    else:
        raise ValueError(f"unknown content transfer encoding {cte!r}")
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {cte}{CRLF}'
    )
    if mime_version:  # add_alternative leaves it on the part it moves
        head += f"MIME-Version: 1.0{CRLF}"
    return (head + CRLF + _NL.sub(CRLF, body)).encode("ascii")


def alternative(headers: list[bytes], parts: list[bytes], trailing: list[bytes]) -> bytes:
    """The whole message: ``headers``, the multipart/alternative headers, ``trailing``
    headers (those set after the body), then the parts between boundaries."""
    joined = CRLF.encode().join(parts)
    boundary = _boundary(joined)
    content_type = f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}'
    out = [
        *headers,
        f"MIME-Version: 1.0{CRLF}".encode(),
        content_type.encode("ascii"),
        *trailing,
        b"\r\n",
    ]
    sep = f"--{boundary}{CRLF}".encode("ascii")
    out.append(sep)
    for n, part in enumerate(parts):
        if n:
            out.append(CRLF.encode() + sep)
        out.append(part)
    out.append(f"{CRLF}--{boundary}--{CRLF}".encode("ascii"))
    return b"".join(out)


def _boundary(text: bytes) -> str:
    """A boundary as the email package draws it: random, and not a line of the text."""
    boundary = "=" * 15 + str(random.randrange(sys.maxsize)).zfill(_WIDTH) + "=="
    b, counter = boundary, 0
    while f"--{b}".encode() in text and re.search(
        rb"^--" + re.escape(b.encode()) + rb"(--)?$", text, re.MULTILINE
    ):
        b = f"{boundary}.{counter}"
        counter += 1
    return b
