"""The secretariat's controls on a request: pause, resume, snooze, waive, close.

Each control is a POST form (CSRF-checked), writes an audit event with the
officer's email as actor, and asks the planner to look at the request again
at its next pass.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import audit
from ..db import get_session
from ..model import Problem, Request, RequestStatus, utcnow
from ..requests import set_status
from .blueprint import bp
from .deskforms import REQUIRED
from .plan_text import explain_plan, step_label

OPEN = RequestStatus.OPEN.value

AREAS = {
    "policy": _l("policy"),
    "contact": _l("contact"),
    "request": _l("request"),
    "state": _l("State"),
    "mailbox": _l("mailbox"),
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
    req.next_action_at = utcnow()
    get_session().commit()
    flash(message, "info")
    return _back(req)


def _checked(form: FlaskForm) -> str | None:
    """None when the form is valid, else the first error to show."""
    if form.validate_on_submit():
        return None
    errors = [str(e) for field in form for e in field.errors] or [_("The form could not be read; please try again.")]
    return errors[0]


@bp.post("/requests/<int:request_id>/pause")
def request_pause(request_id: int):
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    if req.status != OPEN:
        return _refused(req, _("Only an open request can be paused."))
    if req.paused:
        return _refused(req, _("This request is already paused."))
    req.paused = True
    audit.record(get_session(), "request.paused", req, actor=current_user.email)
    return _done(req, _("Request %(tag)s paused: no reminder is sent until it is resumed.", tag=req.tag))


@bp.post("/requests/<int:request_id>/resume")
def request_resume(request_id: int):
    req = _load(request_id)
    error = _checked(FlaskForm())
    if error:
        return _refused(req, error)
    if req.status != OPEN:
        return _refused(req, _("Only an open request can be resumed."))
    if not req.paused and req.snoozed_until is None:
        return _refused(req, _("This request is neither paused nor snoozed."))
    was = {"paused": req.paused, "snoozed_until": req.snoozed_until.isoformat() if req.snoozed_until else None}
    req.paused = False
    req.snoozed_until = None
    audit.record(get_session(), "request.resumed", req, actor=current_user.email, **was)
    return _done(req, _("Request %(tag)s resumed.", tag=req.tag))


@bp.post("/requests/<int:request_id>/snooze")
def request_snooze(request_id: int):
    req = _load(request_id)
    form = SnoozeForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    if req.status != OPEN:
        return _refused(req, _("Only an open request can be snoozed."))
    until: date = form.until.data
    if until <= date.today():
        return _refused(req, _("Choose a date after today."))
    previous = req.snoozed_until
    req.snoozed_until = until
    audit.record(
        get_session(), "request.snoozed", req, actor=current_user.email,
        until=until.isoformat(), previous=previous.isoformat() if previous else None,
    )
    return _done(req, _("Request %(tag)s snoozed until %(date)s.", tag=req.tag, date=format_date(until, "long")))


@bp.post("/requests/<int:request_id>/due")
def request_due(request_id: int):
    """Move the deadline; the planner recomputes the ladder's dates from it at its next pass."""
    req = _load(request_id)
    form = DueDateForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    if req.status != OPEN:
        return _refused(req, _("Only an open request can be given a new deadline."))
    previous, req.due_date = req.due_date, form.due.data
    audit.record(get_session(), "request.due_changed", req, actor=current_user.email,
                 due=req.due_date.isoformat(), previous=previous.isoformat())
    return _done(req, _("The deadline of %(tag)s is now %(date)s.", tag=req.tag, date=format_date(req.due_date, "long")))


@bp.post("/requests/<int:request_id>/waive")
def request_waive(request_id: int):
    req = _load(request_id)
    form = ReasonForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    if req.status != OPEN:
        return _refused(req, _("Only an open request can be waived."))
    set_status(get_session(), req, RequestStatus.WAIVED, actor=current_user.email, reason=form.reason.data or "")
    return _done(req, _("Request %(tag)s waived: no further reminder is sent.", tag=req.tag))


@bp.post("/requests/<int:request_id>/close")
def request_close(request_id: int):
    req = _load(request_id)
    form = ReasonForm()
    error = _checked(form)
    if error:
        return _refused(req, error)
    if req.status not in (OPEN, RequestStatus.ANSWERED.value):
        return _refused(req, _("This request is already closed or waived."))
    set_status(get_session(), req, RequestStatus.CLOSED, actor=current_user.email, reason=form.reason.data or "")
    return _done(req, _("Request %(tag)s closed.", tag=req.tag))


@bp.app_template_global()
def plan_explanation(req: Request) -> list[str]:
    return explain_plan(req.plan_note)


@bp.app_template_global()
def plan_step_label(name: str | None) -> str:
    return step_label(name)


@bp.app_template_global()
def open_problems(limit: int = 100) -> list[Problem]:
    query = select(Problem).where(Problem.resolved_at.is_(None)).order_by(Problem.last_seen.desc()).limit(limit)
    return list(get_session().scalars(query))


@bp.app_template_global()
def problem_area(code: str) -> str:
    return str(AREAS.get(code, code))
