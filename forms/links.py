"""What a form link opens, and the pages around it: a wrong, expired or revoked link,
a fresh link by email, and "this is no longer me".

GET only shows: a mail gateway that opens every link of a letter changes nothing
(the one row a GET may write is the count of wrong tokens, for the rate limit).
Only a POST, with its CSRF token, sends a fresh link or names a successor.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length

from bot import links
from bot.db import get_session
from bot.fresh_link import send_fresh_link
from bot.i18n import normalise_language
from bot.model import Contact, Request
from bot.requests import recipients
from bot.successor import SuccessorError, propose

from . import csrf
from .csrf import LinkForm

bp = Blueprint("form_links", __name__, url_prefix="/f")
bp.before_request(csrf.protect)  # link-bound tokens, not the session's (forms.csrf)

NOT_FOUND = 404
TOO_MANY = 429


def check(token: str) -> links.LinkCheck:
    """The link ``token`` as it came in the URL; wrong tokens are counted per address."""
    session = get_session()
    settings = current_app.config["FOCALBOT"]
    policy = links.forms_policy(settings)
    source = links.source_key(settings.secret_key, request.remote_addr or "")
    if links.limited(session, source, policy.misses_per_10_minutes):
        found = links.LinkCheck(None, None, "limited")
    else:
        found = links.find(session, token, valid_days=settings.token_valid_days)
        if found.problem == "unknown":
            links.record_miss(session, source)
            session.commit()
    found = _opened_here(found)
    g.form_contact = found.contact
    return found


def _opened_here(found: links.LinkCheck) -> links.LinkCheck:
    """A request's own token from an old URL, once a letter has carried a form link since,
    shows the expired page (whose button emails a fresh link to the address on file)."""
    if found.problem == "superseded":
        return links.LinkCheck(found.request, found.contact, "expired", None, legacy=True)
    return found


def contact_of(req: Request) -> Contact | None:
    """The link's own contact: a link only ever shows its own contact's data."""
    if g.get("form_contact") is not None:
        return g.form_contact
    found = recipients(req)
    return found[0] if found else None


def choose_language(req: Request | None) -> str:
    """?lang= first, then the addressee's language, then the State's."""
    lang = normalise_language(request.args.get("lang"))
    if lang is None and req is not None:
        contact = contact_of(req)
        lang = normalise_language(contact.language if contact else None) or normalise_language(
            req.state.language
        )
    if lang is None:
        return str(get_locale() or "en")
    g.language = lang
    return lang


def language(found: links.LinkCheck) -> str:
    return choose_language(found.request)


def problem_page(found: links.LinkCheck, *, posted: bool = False):
    """The page for a link that cannot be used: 404, 429, expired or revoked, closed."""
    lang = language(found)
    if found.problem == "limited":
        return render_template("forms/limited.html", lang=lang), TOO_MANY
    if found.problem in ("unknown", None) or found.request is None:
        return render_template("forms/problem.html", problem="unknown", req=None, lang=lang), 404
    if found.problem in ("expired", "revoked"):
        return render_template(
            "forms/link.html",
            problem=found.problem,
            req=found.request,
            renewable=found.renewable,
            form=LinkForm(),
            lang=lang,
            token=request.view_args.get("token") if request.view_args else "",
        ), 410
    status = 409 if posted else 200
    return render_template(
        "forms/problem.html", problem="closed", req=found.request, lang=lang
    ), status


@bp.post("/<token>/renew")
def renew(token: str):
    """Email a fresh link to the address on file for the link's contact (never one typed in)."""
    found = check(token)
    if found.problem not in ("expired", "revoked"):
        return problem_page(found, posted=True)
    lang = language(found)
    if not found.renewable:
        return render_template(
            "forms/renewed.html", outcome="impossible", req=found.request, lang=lang
        ), 409
    assert found.request is not None and found.contact is not None  # renewable says so
    session = get_session()
    assert found.request is not None and found.contact is not None  # renewable says so
    outcome = send_fresh_link(
        session, current_app.config["FOCALBOT"], found.request, found.contact, lang
    )
    session.commit()
    return render_template("forms/renewed.html", outcome=outcome, req=found.request, lang=lang)


REQUIRED = _l("This field is required.")
BAD_EMAIL = _l("Please enter a valid email address, such as name@example.org.")
TOO_LONG = _l("This answer is too long.")


class SuccessorForm(LinkForm):
    name = StringField(
        _l("Name of your successor"),
        validators=[InputRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    title = StringField(_l("Their title or post"), validators=[Length(max=200, message=TOO_LONG)])
    email = EmailField(
        _l("Their email address"),
        validators=[InputRequired(REQUIRED), Email(BAD_EMAIL), Length(max=320, message=TOO_LONG)],
    )
    note = TextAreaField(
        _l("Anything the secretariat should know (optional)"),
        validators=[Length(max=2000, message=TOO_LONG)],
    )


def _successor_form() -> SuccessorForm:
    return SuccessorForm()


@bp.route("/<token>/successor", methods=["GET", "POST"])
def successor(token: str):
    """Someone who has left the post names who follows them; the secretariat approves."""
    found = check(token)
    if found.problem in ("unknown", "limited", "revoked") or found.contact is None:
        return problem_page(found, posted=request.method == "POST")
    lang = language(found)
    form = _successor_form()
    notice = ""
    if form.validate_on_submit():
        session = get_session()
        try:
            propose(
                session,
                found.contact,
                name=form.name.data or "",
                title=form.title.data or "",
                email=form.email.data or "",
                note=form.note.data or "",
                source="form",
                request=found.request,
            )
        except SuccessorError as exc:
            form.email.errors = [
                _("This is your own address: please give your successor's.")
                if exc.code == "same_email"
                else str(BAD_EMAIL)
            ]
        else:
            links.used(found.link)
            session.commit()
            return render_template("forms/successor_done.html", req=found.request, lang=lang)
    status = 400 if form.errors else 200
    return render_template(
        "forms/successor.html",
        form=form,
        req=found.request,
        contact=found.contact,
        lang=lang,
        notice=notice,
    ), status


@bp.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError):
    """The page was open too long: show it again, with what was typed, to send again."""
    token = (request.view_args or {}).get("token", "")
    found = check(token)
    if request.endpoint != "form_links.successor" or found.problem in ("unknown", "limited"):
        return problem_page(found, posted=True)
    if found.contact is None:
        return problem_page(found, posted=True)
    form = _successor_form()
    return render_template(
        "forms/successor.html",
        form=form,
        req=found.request,
        contact=found.contact,
        lang=language(found),
        notice=stale_notice(),
    ), 400


def replayed(req, data: dict) -> bool:
    """The same answer was posted again (a second click, a browser resending the POST)."""
    last = req.submissions[-1] if req.submissions else None
    return last is not None and last.source == "form" and last.data == data


def stale_notice() -> str:
    return _(
        "Your answers were not sent, because this page was open for too long or your browser "
        "did not keep its session. What you typed is below: please check it and send it again."
    )
