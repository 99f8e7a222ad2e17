"""Requests: the list, one request's correspondence, a new request, raw messages and the
files that came with them."""

from __future__ import annotations

from datetime import date

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import links, successor
from ..db import get_session
from ..inbound.store import path_for
from ..model import (
    Attachment,
    Contact,
    Instrument,
    Message,
    OutboxItem,
    Request,
    RequestStatus,
    State,
    User,
)
from ..outbound.choose import ladder_kind
from ..policy.ladder import cached_policy
from ..policy.plan import dated_steps
from ..requests import RequestError, correspondence, message_counts, open_request
from ..tokens import reply_address
from . import answers, queries
from .blueprint import bp
from .deskforms import NewRequestForm, choice
from .labels import GROUPS, KINDS, STATUSES


def _exists(session, model: type, key: object) -> bool:
    return session.get(model, key) is not None


def _filters() -> queries.Filters:
    """The list's filters from the query string; an unknown code is no filter."""
    args = request.args
    session = get_session()
    officer = args.get("officer", "")
    officer = officer if officer.isdigit() else ""
    state = args.get("state", "").upper()
    instrument = args.get("instrument", "").upper()
    return queries.Filters(
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        kind=args.get("kind", "") if args.get("kind") in KINDS else "",
        instrument=instrument if _exists(session, Instrument, instrument) else "",
        group=args.get("group", "") if args.get("group") in GROUPS else "",
        state=state if _exists(session, State, state) else "",
        officer=int(officer) if _exists(session, User, int(officer or 0)) else None,
        overdue=args.get("overdue") == "1",
    )


@bp.get("/requests")
def requests_list():
    session = get_session()
    today = date.today()
    filters = _filters()
    lang = str(get_locale())
    found = queries.find_requests(
        session, today, filters, queries.page_number(request.args.get("page"))
    )
    return render_template(
        "desk/requests.html",
        page=found,
        messages=message_counts(session, [r.id for r in found.items]),
        filters=filters,
        statuses=STATUSES,
        kinds=KINDS,
        groups=GROUPS,
        instruments=[
            (code, code)
            for code in session.scalars(
                select(Instrument.code).order_by(Instrument.position, Instrument.code)
            )
        ],
        states=[
            (s.code, s.name(lang))
            for s in sorted(session.scalars(select(State)), key=lambda s: s.name(lang).casefold())
        ],
        officers=[
            (u.id, u.name or u.email) for u in session.scalars(select(User).order_by(User.email))
        ],
        today=today,
        lang=lang,
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
    session = get_session()
    mail = correspondence(session, req.id)
    return render_template(
        "desk/request.html",
        req=req,
        ladder=ladder_position(session, req),
        correspondence=mail,
        about=queries.message_requests(session, [m.id for m in mail]),
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


def ladder_position(session, req: Request) -> list[tuple[str, date, bool]]:
    """The request's ladder, step by step in date order: (step, its date, gone out)."""
    try:
        ladder = cached_policy(current_app.config["FOCALBOT"].policy_file).ladder(ladder_kind(req))
    except (KeyError, ValueError):  # a kind the policy has no ladder for: nothing to show
        return []
    done = set(session.scalars(select(OutboxItem.step).where(OutboxItem.request_id == req.id)))
    dated = dated_steps(ladder, req.created_at.date(), req.due_date)
    return [(step.name, on, step.name in done) for on, step in dated]


@bp.get("/messages/<int:message_id>/raw")
def message_raw(message_id: int):
    message = get_session().get(Message, message_id)
    if message is None:
        abort(404)
    resp = Response(message.raw.decode("utf-8", errors="replace"), mimetype="text/plain")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="message-{message.id}.txt"'
    return resp


@bp.get("/messages/<int:message_id>/files/<sha256>")
def attachment(message_id: int, sha256: str):
    """A file kept from a message, as a download: read from the attachment folder by its
    hash (the folder itself is served by no route), never shown or sniffed by the browser."""
    row = get_session().scalar(
        select(Attachment)
        .where(
            Attachment.message_id == message_id,
            Attachment.sha256 == sha256,
            Attachment.stored.is_(True),
        )
        .limit(1)
    )
    path = path_for(current_app.config["FOCALBOT"].attachment_dir, row.sha256) if row else None
    if row is None or path is None or not path.is_file():
        abort(404)
    resp = send_file(
        path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=row.filename or "attachment",
        conditional=False,
        max_age=0,
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
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


@bp.app_template_global()
def answer_lines(req: Request, submission) -> list[answers.Answer]:
    """The answers of ``submission`` labelled in the officer's language."""
    wanted = submission.data.get("contact") if submission.data else None
    contacts = {}
    if isinstance(wanted, int):
        found = get_session().get(Contact, wanted)
        if found is not None:
            contacts[found.id] = found
    return answers.lines(req, submission, str(get_locale()), contacts)
