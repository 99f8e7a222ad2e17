"""The desk's pages, logged in as a secretariat officer."""

from __future__ import annotations

import mailbox
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from bot.model import AuditEvent, Message, Request
from tests.forms.helpers import log_in, make_request, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")

OUTBOUND = b"""\
From: UNTOC secretariat <secretariat@secretariat.example.org>
To: fp@interieur.example.fr
Reply-To: replies+{token}@secretariat.example.org
Subject: Questionnaire [FB-1]
Message-ID: <out-1@secretariat.example.org>
Date: Mon, 03 Mar 2025 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Dear Sir or Madam,
please answer the questionnaire.
"""


def _with_messages(session, **kw) -> Request:
    req = make_request(session, **kw)
    raw = OUTBOUND.replace(b"{token}", req.token.lower().encode())
    session.add_all(
        [
            Message(
                direction="out",
                request_id=req.id,
                state_code=req.state_code,
                subject=f"Questionnaire {req.tag}",
                message_id="<out-1@secretariat.example.org>",
                raw=raw,
                delivery="sent",
                from_addr="secretariat@secretariat.example.org",
                to_addrs=["fp@interieur.example.fr"],
                smtp_response="250 2.0.0 Ok: queued as 4ABC",
            ),
            Message(
                direction="in",
                request_id=req.id,
                state_code=req.state_code,
                subject=f"Re: Questionnaire {req.tag}",
                raw=b"From: fp@interieur.example.fr\n\n<script>alert(1)</script>\n",
                delivery="processed",
                from_addr="fp@interieur.example.fr",
                kind="reply",
                match_method="reply_address",
                text="<script>alert(1)</script>",
            ),
        ]
    )
    session.commit()
    return req


def test_the_dashboard_shows_an_overdue_request(desk, session):
    late = make_request(session, due=date.today() - timedelta(days=3))
    make_request(session, kind="clarification")
    session.commit()
    html = desk.get("/desk/").get_data(as_text=True)
    overdue = html[html.index('id="overdue"') :]
    assert late.tag in overdue and "[FB-2]" not in overdue
    assert '<td><a href="/desk/requests?overdue=1">1</a></td>' in html


def test_the_request_page_shows_the_correspondence_escaped(desk, session):
    req = _with_messages(session)
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert f"<code>{req.token}</code>" in html  # the reply token; form links are kept hashed
    assert f"/f/{req.token}" not in html
    assert "250 2.0.0 Ok: queued as 4ABC" in html and "reply_address" in html


def test_the_raw_message_is_plain_text(desk, session):
    req = _with_messages(session)
    inbound_id = session.scalar(select(Message.id).where(Message.direction == "in"))
    session.rollback()
    resp = desk.get(f"/desk/messages/{inbound_id}/raw")
    assert resp.mimetype == "text/plain"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>alert(1)</script>" in resp.get_data(as_text=True)
    assert req.id


def test_the_state_page_lists_contacts_with_roles(desk, session):
    req = make_request(session)
    req.state.contacts[0].access = "restricted"
    session.commit()
    html = desk.get("/desk/states/FR").get_data(as_text=True)
    assert "Focal point" in html and "restricted" in html and "fp@interieur.example.fr" in html
    listing = desk.get("/desk/states").get_data(as_text=True)
    assert "France" in listing and "WEOG" in listing


def test_the_requests_list_filters(desk, session):
    make_request(session, due=date.today() - timedelta(days=3))
    make_request(session, kind="clarification")
    session.commit()
    overdue = desk.get("/desk/requests?overdue=1").get_data(as_text=True)
    assert "[FB-1]" in overdue and "[FB-2]" not in overdue
    clar = desk.get("/desk/requests?kind=clarification").get_data(as_text=True)
    assert "[FB-2]" in clar and "[FB-1]" not in clar


def test_a_new_request_is_opened_and_audited(desk, session):
    make_request(session)
    session.commit()
    due = (date.today() + timedelta(days=60)).isoformat()
    data = {
        "state": "FR",
        "kind": "technical_assistance",
        "instrument": "",
        "cycle": "2026",
        "subject": "Training needs",
        "due_date": due,
    }
    resp = desk.post("/desk/requests/new", data=data)
    assert resp.status_code == 303
    session.expire_all()
    req = session.scalar(select(Request).where(Request.kind == "technical_assistance"))
    assert req.subject == "Training needs" and req.due_date.isoformat() == due
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "request.opened", AuditEvent.subject_id == str(req.id)
        )
    )
    assert event.actor == "officer@secretariat.example.org"
    session.rollback()


