"""The error pages (403, 404, 500) in the site's layout and the reader's language."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

PAGES = {
    403: (_l("Access refused"), _l("You are not allowed to see this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    500: (
        _l("Something went wrong"),
        _l("The page could not be shown. The error has been logged; please try again later."),
    ),
}

log = logging.getLogger(__name__)


def _page(code: int):
    title, text = PAGES[code]
    layout = "desk/layout.html" if request.path.startswith("/desk") else "base.html"
    return render_template("error.html", layout=layout, title=title, text=text, code=code), code


def _http_error(error: HTTPException):
    if error.code == 403:
        log.info("access refused: %s %s", request.method, request.path)
    return _page(error.code if error.code in PAGES else 500)


def _server_error(_error: Exception):
    return _page(500)


def init_errors(app: Flask) -> None:
    for code in PAGES:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(500, _server_error)
