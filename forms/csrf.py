"""CSRF tokens of the focal points' pages, bound to the form link instead of a cookie.

The link in the URL is what opens a form: another site that could make a valid token
for a link would need the link itself, and with it could use the form directly. So a
form page's token is an HMAC of the link and of the time it was made, checked on every
POST under ``/f/`` and valid for ``WTF_CSRF_TIME_LIMIT`` (a day: a form left open for
hours still submits). A form page then needs no session cookie at all: a browser that
refuses cookies, a mail gateway's scan and a page served from the page cache
(``forms.pagecache``) all work the same. Over HTTPS a POST must also come with a Referer
of the same origin, as Flask-WTF asks of the desk.

The desk keeps Flask-WTF's session-bound tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from bot import links

FIELD = "csrf_token"
_PURPOSE = b"focalbot form page csrf"


class LinkForm(FlaskForm):
    """A form of the focal points' pages: its token is checked by ``protect``, not by
    Flask-WTF's session."""

    class Meta:
        csrf = False


def _key() -> bytes:
    secret = current_app.config["FOCALBOT"].secret_key.encode()
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _mac(key: bytes, link_token: str, issued: int) -> str:
    message = f"{links.digest(link_token)}:{issued}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def make(link_token: str, now: float | None = None) -> str:
    """A token for the pages of ``link_token``: ``<time>.<mac>``."""
    issued = int(now if now is not None else time.time())
    return f"{issued:x}.{_mac(_key(), link_token, issued)}"


def for_page() -> str:
    """This request's token (one per request, so that a page carries one value)."""
    if "form_csrf" not in g:
        g.form_csrf = make((request.view_args or {}).get("token", ""))
    return str(g.form_csrf)


def field() -> Markup:
    """The hidden input a form page's ``<form>`` carries."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, for_page())


def check(link_token: str, value: str, now: float | None = None) -> None:
    """Raise CSRFError unless ``value`` is a live token of ``link_token``."""
    issued_hex, _, mac = (value or "").partition(".")
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        raise CSRFError("The CSRF token is missing.") from None
    if not hmac.compare_digest(mac, _mac(_key(), link_token, issued)):
        raise CSRFError("The CSRF token is invalid.")
    age = (now if now is not None else time.time()) - issued
    if age > current_app.config["WTF_CSRF_TIME_LIMIT"] or age < -60:
        raise CSRFError("The CSRF token has expired.")


def protect() -> None:
    """Check a POST's token (and its Referer over HTTPS); GETs pass."""
    if request.method != "POST" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    check((request.view_args or {}).get("token", ""), request.form.get(FIELD, ""))
    if request.is_secure:
        referrer = urlsplit(request.referrer or "")
        if referrer.scheme != "https" or referrer.netloc != request.host:
            raise CSRFError("The referrer does not match the host.")
