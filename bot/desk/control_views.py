"""The secretariat's controls on a request: pause, resume, snooze, deadline, waive, close.

Each control is a POST form (CSRF-checked) that calls one transition of
``bot.requests`` with the officer's email as actor; the transition writes the
audit event and cancels the letters that no longer apply.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import requests
from ..db import get_session
from ..fresh_link import resend
from ..model import Problem, Request
from ..requests import RequestError
from .blueprint import bp
from .deskforms import REQUIRED
from .plan_text import explain_plan, step_label

REFUSALS = {
    "already_paused": _l("This request is already paused."),
    "not_held": _l("This request is neither paused nor snoozed."),
    "already_closed": _l("This request is already closed or waived."),
    "not_closed": _l("This request is already open."),
    "bad_date": _l("Choose a date after today."),
}

AREAS = {
    "policy": _l("policy"),
    "contact": _l("contact"),
    "request": _l("request"),
    "state": _l("State"),
    "mailbox": _l("mailbox"),
    "sending": _l("outgoing mail"),
}


class SnoozeForm(FlaskForm):
    until = DateField(_l("Snooze until"), validators=[DataRequired(REQUIRED)])


class DueDateForm(FlaskForm):
    due = DateField(_l("New deadline"), validators=[DataRequired(REQUIRED)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


def _load(request_id: int) -> Request:
    from .request_views import load_request

    return load_request(request_id)


def _back(req: Request):
    return redirect(url_for("desk.request_detail", request_id=req.id), 303)


def _refused(req: Request, message: str):
    flash(message, "error")
    return _back(req)


def _done(req: Request, message: str):
    get_session().commit()
    flash(message, "info")
    return _back(req)


def _checked(form: FlaskForm) -> str | None:
    """None when the form is valid, else the first error to show."""
    if form.validate_on_submit():
        return None
    errors = [str(e) for field in form for e in field.errors] or [
        _("The form could not be read; please try again.")
    ]
    return errors[0]


def _act(req: Request, change, message: str, not_open: str = ""):
    """Run one transition of ``bot.requests``; a refusal is shown in the officer's words."""
    try:
        change()
    except RequestError as exc:
        get_session().rollback()
        words = not_open if exc.code == "not_open" and not_open else REFUSALS.get(exc.code, exc)
        return _refused(req, str(words))
    return _done(req, message)


@bp.post("/requests/<int:request_id>/pause")
def request_pause(request_id: int):
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    return _act(
        req,
        lambda: requests.pause(get_session(), req, actor=current_user.email),
        _("Request %(tag)s paused: no reminder is sent until it is resumed.", tag=req.tag),
        _("Only an open request can be paused."),
    )


@bp.post("/requests/<int:request_id>/resume")
def request_resume(request_id: int):
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    return _act(
        req,
        lambda: requests.resume(get_session(), req, actor=current_user.email),
        _("Request %(tag)s resumed.", tag=req.tag),
        _("Only an open request can be resumed."),
    )


@bp.post("/requests/<int:request_id>/snooze")
def request_snooze(request_id: int):
    req = _load(request_id)
    form = SnoozeForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    until = form.until.data
    assert until is not None  # the form requires it
    return _act(
        req,
        lambda: requests.snooze(get_session(), req, until, actor=current_user.email),
        _("Request %(tag)s snoozed until %(date)s.", tag=req.tag, date=format_date(until, "long")),
        _("Only an open request can be snoozed."),
    )


@bp.post("/requests/<int:request_id>/due")
def request_due(request_id: int):
    """Move the deadline; the planner recomputes the ladder's dates from it at its next pass."""
    req = _load(request_id)
    form = DueDateForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    due = form.due.data
    assert due is not None  # the form requires it
    return _act(
        req,
        lambda: requests.change_due(get_session(), req, due, actor=current_user.email),
        _("The deadline of %(tag)s is now %(date)s.", tag=req.tag, date=format_date(due, "long")),
        _("Only an open request can be given a new deadline."),
    )


def _with_reason(request_id: int, change, message: str, not_open: str = ""):
    """A transition that takes the officer's reason (waive, close, reopen)."""
    req = _load(request_id)
    form = ReasonForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    reason = form.reason.data or ""
    return _act(
        req,
        lambda: change(get_session(), req, actor=current_user.email, reason=reason),
        message % {"tag": req.tag},
        not_open,
    )


@bp.post("/requests/<int:request_id>/waive")
def request_waive(request_id: int):
    return _with_reason(
        request_id,
        requests.waive,
        _("Request %(tag)s waived: no further reminder is sent."),
        _("Only an open request can be waived."),
    )


@bp.post("/requests/<int:request_id>/close")
def request_close(request_id: int):
    return _with_reason(request_id, requests.close, _("Request %(tag)s closed."))


@bp.post("/requests/<int:request_id>/reopen")
def request_reopen(request_id: int):
    return _with_reason(request_id, requests.reopen, _("Request %(tag)s is open again."))


@bp.app_template_global()
def plan_explanation(req: Request) -> list[str]:
    return explain_plan(req.plan_note)


@bp.app_template_global()
def plan_step_label(name: str | None) -> str:
    return step_label(name)


@bp.app_template_global()
def open_problems(limit: int = 100) -> list[Problem]:
    query = (
        select(Problem)
        .where(Problem.resolved_at.is_(None))
        .order_by(Problem.last_seen.desc())
        .limit(limit)
    )
    return list(get_session().scalars(query))


@bp.app_template_global()
def problem_area(code: str) -> str:
    return str(AREAS.get(code, code))


@bp.post("/requests/<int:request_id>/resend")
def request_resend(request_id: int):
    """Send the addressee on file a letter with a fresh link to the form."""
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    if req.status != "open":
        return _refused(req, _("Only an open request can be sent again."))
    settings = current_app.config["FOCALBOT"]
    outcome, contact = resend(get_session(), settings, req, actor=current_user.email)
    if outcome == "nobody" or contact is None:
        get_session().rollback()
        return _refused(req, _("There is no one with an email address to write to."))
    if outcome == "already":
        get_session().commit()
        return _refused(req, _("A letter with a fresh link already went out today."))
    return _done(req, _("A letter with a fresh link is queued for %(name)s.", name=contact.name))


@bp.post("/requests/<int:request_id>/escalate")
def request_escalate(request_id: int):
    """Escalate now: the next planning pass sends the ladder's escalation to the mission."""
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    if req.status != "open" or req.escalated_at is not None:
        return _refused(req, _("Only an open request that is not escalated can be escalated."))
    return _act(
        req,
        lambda: requests.escalate(get_session(), req, actor=current_user.email, step="desk"),
        _("Request %(tag)s escalated.", tag=req.tag),
    )
