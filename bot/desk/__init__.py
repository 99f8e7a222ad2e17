"""The secretariat's desk: log-in, the dashboard, States, requests and the audit log."""

from __future__ import annotations

from flask import Flask, abort, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from ..db import get_session
from ..i18n import normalise_language
from ..model import User, UserRole
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
    views,
)
from .blueprint import bp
from .errors import init_errors

login_manager = LoginManager()
login_manager.login_view = "desk.login"
login_manager.login_message = _l("Please log in to use the desk.")
login_manager.session_protection = "strong"

PUBLIC_ENDPOINTS = {"desk.login"}


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None  # a removed user is logged out


@bp.before_request
def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_secretariat:  # an authorised user of the directory
        abort(403)
    if current_user.role == UserRole.VIEWER.value and request.method == "POST":
        if request.endpoint != "desk.logout":  # a viewer reads the desk and changes nothing
            abort(403)
    if "language" not in g:
        chosen = normalise_language(request.args.get("lang")) or normalise_language(
            request.cookies.get("lang")
        )
        g.language = chosen or normalise_language(current_user.language) or "en"
    return None


def _page_language() -> dict:
    return {"page_language": lambda: str(get_locale() or "en")}


def init_desk(app: Flask) -> None:
    login_manager.init_app(app)
    app.context_processor(_page_language)
    app.register_blueprint(bp)
    init_errors(app)
