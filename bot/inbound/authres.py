"""Reading ``Authentication-Results`` (RFC 8601) written by our own receiving server. Pure.

Anyone can add such a header to a message before it reaches us, so only the
ones whose authserv-id is ours count.
"""

from __future__ import annotations

import re

_DMARC = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*([^\s;()]+)", re.IGNORECASE)


def authserv_id(value: str) -> str:
    head = value.split(";", 1)[0].strip()
    return head.split()[0].lower() if head else ""


def dmarc_verdict(values: list[str], ours: str, sender_domain: str) -> str | None:
    """The DMARC result our server gave for the sender's domain (``pass``, ``fail`` ...), or
    None."""
    if not ours:
        return None
    verdict = None
    for value in values:
        value = " ".join(value.split())
        if authserv_id(value) != ours.lower():
            continue
        for match in _DMARC.finditer(value.split(";", 1)[1] if ";" in value else ""):
            result = match.group(1).lower()
            domain = _HEADER_FROM.search(match.group(2))
            if domain and sender_domain and domain.group(1).lower().strip(".") != sender_domain:
                continue
            if result == "fail":
                return "fail"
            verdict = verdict or result
    return verdict
