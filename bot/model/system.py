"""Secretariat users, mailbox watermarks, leases and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from .base import Base, StrEnum, utcnow


class UserRole(StrEnum):
    ADMIN = "admin"  # the secretariat's administrators
    OFFICER = "officer"  # the secretariat's officers
    VIEWER = "viewer"  # reads the desk
    DIRECTORY = "directory"  # an official of a State party: the directory's restricted entries


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.OFFICER.value)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised to end every session of the user (log-out, a new password, a new role, removal).
    session_version: Mapped[int] = mapped_column(default=0)
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # an administrator's 2nd factor

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN.value

    @property
    def can_act(self) -> bool:
        """An officer or an administrator: changes requests and mail (a viewer only reads)."""
        return self.role in (UserRole.OFFICER.value, UserRole.ADMIN.value)

    @property
    def is_secretariat(self) -> bool:
        return self.role != UserRole.DIRECTORY.value

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class LoginThrottle(Base):
    """Failed log-ins counted per account and per client address (``key``), so that tries
    are slowed down without an audit event for each one."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  # account:EMAIL, address:IP
    failures: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)  # the window's start
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]  # the window's one audit event (and owner's email)


class MailboxState(Base):
    """Where a mailbox poll got to: UIDVALIDITY and the highest UID handled."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)  # 32-bit unsigned
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    polled_at: Mapped[datetime | None]


class Lease(Base):
    """Who may do a thing that one process at a time should do (send beat's periodic tasks,
    read a mailbox), until when. Taken and renewed by ``bot.lease``."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)  # beat, mailbox:URL
    holder: Mapped[str] = mapped_column(String(200))  # hostname:pid:random; "" when released
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]  # when the present holder took it


class AuditEvent(Base):
    """One append-only, hash-chained event. Written only by ``bot.audit``."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON of everything hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditLogImmutable(Exception):
    """Raised when the application tries to change or remove an audit event."""


def _refused(what: str) -> AuditLogImmutable:
    return AuditLogImmutable(f"the audit log is append-only: {what} of an audit event was refused")


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Events are only ever added: a flush that would change or delete one is stopped."""
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise _refused("a DELETE")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise _refused("an UPDATE")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_statements(state: ORMExecuteState) -> None:
    """The same for ``session.execute(update(AuditEvent)...)`` and ``delete(AuditEvent)``."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == AuditEvent.__tablename__:
        raise _refused("an UPDATE" if state.is_update else "a DELETE")


class AuditHead(Base):
    """A single row holding the chain's tip; updating it serialises writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Problem(Base):
    """Something the planner or a mailbox poll could not do, shown on the desk until it is
    solved."""

    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. contact:12:email
    area: Mapped[str] = mapped_column(String(32))  # policy, contact, request, state, mailbox
    message: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
