"""Form pages kept as rendered, so that a link opened again costs one query, not a render.

Mail gateways open every link of a letter, focal points reload and come back; each time
the page is the same until something it shows changes. An entry is keyed by the link, the
page's query arguments and a stamp read in the same query as the link's state:

- the audit log's head: every change of a request, a contact, a State or a link writes an
  event, so any of them makes a new stamp;
- the request's drafts' last save (a draft is not audited);
- the day (a deadline shown as "in N days" ages).

The one part of a page that differs per request is its CSRF token (bound to the link and
the time, see ``forms.csrf``): it is cut out of the stored page and put back each time.
Only a plain, usable link is served from here:
an unknown, expired, revoked or closed link, an address over the rate limit, a legacy
request token or a session with a flashed message take the full path, which decides and
renders as before. Each web worker keeps its own entries (bounded, least recently used).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from datetime import date
from typing import Any

from flask import Response, current_app, g, request
from flask import session as flask_session
from sqlalchemy import Connection, bindparam, func, select

from bot import db, links
from bot.model import AuditHead, Contact, Draft, FormLink, FormLinkMiss, Request
from bot.model.base import utcnow

from . import csrf

MAX_ENTRIES = 512
_KEY = "form_page_key"


def _statement():
    """The link's state, the stamp and the address's wrong tokens, in one query."""
    seq = select(func.max(AuditHead.seq)).scalar_subquery()  # the head is one row
    saved = (
        select(func.max(Draft.updated_at))
        .where(Draft.request_id == FormLink.request_id)
        .scalar_subquery()
    )
    misses = (
        select(func.count())
        .select_from(FormLinkMiss)
        .where(FormLinkMiss.source == bindparam("source"), FormLinkMiss.at > bindparam("since"))
        .scalar_subquery()
    )
    return (
        select(
            FormLink.id,
            FormLink.request_id,
            FormLink.contact_id,
            FormLink.expires_at,
            FormLink.revoked_at,
            Request.status,
            Contact.left_at,
            seq.label("seq"),
            saved.label("saved"),
            misses.label("misses"),
        )
        .join(Request, Request.id == FormLink.request_id)
        .join(Contact, Contact.id == FormLink.contact_id)
        .where(FormLink.hash == bindparam("hash"))
    )


_STATE = _statement()
_NAMES = [c.name for c in _STATE.selected_columns]
_Row = namedtuple("_Row", _NAMES)  # type: ignore[misc]
_compiled: dict[str, tuple[str, list, list, list]] = {}


def _query(conn: Connection, params: dict[str, Any]) -> Any:
    """``_STATE`` run on the driver's own cursor, with the columns' and parameters' type
    conversions: the one statement of the page cache's path, where SQLAlchemy's execution
    machinery costs ten times the query itself."""
    dialect = conn.dialect
    if dialect.name not in _compiled:
        compiled = _STATE.compile(dialect=dialect)
        names = list(compiled.positiontup or []) if dialect.positional else list(compiled.binds)
        binds = [
            compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
        ]
        results = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in _STATE.selected_columns
        ]
        _compiled[dialect.name] = (compiled.string, names, binds, results)
    sql, names, binds, results = _compiled[dialect.name]
    values = [f(params[n]) if f else params[n] for n, f in zip(names, binds, strict=True)]
    args: Any = values if dialect.positional else dict(zip(names, values, strict=True))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, args)
        found = cursor.fetchone()
    finally:
        cursor.close()
    if found is None:
        return None
    return _Row(*(f(v) if f else v for v, f in zip(found, results, strict=True)))
_pages: OrderedDict[tuple, tuple[str, list[str]]] = OrderedDict()


def _usable(row: Any, limit: int) -> bool:
    return (
        row is not None
        and row.revoked_at is None
        and row.left_at is None
        and row.status not in links.ENDED
        and row.expires_at > utcnow()
        and row.misses < limit
    )


def serve(token: str) -> Response | None:
    """The stored page for a GET of ``/f/<token>``, or None to take the full path.

    On a miss the key is kept for this request, so that ``store`` can keep the page the
    full path renders.
    """
    if not links.looks_like_link(token) or "_flashes" in flask_session:
        return None
    settings = current_app.config["FOCALBOT"]
    policy = links.forms_policy(settings)
    now = utcnow()
    digest = links.digest(token)
    with db.read() as conn:
        row = _query(
            conn,
            {
                "hash": digest,
                "source": links.source_key(settings.secret_key, request.remote_addr or ""),
                "since": now - links.MISS_WINDOW,
            },
        )
    if not _usable(row, policy.misses_per_10_minutes):
        return None
    assert row is not None  # _usable says so
    key = (
        digest,
        tuple(sorted(request.args.items(multi=True))),
        row.seq,
        str(row.saved),
        date.today(),
    )
    entry = _pages.get(key)
    if entry is None:
        g.setdefault(_KEY, key)
        return None
    _pages.move_to_end(key)
    language, parts = entry
    g.language = language
    return Response(csrf.for_page().join(parts), mimetype="text/html")


def store(page: str, language: str) -> None:
    """Keep the page the full path rendered for this request's key, if it has one."""
    key = g.pop(_KEY, None)
    if key is None:
        return
    token = csrf.for_page()  # the one this request's page carries
    parts = page.split(token)
    if len(parts) < 2:  # a page without a form: nothing to put back, keep it whole
        parts = [page]
    _pages[key] = (language, parts)
    while len(_pages) > MAX_ENTRIES:
        _pages.popitem(last=False)


def clear() -> None:
    _pages.clear()
