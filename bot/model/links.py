"""Form links and successors: the web's secrets and the directory's handovers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .correspondence import Request
from .directory import Contact


class FormLink(Base):
    """One ``/f/TOKEN`` link, written into one letter for one contact and one request.

    Only the SHA-256 of the token is stored: the raw link exists only in the letter.
    """

    __tablename__ = "form_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the token
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None]  # the last POST made with it

    request: Mapped[Request] = relationship()
    contact: Mapped[Contact | None] = relationship()


class FormLinkMiss(Base):
    """A wrong token tried from one address (kept as a keyed hash), for the rate limit."""

    __tablename__ = "form_link_miss"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SuccessorProposal(Base):
    """Someone has left a post and names who follows them; the secretariat decides."""

    __tablename__ = "successor_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    source: Mapped[str] = mapped_column(String(8))  # form or email
    name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(320))
    new_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))

    contact: Mapped[Contact] = relationship(foreign_keys=[contact_id])
    request: Mapped[Request | None] = relationship()
    new_contact: Mapped[Contact | None] = relationship(foreign_keys=[new_contact_id])
