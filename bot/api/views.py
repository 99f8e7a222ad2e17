"""The API's routes: each a list with filters and paging, and one item by its key."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import current_app, g, jsonify
from sqlalchemy import select, union
from sqlalchemy.orm import load_only, selectinload

from ..db import get_session
from ..model import (
    Attachment,
    Contact,
    Direction,
    Message,
    MessageLink,
    OutboxItem,
    Request,
    RequestStatus,
    State,
)
from ..requests import message_counts
from . import campaigns, paging, serialise
from .access import contact_visibility
from .blueprint import bp
from .errors import ApiError
from .openapi import document

STATE_CODE = r"[A-Za-z]{2}"
WORD = r"[A-Za-z0-9_]{1,32}"
CYCLE = r"[ -~]{0,64}"


def _missing() -> ApiError:
    return ApiError(404, "not_found", "no such resource")


def _key(value: int) -> int:
    """A path's id, or 404 when no row can have it (beyond a 64-bit integer)."""
    if value > paging.MAX_ID:
        raise _missing()
    return value


@bp.get("/", endpoint="index")
def index():
    return jsonify(
        {
            "openapi": paging.link("api.openapi"),
            "states": paging.link("api.states"),
            "contacts": paging.link("api.contacts"),
            "requests": paging.link("api.requests"),
            "messages": paging.link("api.messages"),
            "campaigns": paging.link("api.campaigns_list"),
        }
    )


@bp.get("/openapi.json", endpoint="openapi")
def openapi():
    return jsonify(document(current_app.config["FOCALBOT"].public_url))


def _state_query():
    return select(State).options(selectinload(State.participation))


@bp.get("/states", endpoint="states")
def states():
    size, after = paging.limit(), paging.code_cursor()
    group = paging.text("un_group", r"[A-Z]{3,8}", "un_group is a regional group, e.g. WEOG")
    query = _state_query()
    if after is not None:
        query = query.where(State.code > after)
    if group is not None:
        query = query.where(State.un_group == group)
    rows = list(get_session().scalars(query.order_by(State.code).limit(size + 1)))
    return jsonify(paging.page(rows, size, lambda s: s.code, [serialise.state(s) for s in rows]))


@bp.get("/states/<code>", endpoint="state")
def state(code: str):
    found = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        found = get_session().scalar(_state_query().where(State.code == code.upper()))
    if found is None:
        raise _missing()
    return jsonify(serialise.state(found))


@bp.get("/contacts", endpoint="contacts")
def contacts():
    size, after = paging.limit(), paging.id_cursor()
    code = paging.text("state", STATE_CODE, "state is an ISO 3166-1 alpha-2 code")
    role = paging.text("role", WORD, "role is a word, e.g. focal_point")
    query = select(Contact).where(contact_visibility(g.api_user))
    if after is not None:
        query = query.where(Contact.id > after)
    if code is not None:
        query = query.where(Contact.state_code == code.upper())
    if role is not None:
        query = query.where(Contact.role == role)
    rows = list(get_session().scalars(query.order_by(Contact.id).limit(size + 1)))
    return jsonify(paging.page(rows, size, lambda c: c.id, [serialise.contact(c) for c in rows]))


@bp.get("/contacts/<int:contact_id>", endpoint="contact")
def contact(contact_id: int):
    found = get_session().scalar(
        select(Contact).where(Contact.id == _key(contact_id), contact_visibility(g.api_user))
    )
    if found is None:
        raise _missing()
    return jsonify(serialise.contact(found))


def _requests_json(rows: list[Request]) -> list[dict]:
    counts = message_counts(get_session(), [r.id for r in rows])
    today = date.today()
    return [serialise.request(r, counts[r.id], today) for r in rows]


@bp.get("/requests", endpoint="requests")
def requests():
    size, after = paging.limit(), paging.id_cursor()
    code = paging.text("state", STATE_CODE, "state is an ISO 3166-1 alpha-2 code")
    status = paging.choice("status", [s.value for s in RequestStatus])
    kind = paging.text("kind", WORD, "kind is a request kind, e.g. questionnaire")
    instrument = paging.text("instrument", r"[A-Za-z0-9_]{1,16}", "instrument is a code, e.g. TIP")
    cycle = paging.text("cycle", CYCLE, "cycle is printable text of 64 characters at most")
    query = select(Request)
    if after is not None:
        query = query.where(Request.id > after)
    for column, value in (
        (Request.state_code, code.upper() if code else None),
        (Request.status, status),
        (Request.kind, kind),
        (Request.instrument_code, instrument.upper() if instrument else None),
        (Request.cycle, cycle),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = list(get_session().scalars(query.order_by(Request.id).limit(size + 1)))
    return jsonify(paging.page(rows, size, lambda r: r.id, _requests_json(rows[:size])))


@bp.get("/requests/<int:request_id>", endpoint="request")
def request_item(request_id: int):
    found = get_session().get(Request, _key(request_id))
    if found is None:
        raise _missing()
    return jsonify(_requests_json([found])[0])


def _messages_json(rows: list[Message]) -> list[dict]:
    files: dict[int, list[Attachment]] = defaultdict(list)
    if rows:
        query = select(Attachment).where(Attachment.message_id.in_([m.id for m in rows]))
        for a in get_session().scalars(query.order_by(Attachment.id)):
            files[a.message_id].append(a)
    return [serialise.message(m, files[m.id]) for m in rows]


def _of_request(request_id: int):
    """The ids of the messages that concern a request, digests and linked replies included."""
    return union(
        select(Message.id).where(Message.request_id == request_id),
        select(OutboxItem.message_id).where(OutboxItem.request_id == request_id),
        select(MessageLink.message_id).where(MessageLink.request_id == request_id),
    )


# Every column but the bodies: the raw source and the text are never loaded.
_METADATA = [
    c for c in Message.__table__.columns.keys() if c not in ("raw", "text", "token", "error")
]


@bp.get("/messages", endpoint="messages")
def messages():
    size, after = paging.limit(), paging.id_cursor()
    request_id = paging.number("request")
    code = paging.text("state", STATE_CODE, "state is an ISO 3166-1 alpha-2 code")
    direction = paging.choice("direction", [d.value for d in Direction])
    query = _message_query()
    if after is not None:
        query = query.where(Message.id > after)
    if request_id is not None:
        query = query.where(Message.id.in_(_of_request(request_id)))
    if code is not None:
        query = query.where(Message.state_code == code.upper())
    if direction is not None:
        query = query.where(Message.direction == direction)
    rows = list(get_session().scalars(query.order_by(Message.id).limit(size + 1)))
    return jsonify(paging.page(rows, size, lambda m: m.id, _messages_json(rows[:size])))


def _message_query():
    return select(Message).options(load_only(*[getattr(Message, c) for c in _METADATA]))


@bp.get("/messages/<int:message_id>", endpoint="message")
def message(message_id: int):
    found = get_session().scalar(_message_query().where(Message.id == _key(message_id)))
    if found is None:
        raise _missing()
    return jsonify(_messages_json([found])[0])


@bp.get("/campaigns", endpoint="campaigns_list")
def campaigns_list():
    size, after = paging.limit(), paging.id_cursor()
    rows = campaigns.find(get_session(), after=after, limit=size + 1)
    return jsonify(paging.page(rows, size, lambda c: c.id, [serialise.campaign(c) for c in rows]))


@bp.get("/campaigns/<int:campaign_id>", endpoint="campaign")
def campaign(campaign_id: int):
    found = campaigns.get(get_session(), _key(campaign_id))
    if found is None:
        raise _missing()
    return jsonify(serialise.campaign(found))