def test_the_audit_page_verifies_the_chain(desk, session):
    html = desk.get("/desk/audit").get_data(as_text=True)
    assert "The hash chain is intact" in html and "user.login" in html


def test_reply_as_the_focal_point_writes_to_the_maildir(desk, session, settings):
    req = _with_messages(session)
    token, tag = req.token, req.tag
    outbound_id = session.scalar(select(Message.id).where(Message.direction == "out"))
    session.rollback()
    page = desk.get(f"/desk/messages/{outbound_id}/reply").get_data(as_text=True)
    assert "without" in page or "no mail server" in page
    resp = desk.post(
        f"/desk/messages/{outbound_id}/reply",
        data={"text": "Nous répondrons avant la date limite."},
    )
    assert resp.status_code == 303
    box = mailbox.Maildir(str(settings.local_maildir), create=False)
    [key] = box.keys()
    reply = message_from_bytes(box.get_bytes(key), policy=policy.default)
    assert reply["In-Reply-To"] == "<out-1@secretariat.example.org>"
    assert reply["References"] == "<out-1@secretariat.example.org>"
    assert reply["To"] == f"replies+{token.lower()}@secretariat.example.org"
    assert "fp@interieur.example.fr" in reply["From"]
    assert reply["Subject"] == f"Re: Questionnaire {tag}"
    assert reply["Message-ID"] and reply["Date"]
    assert "Nous répondrons" in reply.get_body(("plain",)).get_content()
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "desk.simulated_reply"))
    session.rollback()


def test_reply_as_the_focal_point_is_only_in_local_mode(session, tmp_path):
    from tests.conftest import make_settings
    from tests.forms.helpers import make_web_app

    req = _with_messages(session)
    session.rollback()
    settings = make_settings(
        tmp_path, DATABASE_URL=str(session.get_bind().url), IMAP_URL="imap://u:p@localhost/INBOX"
    )
    session.rollback()
    client = make_web_app(settings, csrf=False).test_client()
    make_user(session, email="other@secretariat.example.org")
    session.commit()
    assert log_in(client, email="other@secretariat.example.org").status_code == 303
    html = client.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    assert "Reply as the focal point" not in html
    assert client.get("/desk/messages/1/reply").status_code == 404


def test_the_mail_page_puts_triage_first_and_escapes(desk, session, settings):
    req = _with_messages(session)
    session.add(
        Message(
            direction="in",
            subject="Unplaced <b>reply</b>",
            raw=b"x",
            delivery="triage",
            from_addr="stranger@example.net",
            error="no request matched",
        )
    )
    session.add(
        Message(
            direction="in",
            subject="",
            raw=b"\x00\x01",
            delivery="unparsable",
            error="unparsable: no header fields",
        )
    )
    session.commit()
    html = desk.get("/desk/mail").get_data(as_text=True)
    attention = html[html.index("Needs attention") : html.index("Sent and queued")]
    assert "stranger@example.net" in attention and "no header fields" in attention
    assert "Unplaced &lt;b&gt;reply&lt;/b&gt;" in attention
    sent = html[html.index("Sent and queued") :]
    assert f"[FB-{req.id}]" in sent and "queued as 4ABC" in sent
    assert f"written as .eml files to {settings.local_outbox}" in html


def test_the_desk_opens_every_kind_defined_in_the_data(desk, session):
    make_request(session)
    session.commit()
    html = desk.get("/desk/requests/new").get_data(as_text=True)
    for name in ("case_examples", "supplementary_information", "appoint"):
        assert f'value="{name}"' in html
    assert "Case example of international cooperation" in html
    due = (date.today() + timedelta(days=60)).isoformat()
    data = {
        "state": "FR",
        "kind": "case_examples",
        "instrument": "",
        "cycle": "",
        "subject": "",
        "due_date": due,
    }
    assert desk.post("/desk/requests/new", data=data).status_code == 303
    session.expire_all()
    assert session.scalar(select(Request).where(Request.kind == "case_examples")) is not None
    session.rollback()
