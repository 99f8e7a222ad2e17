"""Triage: the messages the bot could not place, and emailed answers awaiting review."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..db import get_session
from ..inbound import submit, triage
from ..inbound.answers import current_entry
from ..model import Contact, Direction, Message, Request, Submission
from .blueprint import bp

LIMIT = 200
FIELD_LABELS = {
    "name": _l("Name"),
    "title": _l("Title"),
    "organisation": _l("Organisation"),
    "emails": _l("Email"),
    "phone": _l("Phone"),
    "fax": _l("Fax"),
    "address": _l("Address"),
}


@bp.get("/triage")
def triage_list():
    session = get_session()
    rows = session.scalars(
        select(Message)
        .where(Message.direction == Direction.IN.value, Message.delivery.in_(triage.WAITING))
        .order_by(Message.id.desc())
        .limit(LIMIT)
    ).all()
    pending = session.scalars(
        select(Submission)
        .where(Submission.source == "email", Submission.review == "pending")
        .order_by(Submission.id)
        .limit(LIMIT)
    ).all()
    contacts = {
        s.id: session.get(Contact, s.data["contact"])
        for s in pending
        if isinstance(s.data.get("contact"), int)
    }
    return render_template(
        "desk/triage.html",
        rows=[(row, triage.suggestions(session, row)) for row in rows],
        pending=pending,
        contacts=contacts,
        entries={sid: current_entry(c) for sid, c in contacts.items() if c is not None},
        field_labels=FIELD_LABELS,
    )


def _back():
    return redirect(url_for("desk.triage_list"), 303)


@bp.post("/triage/<int:message_id>/file")
def triage_file(message_id: int):
    session = get_session()
    try:
        row = triage.waiting(session, message_id)
    except triage.TriageError:
        abort(404)
    number = triage.request_number(request.form.get("request", ""))
    target = session.get(Request, number) if number is not None else None
    if target is None:
        flash(
            _("No request has the reference %(ref)s.", ref=request.form.get("request", "")[:40]),
            "error",
        )
        return _back()
    settings = current_app.config["FOCALBOT"]
    submission = triage.file_message(session, settings, row, target, actor=current_user.email)
    session.commit()
    if submission is not None:
        flash(
            _("The message was filed under %(tag)s and recorded as its answer.", tag=target.tag),
            "info",
        )
    else:
        flash(_("The message was filed under %(tag)s.", tag=target.tag), "info")
    return _back()


@bp.post("/triage/<int:message_id>/dismiss")
def triage_dismiss(message_id: int):
    session = get_session()
    try:
        row = triage.waiting(session, message_id)
    except triage.TriageError:
        abort(404)
    triage.dismiss(session, row, actor=current_user.email)
    session.commit()
    flash(_("The message was set aside."), "info")
    return _back()


@bp.post("/submissions/<int:submission_id>/review")
def submission_review(submission_id: int):
    session = get_session()
    found = session.get(Submission, submission_id)
    decision = request.form.get("decision")
    if found is None or decision not in ("accept", "reject"):
        abort(404)
    try:
        submit.review(session, found, decision == "accept", actor=current_user.email)
    except ValueError:
        flash(_("This answer has already been reviewed."), "error")
        return _back()
    session.commit()
    if decision == "accept":
        flash(_("The answer was accepted and the directory entry updated."), "info")
    else:
        flash(_("The answer was rejected; the directory entry is unchanged."), "info")
    return _back()
