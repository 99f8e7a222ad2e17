"""Query parameters and keyset paging: ``limit`` and an opaque ``cursor``; ``next`` is the
URL of the following page, or null on the last one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import current_app, request, url_for

from .errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
ID_CURSOR = re.compile(r"[0-9]{1,18}")
CODE_CURSOR = re.compile(r"[A-Z]{2}")
MAX_ID = 2**63 - 1


def bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def id_cursor() -> int | None:
    raw = request.args.get("cursor")
    if raw is None:
        return None
    if not ID_CURSOR.fullmatch(raw) or int(raw) > MAX_ID:
        raise bad("cursor is not one this API gave")
    return int(raw)


def code_cursor() -> str | None:
    raw = request.args.get("cursor")
    if raw is None:
        return None
    if not CODE_CURSOR.fullmatch(raw):
        raise bad("cursor is not one this API gave")
    return raw


def text(name: str, pattern: str, message: str) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not re.fullmatch(pattern, raw):
        raise bad(message)
    return raw


def number(name: str) -> int | None:
    raw = text(name, r"[0-9]{1,18}", f"{name} must be a whole number")
    if raw is None:
        return None
    if not 1 <= int(raw) <= MAX_ID:
        raise bad(f"{name} must be a whole number from 1")
    return int(raw)


def choice(name: str, allowed: Sequence[str]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in allowed:
        raise bad(f"{name} must be one of: {', '.join(allowed)}")
    return raw


def link(endpoint: str, **values: Any) -> str:
    """An absolute URL under the bot's public address (``PUBLIC_URL``)."""
    return current_app.config["FOCALBOT"].public_url.rstrip("/") + url_for(endpoint, **values)


def page(rows: list[Any], size: int, key: Any, items: list[dict]) -> dict:
    """The page's body: its items, and the link to the next page when there is one.

    ``rows`` were fetched with ``size + 1``; ``key`` gives the cursor of a row.
    """
    following = None
    if len(rows) > size:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        args.update(cursor=str(key(rows[size - 1])), limit=str(size))
        following = link(str(request.endpoint), **(request.view_args or {}), **args)
    return {"data": items[:size], "next": following}
