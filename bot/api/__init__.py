"""The read API, ``/api/v1/``: States, contacts, requests, message metadata and campaigns,
as JSON, for clients holding a key (``focalbot apikey create``)."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import views  # noqa: F401  (routes)
from .blueprint import bp, refuse


def init_api(app: Flask, csrf: CSRFProtect) -> None:
    # The API only reads. Its one view that takes POST, PUT, PATCH or DELETE answers 405 and
    # changes nothing, so it alone is exempt from the CSRF check; every other API route is GET.
    csrf.exempt(refuse)
    app.register_blueprint(bp)
