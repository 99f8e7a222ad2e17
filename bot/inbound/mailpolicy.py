"""``email.policy.default`` with parsed header values kept for reuse.

The standard policy parses a header again each time it is read (and builds a
new header class for it); a message is read many times over (content types
of every part, addresses, dates), and the same values recur across messages.
Header objects are immutable strings, so sharing them is safe.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import EmailPolicy, default
from functools import lru_cache
from typing import cast

_SPLIT = re.compile(r"\n|\r")


@lru_cache(maxsize=8192)
def _header(name: str, value: str):
    return default.header_factory(name, value)


class CachingPolicy(EmailPolicy):
    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        value = "".join(_SPLIT.split(value))
        if len(value) > 2000:
            return self.header_factory(name, value)
        return _header(name, value)


# EmailPolicy builds EmailMessage objects (its message_factory), as the stubs cannot tell.
POLICY = cast("EmailPolicy[EmailMessage]", CachingPolicy())
