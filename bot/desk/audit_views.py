"""The audit log page: filtered, paged, every object linked, and its export as JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Response, render_template, request, url_for
from sqlalchemy import ColumnElement, Select, String, cast, or_, select
from sqlalchemy.orm import Session

from .. import audit, db
from ..db import get_session
from ..model import AuditEvent, Contact, Request, Submission
from . import queries
from .blueprint import bp

PER_PAGE = 100


def _filters() -> dict[str, str]:
    args = request.args
    return {
        key: (args.get(key) or "").strip()[:320]
        for key in ("state", "request", "actor", "action")
        if (args.get(key) or "").strip()
    }


def _subject(kind: str, ids) -> ColumnElement[bool]:
    return (AuditEvent.subject_type == kind) & AuditEvent.subject_id.in_(ids)


def audit_query(filters: dict[str, str]) -> Select:
    """Events newest first, narrowed to a State (its own events, its requests', contacts'
    and answers'), a request (its own and its answers'), an actor, an action."""
    query = select(AuditEvent)
    if "state" in filters:
        code = filters["state"].upper()
        requests = select(cast(Request.id, String)).where(Request.state_code == code)
        contacts = select(cast(Contact.id, String)).where(Contact.state_code == code)
        answers = select(cast(Submission.id, String)).where(
            Submission.request_id.in_(select(Request.id).where(Request.state_code == code))
        )
        query = query.where(
            or_(
                _subject("state", [code]),
                _subject("directory", [code]),
                _subject("request", requests),
                _subject("contact", contacts),
                _subject("submission", answers),
            )
        )
    if "request" in filters:
        wanted = filters["request"].upper().strip("[]").removeprefix("FB-")
        rid = int(wanted) if wanted.isdigit() else -1
        answers = select(cast(Submission.id, String)).where(Submission.request_id == rid)
        query = query.where(or_(_subject("request", [str(rid)]), _subject("submission", answers)))
    if "actor" in filters:
        query = query.where(AuditEvent.actor == filters["actor"])
    if "action" in filters:
        query = query.where(AuditEvent.action == filters["action"])
    return query.order_by(AuditEvent.seq.desc())


def _links(session: Session, events) -> dict[int, str]:
    """{event id: the address of its subject on the desk}."""
    wanted: dict[str, set[int]] = {"submission": set(), "contact": set()}
    for ev in events:
        if ev.subject_type in wanted and ev.subject_id.isdigit():
            wanted[ev.subject_type].add(int(ev.subject_id))
    answer_of = {
        sid: rid
        for sid, rid in session.execute(
            select(Submission.id, Submission.request_id).where(
                Submission.id.in_(wanted["submission"])
            )
        )
    }
    state_of = {
        cid: code
        for cid, code in session.execute(
            select(Contact.id, Contact.state_code).where(Contact.id.in_(wanted["contact"]))
        )
    }
    found: dict[int, str] = {}
    for ev in events:
        kind, ident = ev.subject_type, ev.subject_id
        number = int(ident) if ident.isdigit() else None
        if kind == "request" and number is not None:
            found[ev.id] = url_for("desk.request_detail", request_id=number)
        elif kind in ("state", "directory") and ident:
            found[ev.id] = url_for("desk.state_detail", code=ident)
        elif kind == "message" and number is not None:
            found[ev.id] = url_for("desk.message_raw", message_id=number)
        elif kind == "submission" and number in answer_of:
            found[ev.id] = url_for("desk.request_detail", request_id=answer_of[number])
        elif kind == "contact" and number in state_of:
            found[ev.id] = url_for("desk.state_detail", code=state_of[number]) + "#contacts"
    return found


@bp.get("/audit")
def audit_log():
    session = get_session()
    filters = _filters()
    page = queries.paged(
        session, audit_query(filters), queries.page_number(request.args.get("page")), PER_PAGE
    )
    rows = [
        (ev, json.dumps(audit.data_of(ev), ensure_ascii=False, sort_keys=True, indent=1))
        for ev in page.items
    ]
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return render_template(
        "desk/audit.html",
        rows=rows,
        page=page,
        links=_links(session, page.items),
        filters=filters,
        actions=list(actions),
        result=audit.verify(session),
    )


@bp.get("/audit.jsonl")
def audit_export():
    """The filtered events as JSON Lines, oldest first: each the payload that was hashed,
    with its hash and the previous one, so that the chain can be checked outside."""
    query = (
        audit_query(_filters())
        .order_by(None)
        .order_by(AuditEvent.seq)
        .with_only_columns(AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
        .execution_options(yield_per=1000)
    )

    def lines() -> Iterator[str]:
        # its own read-only connection, closed when the download ends or is dropped: the
        # request's session is gone by then, and on SQLite a reader must not hold the writers
        with db.read() as conn:
            for payload, prev_hash, hash_ in conn.execute(query):
                event = json.loads(payload)
                event.update(prev_hash=prev_hash, hash=hash_)
                yield json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"

    resp = Response(lines(), mimetype="application/x-ndjson")
    resp.headers["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
    return resp
