"""The OpenAPI 3.1 document of ``/api/v1/``, served public at ``/api/v1/openapi.json``.

A test holds it to the blueprint's routes, and a schemathesis run holds the responses to it.
"""

from __future__ import annotations

import re
from typing import Any

from .paging import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT
from .schemas import SCHEMAS, STR, page_of, s

PREFIX = "/api/v1"


def _param(name: str, schema: dict[str, Any], text: str, where: str = "query") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": text,
    }


LIMIT = _param(
    "limit",
    s("integer", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT),
    "How many items a page holds.",
)
ID_CURSOR = _param(
    "cursor",
    s("string", pattern="^[0-9]{1,18}$"),
    "Where the page starts: copy it from the previous page's `next` link.",
)
STATE = _param("state", s("string", pattern="^[A-Za-z]{2}$"), "A State's ISO code.")


def _json(ref: str, text: str, headers: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": ref}}},
    }
    if headers:
        body["headers"] = headers
    return body


ERROR = "#/components/schemas/Error"
UNAUTHORISED = _json(
    ERROR,
    "No key, or a key that is unknown or revoked, or whose user is inactive.",
    {"WWW-Authenticate": {"required": True, "schema": STR}},
)


def _op(op_id: str, summary: str, ok: str, params: list[dict], *, item: bool) -> dict:
    responses: dict[str, Any] = {
        "200": _json(ok, "The resource." if item else "A page of the list."),
        "400": _json(ERROR, "A query parameter is not valid."),
        "401": UNAUTHORISED,
        "403": _json(ERROR, "The key's user is not secretariat staff (an authorised user of the "
                     "online directory reads `/directory.json`)."),
    }
    if item:
        responses["404"] = _json(ERROR, "No such resource.")
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "parameters": params,
            "responses": responses,
        }
    }


def _id(name: str) -> dict:
    return _param(name, s("integer", minimum=1, maximum=MAX_ID), "Its id.", "path")


def _word(name: str, text: str, pattern: str = "^[A-Za-z0-9_]{1,32}$") -> dict:
    return _param(name, s("string", pattern=pattern), text)


def _list(name: str, summary: str, extra: list[dict], cursor: dict = ID_CURSOR) -> dict:
    return _op(
        f"list_{name.lower()}s",
        summary,
        f"#/components/schemas/{name}Page",
        [LIMIT, cursor, *extra],
        item=False,
    )


def _item(name: str, summary: str, key: dict) -> dict:
    return _op(f"get_{name.lower()}", summary, f"#/components/schemas/{name}", [key], item=True)


PATHS: dict[str, Any] = {
    "/": {
        "get": {
            "operationId": "index",
            "summary": "Where each list is.",
            "security": [],
            "responses": {
                "200": _json("#/components/schemas/Index", "The lists' URLs."),
                "400": _json(ERROR, "A query parameter is not valid."),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": s("object")}},
                },
                "400": _json(ERROR, "A query parameter is not valid."),
            },
        }
    },
    "/states": _list(
        "State",
        "States, by ISO code.",
        [_word("un_group", "Only the States of this regional group, e.g. WEOG.", "^[A-Z]{3,8}$")],
        cursor=_param(
            "cursor",
            s("string", pattern="^[A-Z]{2}$"),
            "Where the page starts: copy it from the previous page's `next` link.",
        ),
    ),
    "/states/{code}": _item(
        "State",
        "One State.",
        _param("code", s("string", pattern="^[A-Za-z]{2}$"), "Its ISO code.", "path"),
    ),
    "/contacts": _list(
        "Contact",
        "Contacts the key's user may see, by id.",
        [
            STATE,
            _word("role", "Only contacts of this role, e.g. focal_point."),
        ],
    ),
    "/contacts/{contact_id}": _item("Contact", "One contact.", _id("contact_id")),
    "/requests": _list(
        "Request",
        "Requests, by id, with their next action.",
        [
            STATE,
            _param(
                "status",
                s("string", enum=["open", "answered", "closed", "waived"]),
                "Only requests with this status.",
            ),
            _word("kind", "Only requests of this kind, e.g. questionnaire."),
            _word(
                "instrument",
                "Only requests about this instrument, e.g. TIP.",
                "^[A-Za-z0-9_]{1,16}$",
            ),
            _param(
                "cycle",
                s("string", pattern="^[ -~]{0,64}$"),
                "Only requests of this reporting cycle.",
            ),
        ],
    ),
    "/requests/{request_id}": _item("Request", "One request.", _id("request_id")),
    "/messages": _list(
        "Message",
        "Messages in and out, by id: metadata, no bodies.",
        [
            _param(
                "request",
                s("integer", minimum=1, maximum=MAX_ID),
                "Only messages that concern this request (digests and linked replies too).",
            ),
            STATE,
            _param("direction", s("string", enum=["in", "out"]), "Only incoming or outgoing."),
        ],
    ),
    "/messages/{message_id}": _item("Message", "One message's metadata.", _id("message_id")),
    "/campaigns": _list("Campaign", "Campaigns, by id, with their response rates.", []),
    "/campaigns/{campaign_id}": _item("Campaign", "One campaign.", _id("campaign_id")),
}


def query_parameters(rule: str) -> set[str] | None:
    """The query parameters the document gives the route ``rule`` (a Flask rule under the
    prefix), or None for a rule it does not describe."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix(PREFIX)) or "/"
    if path not in PATHS:
        return None
    params = PATHS[path]["get"].get("parameters", [])
    return {p["name"] for p in params if p["in"] == "query"}


def document(public_url: str) -> dict[str, Any]:
    schemas = dict(SCHEMAS)
    for name in ("State", "Contact", "Request", "Message", "Campaign"):
        schemas[f"{name}Page"] = page_of(name)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "focalbot read API",
            "version": "1",
            "description": "Read-only access to the secretariat's States, contacts, requests, "
            "message metadata and campaigns. Send a key made by `focalbot apikey create EMAIL` "
            "as `Authorization: Bearer KEY`. Lists are paged: follow `next` until it is null.",
        },
        "servers": [{"url": public_url.rstrip("/") + PREFIX}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
