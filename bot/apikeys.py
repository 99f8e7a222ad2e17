"""Keys of the read API: made, listed, revoked and checked.

A key is ``fbk_`` and eight visible characters that name it, ``_``, then 32 random bytes
in URL-safe base64 (256 bits). Only the SHA-256 of the whole key is stored, with the
visible part; the key itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from . import audit
from .auth import normalise_email
from .model import ApiKey, User, utcnow

SCHEME = "fbk_"
PREFIX_LENGTH = len(SCHEME) + 8
MAX_KEY_LENGTH = 100


class ApiKeyError(ValueError):
    """The key cannot be made or revoked as asked."""


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once
    prefix: str
    hash: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate() -> NewKey:
    prefix = SCHEME + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key=key, prefix=prefix, hash=digest(key))


def create(
    session: Session, email: str, *, label: str = "", actor: str = "cli"
) -> tuple[ApiKey, str]:
    """A new key for the user with this email, in the caller's transaction: (row, key)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise ApiKeyError(f"no user {normalise_email(email)!r}")
    if not user.active:
        raise ApiKeyError(f"the user {user.email} is inactive")
    if not user.is_secretariat:
        raise ApiKeyError(
            f"{user.email} is an authorised user of the online directory: API keys are for the "
            "secretariat (the directory's data is at /directory.json)"
        )
    new = generate()
    row = ApiKey(user_id=user.id, prefix=new.prefix, hash=new.hash, label=label, created_by=actor)
    session.add(row)
    session.flush()
    audit.record(
        session, "apikey.created", row, actor=actor, user=user.email, prefix=new.prefix, label=label
    )
    return row, new.key


def revoke(session: Session, prefix: str, *, actor: str = "cli") -> ApiKey:
    """Revoke the key that starts with ``prefix`` (its visible part, or the whole key)."""
    wanted = prefix.strip()[:PREFIX_LENGTH]
    row = session.scalar(
        select(ApiKey).where(ApiKey.prefix == wanted).options(joinedload(ApiKey.user))
    )
    if row is None:
        raise ApiKeyError(f"no API key {wanted!r}")
    if row.revoked_at is not None:
        raise ApiKeyError(f"the API key {wanted} is already revoked")
    row.revoked_at, row.revoked_by = utcnow(), actor
    audit.record(
        session, "apikey.revoked", row, actor=actor, user=row.user.email, prefix=row.prefix
    )
    return row


def listing(session: Session, email: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).join(User).options(joinedload(ApiKey.user))
    if email:
        query = query.where(User.email == normalise_email(email))
    return list(session.scalars(query.order_by(User.email, ApiKey.id)))


def authenticate(session: Session, key: str) -> User | None:
    """The active user whose live key this is, or None."""
    if not key.startswith(SCHEME) or len(key) > MAX_KEY_LENGTH or not key.isascii():
        return None
    hashed = digest(key)
    row = session.scalar(
        select(ApiKey).where(ApiKey.hash == hashed).options(joinedload(ApiKey.user))
    )
    if row is None or not hmac.compare_digest(row.hash, hashed) or row.revoked_at is not None:
        return None
    return row.user if row.user.active else None
