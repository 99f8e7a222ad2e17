"""Log-in sessions in Flask's signed cookie, made endable: each holds the user's
``session_version`` at log-in, and the user loader refuses a cookie whose version the user has
since raised (log-out, a new password, a new role, removal). A session also ends after
``IDLE`` without a request and ``PERMANENT_SESSION_LIFETIME`` after log-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, session
from flask_login import current_user, login_user, logout_user

from .model import User, utcnow

IDLE = timedelta(hours=1)
VERSION, SINCE, SEEN = "_sv", "_since", "_seen"


def start(user: User) -> None:
    """A fresh session for ``user``: the old cookie's content (and so its identifier) goes."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = utcnow().isoformat()
    session[VERSION] = user.session_version or 0
    session[SINCE] = now
    session[SEEN] = now


def current(user: User | None) -> User | None:
    """``user`` if this session is still one of theirs, else None."""
    if user is None or not user.active or session.get(VERSION) != (user.session_version or 0):
        return None
    return user


def _stamp(key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(session[key])
    except (KeyError, TypeError, ValueError):
        return None


def expire_idle() -> None:
    """End the session when it has been idle too long or is older than its lifetime."""
    if not current_user.is_authenticated:
        return
    now = utcnow()
    since, seen = _stamp(SINCE), _stamp(SEEN)
    lifetime = current_app.permanent_session_lifetime
    if since is None or seen is None or now - seen > IDLE or now - since > lifetime:
        logout_user()
        session.clear()
        return
    if now - seen > timedelta(minutes=1):  # the cookie is rewritten at most once a minute
        session[SEEN] = now.isoformat()


def me(db_session) -> User:
    """The logged-in user's row (the access rules let no one else this far)."""
    user = db_session.get(User, current_user.id)
    assert user is not None
    return user


def end() -> None:
    """Log out here; the caller raises the user's version (``auth.end_sessions``) to end the
    user's other sessions too."""
    logout_user()
    session.clear()
