"""Request tokens: short, random, typeable, with a check character.

Crockford's base32 alphabet (no I, L, O or U; read case-insensitively, with O
as 0 and I or L as 1) and a Luhn mod 32 check character, which catches every
single mistyped character and most swapped neighbours. A token goes in reply
addresses (``replies+TOKEN@domain``) and form links (``/f/TOKEN``).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = {"O": "0", "I": "1", "L": "1"}
N = len(ALPHABET)
BODY_LENGTH = 11  # 55 random bits


def normalise(text: str) -> str:
    """Upper-case, drop separators, map look-alike letters to digits."""
    out = []
    for ch in text.strip().upper():
        if ch in "- ":
            continue
        out.append(_ALIASES.get(ch, ch))
    return "".join(out)


def check_char(body: str) -> str:
    """Luhn mod N over ``body``."""
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def new_token() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_char(body)


def is_valid(token: str) -> bool:
    t = normalise(token)
    if len(t) != BODY_LENGTH + 1 or any(c not in _VALUE for c in t):
        return False
    return check_char(t[:-1]) == t[-1]


def reply_address(token: str, reply_address: str) -> str:
    local, domain = reply_address.rsplit("@", 1)
    return f"{local}+{token.lower()}@{domain}"


def token_from_address(address: str, reply_local: str) -> str | None:
    """The token in ``local+TOKEN@domain`` when ``local`` is ours, as written."""
    local = address.rsplit("@", 1)[0].strip().lower()
    prefix = reply_local.lower() + "+"
    if not local.startswith(prefix):
        return None
    token = local[len(prefix):]
    return token.upper() or None
