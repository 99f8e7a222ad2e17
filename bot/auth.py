"""Users' passwords: argon2id hashes, checked and upgraded at log-in, slowed down after
repeated failures (``bot.throttle``); administrators' optional TOTP second factor; the
session version that ends every session of a user. The desk's and the directory's log-in
pages both use ``log_in``."""

from __future__ import annotations

import secrets

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, throttle
from .model import AuditEvent, LoginThrottle, User, UserRole, utcnow

hasher = PasswordHasher()
FIRST_ADMIN_EMAIL = "admin@localhost"
MIN_PASSWORD_LENGTH = 12
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


def _fail(session: Session, email: str, address: str, now) -> None:
    """Count a failure; audit it while within the free tries, and once a window when a key
    closes; tell the account's owner once a window."""
    outcome = throttle.fail(session, email, address, now)
    if not outcome.quiet:
        audit.record(
            session,
            "user.login_failed",
            actor="anonymous",
            subject_type="user",
            subject_id=email,
            email=email,
            address=address,
        )
    for kind, row in outcome.newly_closed:
        audit.record(
            session,
            "user.login_throttled",
            actor="anonymous",
            subject_type="user" if kind != "address" else "address",
            subject_id=email if kind != "address" else address,
            key=kind,
            failures=row.failures,
            since=row.first_at.isoformat(),
            address=address,
        )
    if any(kind != "address" for kind, _row in outcome.newly_closed):
        _warn_owner(session, email, address, now)


def _warn_owner(session: Session, email: str, address: str, now) -> None:
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        return
    since = now - throttle.policy().window
    told = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "user.warned_of_failed_logins",
            AuditEvent.subject_id == str(user.id),
            AuditEvent.at >= since,
        )
    )
    if told:
        return
    rows = throttle.keys(email, address)
    counted = session.scalar(select(LoginThrottle).where(LoginThrottle.key == rows["account"]))
    failures = counted.failures if counted else 0
    first = counted.first_at if counted else now
    from .account_mail import queue_login_warning  # mail composing needs the app

    queue_login_warning(session, user, failures=failures, since=first, address=address)
    audit.record(session, "user.warned_of_failed_logins", user, failures=failures)


def log_in(
    session: Session, email: str, password: str, address: str | None = None
) -> tuple[User | None, str]:
    """A log-in attempt on the desk's or the directory's page, with its audit event:
    (the user, "ok"), (the user, "code") when an administrator's second factor is still to
    come, (None, "failed"), or (None, "locked") while the account or the address is slowed
    down after too many failures."""
    email = normalise_email(email)[:320]
    address = (address or "unknown")[:45]
    now = utcnow()
    if throttle.blocked(session, email, address, now):
        return None, "locked"
    user = authenticate(session, email, password)
    if user is None:
        _fail(session, email, address, now)
        return None, "failed"
    if user.totp_secret:
        return user, "code"
    return _logged_in(session, user, address), "ok"


def _logged_in(session: Session, user: User, address: str) -> User:
    throttle.succeed(session, user.email, address)
    audit.record(session, "user.login", user, actor=user.email, email=user.email, address=address)
    return user


def check_code(session: Session, user: User, code: str, address: str | None = None) -> str:
    """The second step of an administrator's log-in: "ok", "failed" or "locked". A wrong code
    counts as a failed log-in."""
    address = (address or "unknown")[:45]
    now = utcnow()
    if throttle.blocked(session, user.email, address, now):
        return "locked"
    if not user.active or not user.totp_secret or not totp_ok(user.totp_secret, code):
        _fail(session, user.email, address, now)
        return "failed"
    _logged_in(session, user, address)
    return "ok"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="focalbot")


def totp_ok(secret: str, code: str) -> bool:
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def set_totp(session: Session, user: User, secret: str | None, *, actor: str) -> None:
    """Turn an administrator's second factor on (a secret) or off (None); either ends every
    session of the user."""
    user.totp_secret = secret
    end_sessions(user)
    audit.record(
        session,
        "user.totp_enrolled" if secret else "user.totp_reset",
        user,
        actor=actor,
        email=user.email,
    )


def end_sessions(user: User) -> None:
    """Every session of ``user`` ends at its next request (``bot.sessions`` compares)."""
    user.session_version = (user.session_version or 0) + 1


def set_role(session: Session, user: User, role: str, *, actor: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    before = user.role
    user.role = role
    if role != UserRole.ADMIN.value:
        user.totp_secret = None
    end_sessions(user)
    audit.record(
        session, "user.role_changed", user, actor=actor, email=user.email, before=before, role=role
    )


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
        end_sessions(user)
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
    end_sessions(user)
    audit.record(session, "user.removed", user, actor=actor, email=user.email, role=user.role)
