"""Requests to States, every message in and out, and the answers received."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnum, utcnow
from .directory import Contact, Instrument, State


class RequestKind(StrEnum):
    """The kinds the code names. Every kind is a data file (``bot.kinds``, bot/data/kinds/),
    which is what opening a request checks; a test holds each of these to one."""

    QUESTIONNAIRE = "questionnaire"
    DIRECTORY_UPDATE = "directory_update"
    CLARIFICATION = "clarification"
    TECHNICAL_ASSISTANCE = "technical_assistance"


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"
    WAIVED = "waived"


class Direction(StrEnum):
    OUT = "out"
    IN = "in"


class Delivery(StrEnum):
    # outbound
    QUEUED = "queued"  # written to the outbox, waiting for a sender
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"  # accepted by the SMTP server (or written to the local outbox)
    RETRY = "retry"  # a temporary failure; tried again at next_attempt_at
    FAILED = "failed"  # refused for good
    CANCELLED = "cancelled"  # no longer wanted by its request(s); the reason is in ``error``
    # inbound
    RECEIVED = "received"  # raw bytes stored, not yet understood
    PROCESSED = "processed"  # matched to a request and recorded
    TRIAGE = "triage"  # kept, needs a person to decide where it belongs
    UNPARSABLE = "unparsable"  # kept raw with the reason


class Campaign(Base):
    """One kind of request opened for a set of States at once (``bot.campaign``)."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    instrument_code: Mapped[str | None] = mapped_column(ForeignKey("instrument.code"))
    cycle: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    due_date: Mapped[date]
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Request(Base):
    __tablename__ = "request"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_code: Mapped[str] = mapped_column(ForeignKey("state.code"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # RequestKind
    instrument_code: Mapped[str | None] = mapped_column(ForeignKey("instrument.code"))
    cycle: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(
        String(300), default=""
    )  # free text, e.g. the clarification asked
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.OPEN.value, index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact.id")
    )  # addressee when not the focal point
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # planning: when the planner should next look at this request, and why
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    next_step: Mapped[str | None] = mapped_column(String(32))
    plan_note: Mapped[str | None] = mapped_column(Text)  # how next_action_at was computed
    paused: Mapped[bool] = mapped_column(default=False)  # by the secretariat, or by a reply
    snoozed_until: Mapped[date | None]
    hold_until: Mapped[date | None]  # e.g. the focal point is away until then
    escalated_at: Mapped[datetime | None]
    purpose: Mapped[str | None] = mapped_column(String(32))  # e.g. appoint_focal_point
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)

    state: Mapped[State] = relationship()
    instrument: Mapped[Instrument | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="request", order_by="Message.id")
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="request", order_by="Submission.id"
    )

    @property
    def tag(self) -> str:
        """The reference put in subjects, e.g. ``[FB-42]``."""
        return f"[FB-{self.id}]"


# As PostgreSQL writes it back, so that the models and the migrations compare equal.
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, (COALESCE(subject, ''::character varying)::text"
    " || ' '::text) || COALESCE(text, ''::text))"
)


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_delivery", "direction", "delivery"),
        # The desk's search of the mail: full text of the subject and text (PostgreSQL only).
        Index(
            "ix_message_search",
            text(SEARCH_DOCUMENT),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # Direction
    message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    dedup_key: Mapped[str | None] = mapped_column(
        String(300), unique=True
    )  # inbound: recorded once
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"), index=True)
    state_code: Mapped[str | None] = mapped_column(ForeignKey("state.code"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    step: Mapped[str | None] = mapped_column(
        String(32)
    )  # outbound: the ladder step (see OutboxItem)
    subject: Mapped[str] = mapped_column(String(500), default="")
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    to_addrs: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    delivery: Mapped[str] = mapped_column(String(16))  # Delivery
    attempts: Mapped[int] = mapped_column(default=0)
    # outbound: an attempt ended without the server's answer to DATA (a dropped connection, a
    # sender that died holding the claim): the server may have the letter. Cancelled, such a
    # letter keeps its steps, so that they never go again under another Message-ID.
    maybe_delivered: Mapped[bool] = mapped_column(default=False, server_default=false())
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    smtp_response: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(
        String(16)
    )  # inbound: reply, auto_reply, bounce, unrelated
    match_method: Mapped[str | None] = mapped_column(String(32))  # inbound: how it was threaded
    text: Mapped[str | None] = mapped_column(Text)  # inbound: what the sender wrote, without quotes
    source: Mapped[str | None] = mapped_column(String(300))  # inbound: mailbox and uid
    token: Mapped[str | None] = mapped_column(
        String(32), unique=True
    )  # outbound digest: its reply token
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[Request | None] = relationship(back_populates="messages")
    contact: Mapped[Contact | None] = relationship()


class Submission(Base):
    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    source: Mapped[str] = mapped_column(String(8))  # form or email
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(320), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    review: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending, accepted, rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)  # 1, 2 … per request: a correction is a new one

    request: Mapped[Request] = relationship(back_populates="submissions")

    @property
    def reference(self) -> str:
        """The number a confirmation and a receipt give: ``FB-42-2`` is request 42, version 2."""
        return f"FB-{self.request_id}-{self.version}"


class Draft(Base):
    """A form being filled: the answers saved at each page, until the final submit.

    One per request and contact, so the same link resumes it anywhere.
    """

    __tablename__ = "draft"
    __table_args__ = (
        UniqueConstraint("request_id", "contact_id", name="uq_draft_request_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    page: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """One ladder step of one request carried by an outgoing message.

    A digest carries several; the unique constraint makes each step go out once.
    """

    __tablename__ = "outbox_item"
    __table_args__ = (UniqueConstraint("request_id", "step", name="uq_outbox_item_request_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[Message] = relationship()


class MessageLink(Base):
    """An incoming message that concerns a request besides (or instead of) ``message.request_id``.

    A reply to a digest is filed under every request it concerns: the first is
    the message's own ``request_id``, and each of them has a link here.
    """

    __tablename__ = "message_link"

    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), primary_key=True, index=True)


class Attachment(Base):
    """A file that came with an incoming message; the bytes are stored by SHA-256 outside the
    database."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    stored: Mapped[bool] = mapped_column(default=False)
    refused: Mapped[str | None] = mapped_column(String(200))  # why the bytes were not kept


class AnswerTag(Base):
    """An officer's reading of an answer: the provision it concerns and what it shows."""

    __tablename__ = "answer_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    provision: Mapped[str] = mapped_column(String(100))  # e.g. "UNTOC art. 5"
    finding: Mapped[str] = mapped_column(String(16))  # compliance_issue or difficulty
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
