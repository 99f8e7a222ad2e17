"""Users' passwords: argon2id hashes, checked and upgraded at log-in, with a lockout after
repeated failures. The desk's and the directory's log-in pages both use ``log_in``."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .model import AuditEvent, User, UserRole, utcnow

hasher = PasswordHasher()
FIRST_ADMIN_EMAIL = "admin@localhost"
MIN_PASSWORD_LENGTH = 12
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
ROLES = tuple(r.value for r in UserRole)
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


def too_many_failures(session: Session, email: str) -> bool:
    """Five failed log-ins to one account within 15 minutes close it to further tries for a
    while."""
    since = utcnow() - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "user.login_failed",
            AuditEvent.subject_id == email,
            AuditEvent.at >= since,
        )
    )
    return (failures or 0) >= MAX_FAILURES


def log_in(session: Session, email: str, password: str) -> tuple[User | None, str]:
    """A log-in attempt on the desk's or the directory's page, with its audit event:
    (the user, "ok"), (None, "failed") or (None, "locked") after too many failures."""
    email = normalise_email(email)[:320]
    if too_many_failures(session, email):
        audit.record(
            session, "user.login_refused", actor="anonymous", subject_type="user", subject_id=email
        )
        return None, "locked"
    user = authenticate(session, email, password)
    if user is None:
        audit.record(
            session,
            "user.login_failed",
            actor="anonymous",
            subject_type="user",
            subject_id=email,
            email=email,
        )
        return None, "failed"
    audit.record(session, "user.login", user, actor=user.email, email=user.email)
    return user, "ok"


def set_password(
    session: Session,
    email: str,
    password: str | None = None,
    *,
    name: str | None = None,
    admin: bool = False,
    role: str | None = None,
    actor: str = "cli",
) -> tuple[User, str, bool]:
    """Create the user or reset their password; returns (user, password, created).

    A new user is an officer unless ``role`` (or ``admin``, meaning the admin role) says
    otherwise; an existing user's role changes only when one is given. A random password is
    made when none is given. The audit event never holds it.
    """
    if admin:
        role = UserRole.ADMIN.value
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
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
            email=email,
            name=name or "",
            password_hash=hash_password(password),
            role=role or UserRole.OFFICER.value,
        )
        session.add(user)
    else:
        user.password_hash = hash_password(password)
        if name is not None:
            user.name = name
        if role is not None:
            user.role = role
    session.flush()
    action = "user.created" if created else "user.password_reset"
    audit.record(session, action, user, actor=actor, email=email, role=user.role)
    return user, password, created


def ensure_admin(session: Session) -> tuple[User, str | None]:
    """Make a first administrator when there is no user at all.

    Returns the user and its new password, or an existing user and None.
    """
    if session.scalar(select(func.count(User.id))):
        existing = session.scalar(
            select(User).order_by((User.role == UserRole.ADMIN.value).desc(), User.id)
        )
        if existing is not None:
            return existing, None
    user, password, _ = set_password(
        session, FIRST_ADMIN_EMAIL, name="Administrator", admin=True, actor="system"
    )
    return user, password


def remove_user(session: Session, user: User, *, actor: str) -> None:
    """Deactivate the account: it can no longer log in; its audit trail stays."""
    user.active = False
    audit.record(session, "user.removed", user, actor=actor, email=user.email, role=user.role)
