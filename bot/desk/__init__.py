"""The secretariat's desk: log-in, the dashboard, States, requests and the audit log."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from .. import access, sessions
from ..db import get_session
from ..i18n import normalise_language
from ..model import User
from . import (  # noqa: F401  (routes)
    audit_views,
    campaign_views,
    control_views,
    directory_views,
    link_views,
    mail_views,
    reply_views,
    report_views,
    request_views,
    triage_views,
    user_views,
    views,
)
from .blueprint import bp
from .errors import init_errors

login_manager = LoginManager()
login_manager.login_view = "desk.login"
login_manager.login_message = _l("Please log in to use the desk.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return sessions.current(user)  # a removed user, or a session since ended, is logged out


def _language():
    """A logged-in user's desk pages, and refusals, in the language they chose."""
    if request.blueprint != "desk" or not current_user.is_authenticated:
        return None
    if "language" not in g:
        chosen = normalise_language(request.args.get("lang")) or normalise_language(
            request.cookies.get("lang")
        )
        g.language = chosen or normalise_language(current_user.language) or "en"
    return None


def _can_act() -> bool:
    """Whether the page shows the controls that change requests and mail (not to a viewer)."""
    return bool(current_user.is_authenticated and current_user.can_act)


def _page_language() -> dict:
    return {"page_language": lambda: str(get_locale() or "en")}


def init_desk(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(sessions.expire_idle)
    app.before_request(_language)
    app.before_request(access.check)
    app.context_processor(_page_language)
    app.jinja_env.globals["can_act"] = _can_act
    app.register_blueprint(bp)
    init_errors(app)
