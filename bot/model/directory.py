"""The directory: instruments, States, their status under each, and their contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnum, utcnow


class Role(StrEnum):
    FOCAL_POINT = "focal_point"  # reporting focal point on implementation
    MLA = "mla"  # central authority for mutual legal assistance (art. 18)
    EXTRADITION = "extradition"  # authority for extradition (art. 16)
    TRANSFER = "transfer"  # transfer of sentenced persons (art. 17)
    SOM_8_6 = "som_8_6"  # art. 8(6) of the Smuggling of Migrants Protocol
    ALTERNATE = "alternate"  # alternate focal point
    MISSION = "mission"  # permanent mission
    UNCAC_46_13 = "uncac_46_13"  # art. 46(13) of the Convention against Corruption
    C1988_7_8 = "c1988_7_8"  # art. 7(8) of the 1988 Convention


class Access(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"  # authorised users only


class Participation(StrEnum):
    PARTY = "party"
    SIGNATORY = "signatory"


class Instrument(Base):
    __tablename__ = "instrument"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("instrument.code"))
    position: Mapped[int] = mapped_column(default=0)

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.code


class State(Base):
    __tablename__ = "state"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)  # ISO 3166-1 alpha-2
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    un_group: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="en")  # preferred UN language
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    weekend: Mapped[str] = mapped_column(String(32), default="sat,sun")  # days off, e.g. fri,sat
    directory_updated_at: Mapped[datetime | None]

    contacts: Mapped[list[Contact]] = relationship(back_populates="state", order_by="Contact.id")
    participation: Mapped[list[StateInstrument]] = relationship(back_populates="state")

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.code


class StateInstrument(Base):
    __tablename__ = "state_instrument"
    __table_args__ = (UniqueConstraint("state_code", "instrument_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_code: Mapped[str] = mapped_column(ForeignKey("state.code"), index=True)
    instrument_code: Mapped[str] = mapped_column(ForeignKey("instrument.code"))
    status: Mapped[str] = mapped_column(String(16))  # Participation

    state: Mapped[State] = relationship(back_populates="participation")
    instrument: Mapped[Instrument] = relationship()


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_code: Mapped[str] = mapped_column(ForeignKey("state.code"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # Role
    instrument_code: Mapped[str | None] = mapped_column(ForeignKey("instrument.code"))
    name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str] = mapped_column(String(100), default="")
    fax: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    info: Mapped[str] = mapped_column(Text, default="")
    office_hours: Mapped[str] = mapped_column(String(200), default="")
    access: Mapped[str] = mapped_column(String(16), default=Access.PUBLIC.value)
    last_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_status: Mapped[str] = mapped_column(String(16), default="ok")  # ok, bouncing, invalid
    email_problem: Mapped[str | None] = mapped_column(String(500))
    away_until: Mapped[date | None]  # from an out-of-office notice
    last_automated_at: Mapped[datetime | None]  # the last automated email sent to this contact
    left_at: Mapped[datetime | None]  # has left the post: no longer written to
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))

    state: Mapped[State] = relationship(back_populates="contacts")

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None

    @property
    def language(self) -> str:
        """The language to write to this contact in."""
        return self.languages[0] if self.languages else self.state.language


class ContactChange(Base):
    """One field of a directory entry as it was and as it became, or a confirmation (no field).

    Written only by ``bot.directory.changes``. ``by_state`` tells a State's own confirmation or
    change (which moves the State's last update) from a correction by the secretariat.
    """

    __tablename__ = "contact_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    field: Mapped[str] = mapped_column(String(32), default="")  # "" for a confirmation
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(16))  # form, email, desk, import
    by_state: Mapped[bool] = mapped_column(Boolean)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))


class DirectoryResource(Base):
    """A link the directory's pages offer (tools, model laws, manuals), kept from the desk."""

    __tablename__ = "directory_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
