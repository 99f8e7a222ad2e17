"""Stored-XSS payloads are shown inert on every desk page, and each page asks the database a
bounded number of queries whatever the number of rows it shows."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event

from bot import db, requests
from bot.model import Message, OutboxItem
from tests.forms.helpers import make_contact, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>'
PAGES = [
    "/desk/",
    "/desk/states",
    "/desk/states/FR",
    "/desk/requests",
    "/desk/requests/1",
    "/desk/mail",
    "/desk/triage",
    "/desk/audit",
    "/desk/search?q=alert",
]


def _inbound(req, delivery: str = "processed") -> Message:
    raw = (
        "From: =?utf-8?q?=3Cscript=3Ealert=281=29=3C=2Fscript=3E?= <fp@interieur.example.fr>\n"
        f"Subject: {PAYLOAD}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/html; charset=utf-8\n\n"
        f"<p>answer</p>{PAYLOAD}<a href=\"javascript:alert(4)\">x</a>\n"
        "--b\nContent-Type: application/pdf\n"
        'Content-Disposition: attachment; filename="<img src=x onerror=alert(5)>.pdf"\n\n'
        "abc\n--b--\n"
    ).encode()
    return Message(
        direction="in", request_id=req.id if delivery == "processed" else None,
        state_code="FR", subject=PAYLOAD, raw=raw, delivery=delivery,
        from_addr="fp@interieur.example.fr", text=None if delivery == "processed" else PAYLOAD,
        error=PAYLOAD if delivery != "processed" else None,
    )


def test_payloads_in_mail_contacts_and_answers_are_inert(desk, session):
    req = make_request(session)
    make_contact(session, req.state, name=PAYLOAD, email="x@example.org")
    session.add_all([_inbound(req), _inbound(req, delivery="triage")])
    requests.record_submission(
        session, req, {"respondent_name": PAYLOAD, PAYLOAD: PAYLOAD},
        source="form", submitted_by=PAYLOAD, actor="test",
    )
    session.commit()
    for page in PAGES:
        resp = desk.get(page)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, page
        for tag in ("<script", "<img", "<svg", "javascript:"):
            assert tag not in html, (page, tag)
    state = desk.get("/desk/states/FR").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in state and "answer" in state
    assert "onerror=alert(5)&gt;.pdf" in state  # the attachment's name, as text


@contextlib.contextmanager
def _counted():
    found = []

    def count(*_args):
        found.append(1)

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _more(session, n: int) -> None:
    for _ in range(n):
        req = make_request(session)
        out = Message(
            direction="out", request_id=req.id, state_code="FR", subject="Q",
            raw=b"Subject: Q\n\nq",
            delivery="sent", from_addr="s@example.org", to_addrs=["fp@interieur.example.fr"],
        )
        session.add_all([out, _inbound(req)])
        session.flush()
        session.add(OutboxItem(message_id=out.id, request_id=req.id, step="request"))
    session.commit()


def test_pages_ask_a_bounded_number_of_queries(desk, session):
    _more(session, 3)
    desk.get("/desk/")  # the first page of a client loads what is cached once
    small = {}
    for page in PAGES:
        with _counted() as found:
            assert desk.get(page).status_code == 200
        small[page] = len(found)
    _more(session, 12)
    for page in PAGES:
        with _counted() as found:
            assert desk.get(page).status_code == 200
        assert len(found) == small[page], (page, small[page], len(found))
        assert len(found) <= 25, (page, len(found))
