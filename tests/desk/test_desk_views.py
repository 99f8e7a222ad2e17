"""The desk's State, request, list, search, audit and error pages."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import requests
from bot.model import AuditEvent, Message, Request, Submission
from tests.forms.helpers import make_contact, make_request, make_state

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _answer(session, req: Request, data: dict, source: str = "form") -> Submission:
    return requests.record_submission(
        session, req, data, source=source, submitted_by="fp@interieur.example.fr", actor="test"
    )


def test_a_state_page_lists_its_own_requests(desk, session):
    kenya = make_request(session, code="KE", language="en")
    make_request(session, code="FR")
    past = make_request(session, code="KE", language="en", kind="clarification")
    requests.close(session, past, actor="test")
    session.commit()
    html = desk.get("/desk/states/KE").get_data(as_text=True)
    opened = html[html.index('id="open"') : html.index('id="past"')]
    ended = html[html.index('id="past"') : html.index('id="timeline"')]
    assert kenya.tag in opened and past.tag not in opened and "[FB-2]" not in html
    assert past.tag in ended
    listed = desk.get("/desk/requests?state=KE").get_data(as_text=True)
    assert kenya.tag in listed and past.tag in listed and "[FB-2]" not in listed


def test_the_list_filters_by_group_and_instrument_and_pages(desk, session):
    for _ in range(55):
        make_request(session, code="FR")
    make_request(session, code="KE", language="en").state.un_group = "AFR"
    session.commit()
    weog = desk.get("/desk/requests?group=WEOG").get_data(as_text=True)
    assert "[FB-56]" not in weog and "Page 1 of 2" in weog
    second = desk.get("/desk/requests?group=WEOG&page=2").get_data(as_text=True)
    assert "[FB-55]" in second and "[FB-1]<" not in second
    african = desk.get("/desk/requests?group=AFR").get_data(as_text=True)
    assert "[FB-56]" in african and "[FB-1]<" not in african


def test_answers_show_the_questions_labels_and_choices(desk, session):
    req = make_request(session)
    _answer(session, req, {"respondent_name": "Ana Pérez", "a5_offence": "yes"})
    assistance = make_request(session, kind="technical_assistance")
    _answer(session, assistance, {"areas": ["criminalization"], "description": "x"})
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    assert "Name and title of the person completing this questionnaire" in html
    assert "Has your State established as a criminal offence" in html
    assert "respondent_name" not in html and "a5_offence" not in html
    arabic = desk.get(f"/desk/requests/{assistance.id}?lang=ar").get_data(as_text=True)
    assert "المجالات التي تلزم فيها المساعدة" in arabic and "التجريم" in arabic
    assert "criminalization" not in arabic


def test_an_emailed_confirmation_names_the_contact(desk, session):
    req = make_request(session, kind="directory_update")
    contact = req.state.contacts[0]
    _answer(session, req, {"confirm": True, "contact": contact.id}, source="email")
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    answers = html[html.index("Answers received") :]
    assert "The directory entry is confirmed" in answers and contact.name in answers
    assert "<dt>confirm</dt>" not in answers and "<dt>contact</dt>" not in answers


def test_an_answered_request_plans_nothing(desk, session):
    req = make_request(session)
    req.next_step = "reminder_1"
    _answer(session, req, {"respondent_name": "Ana"})
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    row = html[html.index("Next planned action") :]
    assert row[: row.index("</tr>")].count("none") == 1
    assert "Reopen" in html and 'action="/desk/requests/1/waive"' not in html


def test_each_action_has_its_own_fields(desk, session):
    req = make_request(session)
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    waive = html[html.index('action="/desk/requests/1/waive"') :]
    waive = waive[: waive.index("</form>")]
    due = html[html.index('action="/desk/requests/1/due"') :]
    due = due[: due.index("</form>")]
    assert 'name="reason"' in waive and 'name="reason"' not in due and 'name="due"' in due


def test_escalate_now_and_reopen_are_audited_with_the_officer(desk, session):
    rid = make_request(session).id
    session.commit()
    assert desk.post(f"/desk/requests/{rid}/escalate").status_code == 303
    assert desk.post(f"/desk/requests/{rid}/close", data={"reason": "done"}).status_code == 303
    assert desk.post(f"/desk/requests/{rid}/reopen", data={"reason": "more"}).status_code == 303
    req = session.get(Request, rid)
    assert req.status == "open" and req.escalated_at is not None
    session.rollback()
    lines = desk.get("/desk/audit.jsonl?request=FB-1").get_data(as_text=True).splitlines()
    events = [json.loads(line) for line in lines]
    by_officer = {
        e["data"].get("transition") or e["action"]
        for e in events
        if e["actor"] == "officer@secretariat.example.org"
    }
    assert {"request.escalated", "closed", "reopened"} <= by_officer
    assert all(e["subject_id"] == str(rid) for e in events) and events[0]["hash"]


def test_the_audit_page_filters_and_links(desk, session):
    make_request(session, code="KE", language="en")
    make_request(session, code="FR")
    session.commit()
    html = desk.get("/desk/audit?state=KE").get_data(as_text=True)
    assert 'href="/desk/requests/1"' in html and 'href="/desk/requests/2"' not in html
    assert "<details>" in html and "The hash chain is intact" in html
    actor = desk.get("/desk/audit?actor=nobody@example.org").get_data(as_text=True)
    assert "0 events" in actor


def test_the_search_finds_states_contacts_and_message_text(desk, session):
    req = make_request(session)
    session.add(
        Message(
            direction="in", request_id=req.id, state_code="FR", subject="Réponse",
            raw=b"From: a@b.c\n\nhello", delivery="processed", from_addr="a@b.c",
            text="La loi de blanchiment est adoptée",
        )
    )
    make_contact(session, make_state(session, code="KE", language="en", name="Kenya"))
    session.commit()
    html = desk.get("/desk/search?q=blanchiment").get_data(as_text=True)
    assert "La loi de blanchiment est adoptée" in html and req.tag in html
    assert "Kenya" in desk.get("/desk/search?q=keny").get_data(as_text=True)
    found = desk.get("/desk/search?q=interieur").get_data(as_text=True)
    assert "fp@interieur.example.fr" in found


def test_digests_link_every_request_on_the_mail_page(desk, session):
    from bot.model import OutboxItem

    one, two = make_request(session), make_request(session, kind="clarification")
    digest = Message(
        direction="out", subject="Digest", raw=b"Subject: Digest\n\n.", delivery="sent",
        from_addr="secretariat@secretariat.example.org", to_addrs=["fp@interieur.example.fr"],
    )
    session.add(digest)
    session.flush()
    session.add_all(
        [OutboxItem(message_id=digest.id, request_id=r.id, step="request") for r in (one, two)]
    )
    session.commit()
    html = desk.get("/desk/mail").get_data(as_text=True)
    card = html[html.index(f'id="message-{digest.id}"') :]
    card = card[: card.index("</article>")]
    assert 'href="/desk/requests/1"' in card and 'href="/desk/requests/2"' in card


@pytest.mark.parametrize("lang,words", [("en", "Page not found"), ("ar", "الصفحة غير موجودة")])
def test_a_missing_page_is_shown_in_the_layout(desk, lang, words):
    resp = desk.get(f"/desk/requests/999?lang={lang}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and words in html
    assert 'href="/desk/states"' in html and f'lang="{lang}"' in html


def test_an_arabic_message_reads_right_to_left(desk, session):
    req = make_request(session, code="EG", language="ar")
    session.add(
        Message(
            direction="in", request_id=req.id, state_code="EG", subject="رد على الطلب",
            raw="From: =?utf-8?b?2KPYrdmF2K8=?= <a@b.c>\n\nنص".encode(), delivery="processed",
            from_addr="a@b.c", text="نص الرد",
        )
    )
    session.commit()
    html = desk.get("/desk/states/EG").get_data(as_text=True)
    assert '<div class="body" dir="auto">نص الرد</div>' in html
    assert '<bdi dir="auto">رد على الطلب</bdi>' in html and "أحمد" in html
    assert date.today() - timedelta(days=1) < date.today()
    assert session.scalar(select(Message.id))


def test_send_again_queues_a_fresh_link_to_the_addressee_once_a_day(desk, session):
    from bot.model import OutboxItem

    rid = make_request(session).id
    session.commit()
    assert desk.post(f"/desk/requests/{rid}/resend").status_code == 303
    again = desk.post(f"/desk/requests/{rid}/resend", follow_redirects=True)
    assert "already went out today" in again.get_data(as_text=True)
    steps = session.scalars(select(OutboxItem.step).where(OutboxItem.request_id == rid)).all()
    assert len([s for s in steps if s.startswith("receipt-link-")]) == 1
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "request.resent")
    ).all()
    assert len(actions) == 2  # each ask is audited, with its outcome
    session.rollback()


def test_the_request_page_shows_the_ladder_position(desk, session):
    req = make_request(session)
    session.add(Message(direction="out", request_id=req.id, raw=b"x", delivery="sent",
                        step="request"))
    session.flush()
    from bot.model import OutboxItem

    msg = session.scalars(select(Message).where(Message.request_id == req.id)).first()
    session.add(OutboxItem(message_id=msg.id, request_id=req.id, step="request"))
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    assert "Ladder position" in html and '<ol class="ladder">' in html
    assert "1 of " in html and "✓" in html


def test_every_step_of_the_ladder_is_named_in_the_pages_language(desk, session):
    """A step whose label is its own name (escalation) is translated like the others."""
    req = make_request(session)
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}?lang=ar").get_data(as_text=True)
    ladder = html.split('<ol class="ladder">', 1)[1].split("</ol>", 1)[0]
    assert "الإحالة إلى البعثة الدائمة" in ladder
    assert "escalation" not in ladder and "reminder" not in ladder
