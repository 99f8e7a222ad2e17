"""Who may see which contacts through the API: one rule, in one place.

Only secretariat staff use the API (a directory user's key is refused with 403), and they
may see restricted contacts as well as public ones. ``sees_restricted`` is where a user who
may see only public contacts answers False; the API's contact queries all filter through
``contact_visibility``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from ..model import Access, Contact, User


def sees_restricted(user: User) -> bool:
    """Whether ``user`` may see contacts whose access level is restricted."""
    return user.active and user.is_secretariat


def contact_visibility(user: User) -> ColumnElement[bool]:
    """The SQL condition on ``Contact`` for the contacts ``user`` may see."""
    if sees_restricted(user):
        return true()
    return Contact.access == Access.PUBLIC.value
