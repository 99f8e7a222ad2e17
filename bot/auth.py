"""Desk users' passwords: argon2id hashes, checked and upgraded at log-in."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .model import User

hasher = PasswordHasher()
FIRST_ADMIN_EMAIL = "admin@localhost"
MIN_PASSWORD_LENGTH = 12
# Checked when the email is unknown, so that a failed log-in takes as long either way.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def generate_password() -> str:
    """A random password of about 128 bits, easy to copy."""
    return secrets.token_urlsafe(16)


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    A hash made with older parameters is replaced in the caller's transaction.
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    if not check_password(user.password_hash, password) or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(
    session: Session,
    email: str,
    password: str | None = None,
    *,
    name: str | None = None,
    admin: bool = False,
    actor: str = "cli",
) -> tuple[User, str, bool]:
    """Create the user or reset their password; returns (user, password, created).

    A random password is made when none is given. The audit event never holds it.
    """
    email = normalise_email(email)
    if "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise ValueError(f"not an email address: {email!r}")
    password = password or generate_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(User.email == email))
    created = user is None
    if user is None:
        user = User(
            email=email, name=name or "", password_hash=hash_password(password), is_admin=admin
        )
        session.add(user)
    else:
        user.password_hash = hash_password(password)
        if name is not None:
            user.name = name
        user.is_admin = user.is_admin or admin
    session.flush()
    action = "user.created" if created else "user.password_reset"
    audit.record(session, action, user, actor=actor, email=email, admin=user.is_admin)
    return user, password, created


def ensure_admin(session: Session) -> tuple[User, str | None]:
    """Make a first administrator when there is no user at all.

    Returns the user and its new password, or an existing user and None.
    """
    if session.scalar(select(func.count(User.id))):
        existing = session.scalar(select(User).order_by(User.is_admin.desc(), User.id))
        if existing is not None:
            return existing, None
    user, password, _ = set_password(
        session, FIRST_ADMIN_EMAIL, name="Administrator", admin=True, actor="system"
    )
    return user, password
