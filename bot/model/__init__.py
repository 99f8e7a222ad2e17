"""The domain model (SQLAlchemy 2 typed mappings)."""

from .base import Base, utcnow
from .correspondence import (
    Attachment,
    Delivery,
    Direction,
    Draft,
    Message,
    MessageLink,
    OutboxItem,
    Request,
    RequestKind,
    RequestStatus,
    Submission,
)
from .directory import (
    Access,
    Contact,
    ContactChange,
    DirectoryResource,
    Instrument,
    Participation,
    Role,
    State,
    StateInstrument,
)
from .links import FormLink, FormLinkMiss, SuccessorProposal
from .system import AuditEvent, AuditHead, LoginThrottle, MailboxState, Problem, User, UserRole

__all__ = [
    "Access",
    "Attachment",
    "OutboxItem",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Contact",
    "ContactChange",
    "DirectoryResource",
    "Delivery",
    "Direction",
    "Draft",
    "FormLink",
    "FormLinkMiss",
    "Instrument",
    "LoginThrottle",
    "MailboxState",
    "Problem",
    "Message",
    "MessageLink",
    "Participation",
    "Request",
    "RequestKind",
    "RequestStatus",
    "Role",
    "State",
    "StateInstrument",
    "SuccessorProposal",
    "Submission",
    "User",
    "UserRole",
    "utcnow",
]
