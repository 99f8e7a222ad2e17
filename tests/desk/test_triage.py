"""The triage page: messages the bot could not place, and emailed answers awaiting review."""

from __future__ import annotations

from sqlalchemy import select

from bot.audit import data_of
from bot.model import AuditEvent, Contact, Message, Request, State, Submission
from bot.requests import record_submission
from tests.forms.helpers import csrf_token_in, make_request, make_user

REPLY = (
    b"From: Claire Martin <fp@interieur.example.fr>\r\nTo: replies@secretariat.example.org\r\n"
    b"Subject: Re: clarification\r\nMessage-ID: <r-1@interieur.example.fr>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nL'autorite centrale est le ministere.\r\n"
)



def _waiting(
    session, *, request_id=None, error="no request found", kind="reply", delivery="triage"
) -> int:
    row = Message(
        direction="in", delivery=delivery, kind=kind, raw=REPLY, subject="Re: clarification",
        from_addr="fp@interieur.example.fr", to_addrs=["replies@secretariat.example.org"],
        text="L'autorite centrale est le ministere.", error=error, request_id=request_id,
    )
    session.add(row)
    session.commit()
    row_id = row.id
    session.rollback()
    return row_id


def _events(session, action) -> list[tuple[str, dict]]:
    session.expire_all()
    found = [
        (e.actor, data_of(e))
        for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    ]
    session.rollback()
    return found


def test_it_lists_waiting_messages_with_their_reason_and_guesses(desk, session):
    first = make_request(session, kind="clarification").tag
    second = make_request(session).tag
    session.commit()
    _waiting(session, error=f"the sender has several open requests: {first}, {second}")
    _waiting(
        session, error="no header fields: not a mail message", kind=None, delivery="unparsable"
    )
    html = desk.get("/desk/triage").get_data(as_text=True)
    assert "several open requests" in html and "no header fields" in html
    assert f"File under {first}" in html and f"File under {second}" in html
    assert 'href="/desk/triage"' in desk.get("/desk/").get_data(as_text=True)


def test_filing_a_reply_to_a_clarification_records_the_answer(desk, session):
    req = make_request(session, kind="clarification")
    session.commit()
    req_id, tag = req.id, req.tag
    row_id = _waiting(session)
    resp = desk.post(f"/desk/triage/{row_id}/file", data={"request": tag})
    assert resp.status_code == 303
    session.expire_all()
    row = session.get(Message, row_id)
    assert (row.request_id, row.delivery, row.match_method) == (req_id, "processed", "manual")
    submission = session.scalar(select(Submission))
    assert submission.data == {"text": row.text} and submission.source == "email"
    assert session.get(Request, req_id).status == "answered"
    session.rollback()
    [(actor, data)] = _events(session, "message.filed")
    assert actor == "officer@secretariat.example.org" and data["request"] == req_id


def test_filing_under_an_unknown_reference_changes_nothing(desk, session):
    row_id = _waiting(session)
    html = desk.post(
        f"/desk/triage/{row_id}/file", data={"request": "FB-999"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "No request has the reference FB-999." in html
    session.expire_all()
    assert session.get(Message, row_id).delivery == "triage"
    session.rollback()


def test_dismissing_sets_the_message_aside(desk, session):
    row_id = _waiting(session, kind="unrelated")
    assert desk.post(f"/desk/triage/{row_id}/dismiss").status_code == 303
    session.expire_all()
    row = session.get(Message, row_id)
    assert (row.delivery, row.kind, row.request_id) == ("processed", "unrelated", None)
    assert len(_events(session, "message.dismissed")) == 1
    assert desk.post(f"/desk/triage/{row_id}/dismiss").status_code == 404


def test_an_emailed_directory_change_is_shown_against_the_entry_and_applied_on_accept(
    desk, session
):
    req = make_request(session, kind="directory_update")
    contact = session.scalar(select(Contact))
    change = {"phone": {"old": contact.phone, "new": "+33 1 99 99 99 99"}}
    submission = record_submission(
        session, req, {"changes": change, "contact": contact.id}, source="email"
    )
    session.commit()
    sid, cid, rid = submission.id, contact.id, req.id
    session.rollback()
    page = desk.get(f"/desk/requests/{rid}").get_data(as_text=True)
    assert "awaiting review" in page and f"#submission-{sid}" in page
    html = desk.get("/desk/triage").get_data(as_text=True)
    assert "+33 1 00 00 00 00" in html and "+33 1 99 99 99 99" in html and "Phone" in html
    resp = desk.post(f"/desk/submissions/{sid}/review", data={"decision": "accept"})
    assert resp.status_code == 303
    session.expire_all()
    assert session.get(Contact, cid).phone == "+33 1 99 99 99 99"
    assert session.get(Submission, sid).review == "accepted"
    assert session.get(State, "FR").directory_updated_at is not None
    session.rollback()
    assert "awaiting review" not in desk.get(f"/desk/requests/{rid}").get_data(as_text=True)
    [(_, data)] = _events(session, "submission.reviewed")
    assert data["applied"] == ["phone"]
    again = desk.post(
        f"/desk/submissions/{sid}/review", data={"decision": "reject"}, follow_redirects=True
    )
    assert "already been reviewed" in again.get_data(as_text=True)


def test_rejecting_an_emailed_change_keeps_the_entry(desk, session):
    req = make_request(session, kind="directory_update")
    contact = session.scalar(select(Contact))
    submission = record_submission(
        session,
        req,
        {"changes": {"name": {"old": contact.name, "new": "X"}}, "contact": contact.id},
        source="email",
    )
    session.commit()
    sid, cid = submission.id, contact.id
    session.rollback()
    desk.post(f"/desk/submissions/{sid}/review", data={"decision": "reject"})
    session.expire_all()
    assert session.get(Contact, cid).name == "Claire Martin"
    assert session.get(Submission, sid).review == "rejected"
    session.rollback()


def test_triage_actions_need_a_csrf_token(csrf_web, session):
    make_user(session)
    tag = make_request(session, kind="clarification").tag
    session.commit()
    row_id = _waiting(session)
    client = csrf_web.test_client()
    page = client.get("/desk/login").get_data(as_text=True)
    client.post("/desk/login", data={
        "email": "officer@secretariat.example.org", "password": "correct horse battery staple",
        "csrf_token": csrf_token_in(page),
    })
    assert client.post(f"/desk/triage/{row_id}/file", data={"request": tag}).status_code == 400
    token = csrf_token_in(client.get("/desk/triage").get_data(as_text=True))
    assert (
        client.post(
            f"/desk/triage/{row_id}/file", data={"request": tag, "csrf_token": token}
        ).status_code
        == 303
    )
