"""Log-in, the dashboard and the States."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, sessions
from ..auth import check_code, end_sessions, log_in
from ..db import get_session
from ..directory.changes import history
from ..model import Contact, Request, State, User, utcnow
from ..requests import message_counts
from ..urls import local_target
from . import mailparts, queries
from .blueprint import bp
from .deskforms import CodeForm, LoginForm
from .labels import (
    ACCESS,
    CHANGE_SOURCES,
    FINDINGS,
    GROUPS,
    KINDS,
    ROLES,
    STATUSES,
    USER_ROLES,
    label,
    match_label,
)


@bp.app_template_global()
def change_source(code: str) -> str:
    return label(CHANGE_SOURCES, code)


@bp.app_template_global()
def code_label(kind: str, code: str | None) -> str:
    if kind == "match":
        return match_label(code)
    tables = {
        "role": ROLES,
        "user_role": USER_ROLES,
        "kind": KINDS,
        "status": STATUSES,
        "access": ACCESS,
        "group": GROUPS,
        "finding": FINDINGS,
    }
    return label(tables[kind], code)


def _safe_next(target: str | None) -> str:
    return local_target(target, url_for("desk.home"))


LOCKED = _l("Too many failed attempts. Please try again in a few minutes.")
PENDING, PENDING_AT, PENDING_NEXT = "_2fa_user", "_2fa_at", "_2fa_next"
CODE_TIME = timedelta(minutes=5)  # between the right password and the code


def second_factor(user: User, target: str):
    """After an administrator's right password: a new session holding only who is logging in,
    until the code from their authenticator app."""
    cookie.clear()
    cookie[PENDING], cookie[PENDING_AT], cookie[PENDING_NEXT] = (
        user.id,
        utcnow().isoformat(),
        target,
    )
    return redirect(url_for("desk.login_code"), 303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user, outcome = log_in(
            session, form.email.data or "", form.password.data or "", request.remote_addr
        )
        session.commit()
        if outcome == "locked":
            flash(str(LOCKED), "error")
            return render_template("desk/login.html", form=form), 429
        if user is None:
            flash(_("The email or password is not correct."), "error")
            return render_template("desk/login.html", form=form), 200
        if not user.is_secretariat:
            abort(403)
        if outcome == "code":
            return second_factor(user, _safe_next(request.args.get("next")))
        sessions.start(user)
        return redirect(_safe_next(request.args.get("next")), 303)
    return render_template("desk/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    session = get_session()
    try:
        started = datetime.fromisoformat(cookie.get(PENDING_AT, ""))
        user = session.get(User, int(cookie.get(PENDING, 0)))
    except (TypeError, ValueError):
        user = None
    if user is None or utcnow() - started > CODE_TIME:
        if PENDING in cookie:  # a log-in begun and left: nothing of it stays
            cookie.clear()
        return redirect(url_for("desk.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        outcome = check_code(session, user, form.code.data or "", request.remote_addr)
        session.commit()
        if outcome == "ok":
            target = cookie.get(PENDING_NEXT) or url_for("desk.home")
            sessions.start(user)
            return redirect(_safe_next(target), 303)
        if outcome == "locked":
            flash(str(LOCKED), "error")
            return render_template("desk/login.html", form=form), 429
        flash(_("The code is not correct."), "error")
    return render_template("desk/login.html", form=form)


@bp.post("/logout")
def logout():
    session = get_session()
    user = sessions.me(session)
    end_sessions(user)  # and every other session of this user
    audit.record(session, "user.logout", user, actor=user.email)
    session.commit()
    sessions.end()
    return redirect(url_for("desk.login"), 303)


@bp.get("/")
def home():
    session = get_session()
    today = date.today()
    return render_template(
        "desk/home.html",
        counts=queries.counts(session, today),
        queues=queries.queues(session, today),
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
    session = get_session()
    state = session.get(State, code.upper())
    if state is None:
        abort(404)
    today = date.today()
    filters = queries.Filters(state=state.code)
    open_page = queries.find_requests(
        session, today, queries.Filters(state=state.code, status="open"),
        queries.page_number(request.args.get("open")),
    )
    past = queries.paged(
        session,
        queries.request_query(today, filters).where(Request.status != "open"),
        queries.page_number(request.args.get("past")),
        queries.PER_PAGE,
    )
    timeline = queries.state_messages(
        session, state.code, queries.page_number(request.args.get("page"))
    )
    ids = [r.id for r in [*open_page.items, *past.items]]
    return render_template(
        "desk/state.html",
        state=state,
        contacts=session.scalars(
            select(Contact).where(Contact.state_code == state.code).order_by(Contact.id)
        ).all(),
        open_page=open_page,
        past=past,
        messages=message_counts(session, ids),
        timeline=timeline,
        about=queries.message_requests(session, [m.id for m in timeline.items]),
        today=today,
        lang=str(get_locale()),
        history=history(session, [c.id for c in state.contacts]),
    )


@bp.get("/search")
def search():
    text = (request.args.get("q") or "").strip()
    found = None
    if text:
        session = get_session()
        found = queries.search(session, text, queries.page_number(request.args.get("page")))
        about = queries.message_requests(session, [m.id for m in found.messages.items])
    else:
        about = {}
    return render_template(
        "desk/search.html", text=text, found=found, about=about, lang=str(get_locale())
    )


@bp.app_template_global()
def mail_parts(message) -> mailparts.Parts:
    return mailparts.read(message.raw or b"")


@bp.app_template_filter("utc")
def utc_time(value) -> str:
    """A moment as the desk shows every moment: in UTC, labelled."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC"


@bp.app_template_global()
def page_link(arg: str, number: int) -> str:
    """This page's address with ``arg`` set to another page number."""
    args = request.args.to_dict()
    args[arg] = str(number)
    return "?" + urlencode(args)
