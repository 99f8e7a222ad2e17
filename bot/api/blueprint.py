"""The API's blueprint: key check, JSON errors, and the answer to unknown paths and methods."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from werkzeug.exceptions import InternalServerError, NotFound

from .. import apikeys
from ..db import get_session
from .errors import ApiError, error_response
from .openapi import query_parameters

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi", "api.index", "api.refuse"}
REALM = 'Bearer realm="focalbot"'


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.error, exc.message, exc.headers)


@bp.errorhandler(NotFound)
def _not_found(_exc: Any):
    return error_response(404, "not_found", "no such resource")


@bp.errorhandler(InternalServerError)
def _server_error(_exc: Any):
    return error_response(500, "server_error", "the server failed; the failure is logged")


def _unauthorised(message: str, *, invalid: bool) -> ApiError:
    header = REALM + (', error="invalid_token"' if invalid else "")
    return ApiError(401, "unauthorized", message, **{"WWW-Authenticate": header})


def _control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def _check_query() -> None:
    """Only the parameters the document names, each once, without control characters."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    allowed = query_parameters(rule)
    for name in request.args:
        values = request.args.getlist(name)
        if _control(name) or any(_control(v) for v in values):
            raise ApiError(400, "bad_request", "a query parameter holds a control character")
        if allowed is not None and name not in allowed:
            raise ApiError(400, "bad_request", f"unknown query parameter {name!r}")
        if len(values) > 1:
            raise ApiError(400, "bad_request", f"the query parameter {name!r} is given twice")


@bp.before_request
def _require_key():
    _check_query()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise _unauthorised("send an API key as: Authorization: Bearer KEY", invalid=False)
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorised("the Authorization header is not: Bearer KEY", invalid=True)
    user = apikeys.authenticate(get_session(), key.strip())
    if user is None:
        raise _unauthorised("the API key is unknown, revoked, or its user inactive", invalid=True)
    if not user.is_secretariat:  # an authorised user of the online directory
        raise ApiError(
            403, "forbidden", "the read API serves the secretariat; the directory is at "
            "/directory.json"
        )
    g.api_user = user
    return None


@bp.after_request
def _no_store(resp):
    if request.endpoint != "api.openapi":  # answers hold the directory: no shared cache keeps them
        resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("Vary", "Authorization")
    return resp


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], endpoint="refuse")
def refuse(rest: str):
    """A path the API does not have, or a method it does not take there (it only reads)."""
    endpoint, _ = current_app.url_map.bind("").match(request.path, method="GET")
    if endpoint != "api.refuse":  # the path exists, for GET only
        return error_response(
            405, "method_not_allowed", "the API only reads: use GET", {"Allow": "GET, HEAD"}
        )
    return error_response(404, "not_found", "no such resource")
