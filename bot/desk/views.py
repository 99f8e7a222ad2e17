"""Log-in, the dashboard and the States."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from .. import audit
from ..auth import authenticate, normalise_email
from ..db import get_session
from ..model import AuditEvent, State, utcnow
from ..requests import message_counts
from . import queries
from .blueprint import bp
from .deskforms import LoginForm
from .labels import ACCESS, FINDINGS, KINDS, ROLES, STATUSES, label, match_label


@bp.app_template_global()
def code_label(kind: str, code: str | None) -> str:
    if kind == "match":
        return match_label(code)
    tables = {
        "role": ROLES,
        "kind": KINDS,
        "status": STATUSES,
        "access": ACCESS,
        "finding": FINDINGS,
    }
    return label(tables[kind], code)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("desk.home")


MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def _too_many_failures(session, email: str) -> bool:
    """Five failed log-ins to one account within 15 minutes close it to further tries for a
    while."""
    since = utcnow() - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "user.login_failed",
            AuditEvent.subject_id == email,
            AuditEvent.at >= since,
        )
    )
    return failures >= MAX_FAILURES


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        email = normalise_email(form.email.data or "")[:320]
        if _too_many_failures(session, email):
            audit.record(
                session,
                "user.login_refused",
                actor="anonymous",
                subject_type="user",
                subject_id=email,
            )
            session.commit()
            flash(
                _("Too many failed attempts for this account. Please try again in 15 minutes."),
                "error",
            )
            return render_template("desk/login.html", form=form), 429
        user = authenticate(session, form.email.data or "", form.password.data or "")
        if user is None:
            audit.record(
                session,
                "user.login_failed",
                actor="anonymous",
                subject_type="user",
                subject_id=email,
                email=email,
            )
            session.commit()
            flash(_("The email or password is not correct."), "error")
            return render_template("desk/login.html", form=form), 200
        audit.record(session, "user.login", user, actor=user.email, email=user.email)
        session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")), 303)
    return render_template("desk/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("desk.login"), 303)


@bp.get("/")
def home():
    session = get_session()
    today = date.today()
    open_requests = queries.dashboard_requests(session, today)
    return render_template(
        "desk/home.html",
        counts=queries.counts(session, today),
        requests=open_requests,
        messages=message_counts(session, [r.id for r in open_requests]),
        today=today,
    )


@bp.get("/states")
def states():
    lang = str(get_locale())
    rows = queries.states_with_contact_counts(get_session())
    rows.sort(key=lambda row: row[0].name(lang).casefold())
    return render_template("desk/states.html", rows=rows, lang=lang)


@bp.get("/states/<code>")
def state_detail(code: str):
    state = get_session().get(State, code.upper())
    if state is None:
        abort(404)
    return render_template("desk/state.html", state=state, lang=str(get_locale()))
