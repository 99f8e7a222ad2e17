"""Who may use each route: ``ACCESS`` maps every endpoint to the least role it needs, for
all its methods or per method, and ``check`` enforces it before every request. An endpoint
missing from the table is refused (and tests/desk/test_access.py names it). The read API's
routes are let through to its own API-key check.

Roles rank viewer < officer < admin; a directory user has no rank on the desk. A viewer
reads the desk and may only log in and out there: every other POST needs an officer.
"""

from __future__ import annotations

import logging

from flask import abort, request
from flask_login import current_user

from .model import UserRole

log = logging.getLogger(__name__)

PUBLIC = "public"
API_KEY = "api_key"  # /api/v1: its blueprint checks the caller's API key itself
VIEWER, OFFICER, ADMIN = UserRole.VIEWER.value, UserRole.OFFICER.value, UserRole.ADMIN.value
RANK = {VIEWER: 1, OFFICER: 2, ADMIN: 3}

ACCESS: dict[str, str | dict[str, str]] = {
    # anyone: the forms behind their links, the online directory, the language switch
    "index": PUBLIC,
    "health.healthz": PUBLIC,  # for load balancers and orchestrators: no secret in either
    "health.readyz": PUBLIC,
    "set_language": PUBLIC,
    "static": PUBLIC,
    "forms.answer": PUBLIC,
    "forms.done": PUBLIC,
    "forms.review": PUBLIC,
    "forms.submit": PUBLIC,
    "form_links.renew": PUBLIC,
    "form_links.successor": PUBLIC,
    "directory.index": PUBLIC,
    "directory.state_page": PUBLIC,
    "directory.as_json": PUBLIC,
    "directory.as_csv": PUBLIC,
    "directory.login": PUBLIC,
    "directory.logout": PUBLIC,
    # the desk's doors
    "desk.login": PUBLIC,
    "desk.login_code": PUBLIC,  # the second factor, after a right password
    "desk.logout": VIEWER,
    # reading the desk
    "desk.home": VIEWER,
    "desk.states": VIEWER,
    "desk.state_detail": VIEWER,
    "desk.requests_list": VIEWER,
    "desk.request_detail": VIEWER,
    "desk.mail": VIEWER,
    "desk.message_raw": VIEWER,
    "desk.attachment": VIEWER,  # a file kept from a message, as a download
    "desk.triage_list": VIEWER,
    "desk.successors": VIEWER,
    "desk.audit_log": VIEWER,
    "desk.audit_export": VIEWER,
    "desk.search": VIEWER,
    "desk.campaigns": VIEWER,
    "desk.campaign_detail": VIEWER,
    "desk.report_page": VIEWER,
    "desk.report_export": VIEWER,
    # acting on requests and mail
    "desk.request_new": OFFICER,
    "desk.request_close": OFFICER,
    "desk.request_due": OFFICER,
    "desk.request_pause": OFFICER,
    "desk.request_resume": OFFICER,
    "desk.request_snooze": OFFICER,
    "desk.request_waive": OFFICER,
    "desk.request_reopen": OFFICER,
    "desk.request_escalate": OFFICER,
    "desk.request_resend": OFFICER,
    "desk.request_tags": {"GET": VIEWER, "POST": OFFICER},
    "desk.campaign_new": OFFICER,
    "desk.simulated_reply": OFFICER,
    "desk.submission_review": OFFICER,
    "desk.successor_approve": OFFICER,
    "desk.successor_reject": OFFICER,
    "desk.triage_dismiss": OFFICER,
    "desk.triage_file": OFFICER,
    "desk.link_revoke": OFFICER,
    # users and settings
    "desk.users": ADMIN,
    "desk.user_invite": ADMIN,
    "desk.user_role": ADMIN,
    "desk.user_remove": ADMIN,
    "desk.user_totp_reset": ADMIN,
    "desk.second_factor": ADMIN,
    "desk.directory_admin": ADMIN,
    "desk.directory_user_invite": ADMIN,
    "desk.directory_user_remove": ADMIN,
    "desk.directory_resource_add": ADMIN,
    "desk.directory_resource_remove": ADMIN,
    # the read API: an API key, no desk session
    "api.openapi": PUBLIC,
    **{
        f"api.{name}": API_KEY
        for name in (
            "index",
            "states",
            "state",
            "contacts",
            "contact",
            "requests",
            "request",
            "messages",
            "message",
            "campaigns_list",
            "campaign",
            "refuse",  # any other method: 405 or 404, changing nothing
        )
    },
}


def required(endpoint: str | None, method: str) -> str | None:
    """The least role ``method`` on ``endpoint`` needs, PUBLIC, or None when there is no
    rule. HEAD and OPTIONS are asked as GET, or as POST on a route without GET."""
    rule = ACCESS.get(endpoint or "")
    if isinstance(rule, dict):
        if method in ("HEAD", "OPTIONS"):
            method = "GET" if "GET" in rule else "POST"
        return rule.get(method)
    return rule


def allows(role: str | None, level: str) -> bool:
    return level in (PUBLIC, API_KEY) or RANK.get(role or "", 0) >= RANK[level]


def check():
    """Before every request: refuse what the table does not allow (403, logged); send an
    anonymous visitor of the desk to its log-in page."""
    if request.endpoint is None:  # no such route: 404 or 405 follows
        return None
    level = required(request.endpoint, request.method)
    if level in (PUBLIC, API_KEY):
        return None
    if level is not None and not current_user.is_authenticated:
        if request.blueprint == "desk":
            from .desk import login_manager

            return login_manager.unauthorized()
        abort(401)
    role = current_user.role if current_user.is_authenticated else None
    if level is None or not allows(role, level):
        log.warning(
            "access refused: %s %s (%s) for %s (%s)",
            request.method,
            request.path,
            request.endpoint,
            current_user.email if current_user.is_authenticated else "anonymous",
            role or "no role",
        )
        abort(403)
    return None
