"""Where a ``?next=`` may send a browser: a path of this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_target(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/\\t/evil.example`` or ``/\\evil.example`` lead to another site: a target with any
    control character, space or backslash is refused outright, before it is parsed.
    """
    if not target or any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
