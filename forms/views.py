"""The focal points' web forms: /f/TOKEN, no account, no JavaScript.

GET shows the form of the request's kind in the focal point's language; POST
records the answer and redirects to a confirmation page.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError

from bot.db import get_session
from bot.i18n import normalise_language
from bot.links import LinkCheck, used
from bot.model import Contact, Request, RequestStatus
from bot.requests import recipients, record_submission

from . import build, links, questionnaires

bp = Blueprint("forms", __name__, url_prefix="/f")


_session = get_session


def _check(token: str) -> LinkCheck:
    return links.check(token)


def _contact(req: Request) -> Contact | None:
    """The link's own contact: a link only ever shows its own contact's data."""
    if "form_contact" in g:
        return g.form_contact
    found = recipients(req)
    return found[0] if found else None


def _choose_language(req: Request | None) -> str:
    """?lang= first, then the addressee's language, then the State's."""
    lang = normalise_language(request.args.get("lang"))
    if lang is None and req is not None:
        contact = _contact(req)
        lang = normalise_language(contact.language if contact else None) or normalise_language(
            req.state.language
        )
    if lang is None:
        return str(get_locale() or "en")
    g.language = lang
    return lang


def _problem(check: LinkCheck, *, posted: bool = False):
    return links.problem_page(check, posted=posted)


def _render(req: Request, form, questionnaire, lang: str, *, notice: str = "", status: int = 200):
    answered = req.status == RequestStatus.ANSWERED.value
    page = render_template(
        "forms/form.html",
        req=req,
        form=form,
        questionnaire=questionnaire,
        lang=lang,
        notice=notice,
        answered=answered,
        text=questionnaires.text,
    )
    return page, status


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token: str):
    check = _check(token)
    if check.problem:
        return _problem(check, posted=request.method == "POST")
    req = check.request
    assert req is not None  # a token without a problem names its request
    lang = _choose_language(req)
    questionnaire = questionnaires.load(req.kind)
    form_type = build.form_class(questionnaire, lang)
    contact = _contact(req)
    if request.method == "GET" and req.kind == "directory_update":
        form = form_type(data=build.prefill(contact))
    else:
        form = form_type()
    if not form.validate_on_submit():
        return _render(req, form, questionnaire, lang)
    data = build.answers(form, questionnaire)
    if req.kind == "directory_update":
        data = build.directory_changes(data, contact)
    if links.replayed(req, data):  # the same answer posted again: recorded once
        return redirect(url_for("forms.done", token=token, lang=lang), 303)
    used(check.link)
    record_submission(
        _session(),
        req,
        data,
        source="form",
        submitted_by=build.submitted_by(form, questionnaire),
        language=lang,
    )
    _session().commit()
    return redirect(url_for("forms.done", token=token, lang=lang), 303)


@bp.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError):
    """The session or its token expired: show the form again with what was typed."""
    token = (request.view_args or {}).get("token", "")
    check = _check(token)
    if check.problem or request.endpoint != "forms.answer":
        return _problem(check, posted=True)
    req = check.request
    assert req is not None  # a token without a problem names its request
    lang = _choose_language(req)
    questionnaire = questionnaires.load(req.kind)
    form = build.form_class(questionnaire, lang)(formdata=request.form)
    notice = links.stale_notice()
    return _render(req, form, questionnaire, lang, notice=notice, status=400)


@bp.get("/<token>/done")
def done(token: str):
    check = _check(token)
    if check.problem in ("unknown", "limited"):
        return _problem(check)
    req = check.request
    assert req is not None  # only an unknown token names no request
    lang = _choose_language(req)
    questionnaire = questionnaires.load(req.kind)
    return render_template(
        "forms/done.html", req=req, lang=lang, title=questionnaires.text(questionnaire.title, lang)
    )
