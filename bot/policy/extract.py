"""A Babel extractor for policy files: the labels and subject prefixes of their
[steps] go into the catalogs, so that each is translated in the six languages.

Named in ``babel.cfg``; ``make extract`` runs it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import IO, Any


def extract_policy(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for name, body in (tomllib.loads(text).get("steps") or {}).items():
        if not isinstance(body, dict):
            continue
        lineno = next((n for n, line in enumerate(lines, 1) if line.lstrip().startswith(name)), 1)
        for key in ("label", "prefix"):
            value = body.get(key)
            if isinstance(value, str) and value:
                yield lineno, None, value, [f"the {key} of the policy step {name}"]
