"""Requests: the list, one request's correspondence, a new request, raw messages."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import links, successor
from ..db import get_session
from ..model import Instrument, Message, Request, RequestStatus, State
from ..requests import RequestError, correspondence, message_counts, open_request
from ..tokens import reply_address
from . import queries
from .blueprint import bp
from .deskforms import NewRequestForm, choice
from .labels import KINDS, STATUSES


@bp.get("/requests")
def requests_list():
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    overdue = request.args.get("overdue") == "1"
    status = status if status in STATUSES else ""
    kind = kind if kind in KINDS else ""
    session = get_session()
    today = date.today()
    found = queries.find_requests(session, today, status=status, kind=kind, overdue=overdue)
    return render_template(
        "desk/requests.html",
        requests=found,
        messages=message_counts(session, [r.id for r in found]),
        filters={"status": status, "kind": kind, "overdue": overdue},
        statuses=STATUSES,
        kinds=KINDS,
        today=today,
        lang=str(get_locale()),
    )


def load_request(request_id: int) -> Request:
    found = get_session().get(Request, request_id)
    if found is None:
        abort(404)
    return found


@bp.get("/requests/<int:request_id>")
def request_detail(request_id: int):
    req = load_request(request_id)
    settings = current_app.config["FOCALBOT"]
    return render_template(
        "desk/request.html",
        req=req,
        correspondence=correspondence(get_session(), req.id),
        reply_to=reply_address(req.token, settings.reply_address),
        form_links=links.of_request(get_session(), req.id),
        successors=[
            p for p in successor.pending(get_session(), req.state_code)
            if p.request_id == req.id or p.contact_id == req.contact_id
        ],
        local_mode=settings.imap is None,
        overdue=req.status == RequestStatus.OPEN.value and req.due_date < date.today(),
        lang=str(get_locale()),
    )


@bp.get("/messages/<int:message_id>/raw")
def message_raw(message_id: int):
    message = get_session().get(Message, message_id)
    if message is None:
        abort(404)
    resp = Response(message.raw.decode("utf-8", errors="replace"), mimetype="text/plain")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="message-{message.id}.txt"'
    return resp


def _request_form_choices(form: NewRequestForm) -> None:
    session = get_session()
    lang = str(get_locale())
    states = sorted(session.scalars(select(State)), key=lambda s: s.name(lang).casefold())
    form.state.choices = [choice("", "—")] + [choice(s.code, s.name(lang)) for s in states]
    instruments = session.scalars(select(Instrument).order_by(Instrument.position, Instrument.code))
    form.instrument.choices = [choice("", "—")] + [
        choice(i.code, i.name(lang)) for i in instruments
    ]


@bp.route("/requests/new", methods=["GET", "POST"])
def request_new():
    form = NewRequestForm()
    _request_form_choices(form)
    if form.validate_on_submit():
        session = get_session()
        state = session.get(State, form.state.data)
        assert state is not None and form.due_date.data is not None  # the form checked them
        try:
            req = open_request(
                session, state, form.kind.data, form.due_date.data,
                instrument_code=form.instrument.data or None,
                cycle=form.cycle.data or "", subject=form.subject.data or "",
                officer_id=current_user.id, actor=current_user.email,
            )
        except RequestError as exc:
            session.rollback()
            flash(str(exc), "error")
            return render_template("desk/request_new.html", form=form)
        session.commit()
        flash(_("Request %(tag)s opened.", tag=req.tag), "info")
        return redirect(url_for("desk.request_detail", request_id=req.id), 303)
    return render_template("desk/request_new.html", form=form)
