"""The focal points' web forms: /f/TOKEN, no account, no JavaScript.

GET shows a page of the form of the request's kind in the focal point's language;
POST saves the page in a draft; the summary's button submits (see forms.flow).
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from bot.db import get_session
from bot.links import LinkCheck, used

from . import csrf, flow, links, pagecache

bp = Blueprint("forms", __name__, url_prefix="/f")
bp.before_request(csrf.protect)  # link-bound tokens, not the session's (forms.csrf)


_session = get_session


def _check(token: str) -> LinkCheck:
    """The form link (or, until a letter carries one, the request's own token) in the URL."""
    return links.check(token)


_contact = links.contact_of
_choose_language = links.choose_language


def _problem(check: LinkCheck, *, posted: bool = False):
    return links.problem_page(check, posted=posted)


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token: str):
    """GET shows a page of the form (the draft's, or ?page=); POST saves it (forms.flow)."""
    if request.method == "GET" and (kept := pagecache.serve(token)) is not None:
        return kept
    check = _check(token)
    if check.problem:
        return _problem(check, posted=request.method == "POST")
    req = check.request
    assert req is not None  # a token without a problem names its request
    lang = _choose_language(req)
    if request.method == "GET":
        page, status = flow.show(req, _contact(req), lang)
        if status == 200:
            pagecache.store(page, lang)
        return page, status
    used(check.link)
    return flow.post(req, _contact(req), lang)


@bp.get("/<token>/review")
def review(token: str):
    """The summary of the answers saved, before the final submit."""
    check = _check(token)
    if check.problem:
        return _problem(check)
    req = check.request
    assert req is not None  # a token without a problem names its request
    return flow.review(req, _contact(req), _choose_language(req))


@bp.post("/<token>/submit")
def submit(token: str):
    check = _check(token)
    if check.problem:
        return _problem(check, posted=True)
    req = check.request
    assert req is not None  # a token without a problem names its request
    used(check.link)
    return flow.submit(req, _contact(req), _choose_language(req))


@bp.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError):
    """The session or its token expired: show the form again with what was typed."""
    token = (request.view_args or {}).get("token", "")
    check = _check(token)
    if check.problem or request.endpoint not in ("forms.answer", "forms.submit"):
        return _problem(check, posted=True)
    req = check.request
    assert req is not None  # a token without a problem names its request
    lang = _choose_language(req)
    notice = links.stale_notice()
    if request.endpoint == "forms.submit":
        return flow.review(req, _contact(req), lang, notice=notice, status=400)
    return flow.resend(req, _contact(req), lang, notice)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):
    """More than the request cap: the page again, the answers saved before it kept."""
    check = _check((request.view_args or {}).get("token", ""))
    if check.problem or check.request is None:
        return _problem(check, posted=True)
    req = check.request
    notice = flow.too_large_notice()
    return flow.resend(req, _contact(req), _choose_language(req), notice, status=413)


@bp.get("/<token>/done")
def done(token: str):
    check = _check(token)
    if check.problem in ("unknown", "limited"):
        return _problem(check)
    req = check.request
    assert req is not None  # only an unknown token names no request
    return flow.done(req, _choose_language(req))
