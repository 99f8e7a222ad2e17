"""The domain model (SQLAlchemy 2 typed mappings)."""

from .api import ApiKey
from .base import Base, utcnow
from .correspondence import (
    AnswerTag,
    Attachment,
    Campaign,
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
from .system import AuditEvent, AuditHead, MailboxState, Problem, User, UserRole

__all__ = [
    "Access",
    "ApiKey",
    "AnswerTag",
    "Attachment",
    "Campaign",
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
