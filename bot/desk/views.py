"""Log-in, the dashboard and the States."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..auth import log_in
from ..db import get_session
from ..directory.changes import history
from ..model import State
from ..requests import message_counts
from ..urls import local_target
from . import queries
from .blueprint import bp
from .deskforms import LoginForm
from .labels import ACCESS, CHANGE_SOURCES, KINDS, ROLES, STATUSES, label, match_label


@bp.app_template_global()
def change_source(code: str) -> str:
    return label(CHANGE_SOURCES, code)


@bp.app_template_global()
def code_label(kind: str, code: str | None) -> str:
    if kind == "match":
        return match_label(code)
    tables = {"role": ROLES, "kind": KINDS, "status": STATUSES, "access": ACCESS}
    return label(tables[kind], code)


def _safe_next(target: str | None) -> str:
    return local_target(target, url_for("desk.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user, outcome = log_in(session, form.email.data or "", form.password.data or "")
        session.commit()
        if outcome == "locked":
            flash(
                _("Too many failed attempts for this account. Please try again in 15 minutes."),
                "error",
            )
            return render_template("desk/login.html", form=form), 429
        if user is None:
            flash(_("The email or password is not correct."), "error")
            return render_template("desk/login.html", form=form), 200
        if not user.is_secretariat:
            abort(403)
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
    return render_template(
        "desk/state.html",
        state=state,
        lang=str(get_locale()),
        history=history(get_session(), [c.id for c in state.contacts]),
    )
