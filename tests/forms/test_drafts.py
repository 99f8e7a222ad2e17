"""Save and resume, the summary before the submit, corrections as versions, the receipt."""

from __future__ import annotations

import email
import json

import pytest
from sqlalchemy import select

from bot import audit
from bot.model import AuditEvent, Contact, ContactChange, Draft, Message, Request, State, Submission
from tests.forms.helpers import SAMPLES, answer_all, fill_pages, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _request(session, **kw) -> Request:
    req = make_request(session, **kw)
    session.commit()
    return req


def _receipt_text(message: Message) -> str:
    parsed = email.message_from_bytes(message.raw)
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def test_each_page_saves_a_draft_resumed_from_another_client(session, web):
    req = _request(session)
    token, rid = req.token, req.id
    first, second = web.test_client(), web.test_client()
    resp = first.post(f"/f/{token}?lang=fr", data=SAMPLES["questionnaire"])
    assert resp.status_code == 303 and resp.headers["Location"].endswith("page=1")
    first.post(f"/f/{token}?lang=fr&page=1", data={"a5_offence": "partly", "go": "save"})
    session.expire_all()
    draft = session.scalar(select(Draft).where(Draft.request_id == rid))
    assert draft.data["respondent_name"] == "Claire Martin, magistrate"
    assert draft.data["a5_offence"] == "partly" and draft.page == 1
    assert session.scalar(select(Submission)) is None
    session.rollback()
    # another browser, another day: the same link opens the page left, with its answers
    html = second.get(f"/f/{token}?lang=fr").get_data(as_text=True)
    assert 'name="a5_offence"' in html
    assert 'checked id="a5_offence-2"' in html or 'id="a5_offence-2" checked' in html
    assert 'name="a5_offence_law"' in html  # "partly" opens the follow-up
    page0 = second.get(f"/f/{token}?lang=fr&page=0").get_data(as_text=True)
    assert 'value="Claire Martin, magistrate"' in page0


def test_a_yes_opens_its_follow_up_on_the_same_page(session, web_client):
    req = _request(session)
    token = req.token
    web_client.post(f"/f/{token}?lang=en", data=SAMPLES["questionnaire"])
    html = web_client.get(f"/f/{token}?lang=en&page=1").get_data(as_text=True)
    assert 'name="a5_offence_law"' not in html
    resp = web_client.post(f"/f/{token}?lang=en&page=1", data={"a5_offence": "yes"})
    assert resp.headers["Location"].endswith("page=1&more=1")
    html = web_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'name="a5_offence_law"' in html and "cite the legislation" in html
    assert "open the further questions below" in html
    # answered, the page moves on
    resp = web_client.post(
        f"/f/{token}?lang=en&page=1", data={"a5_offence": "yes", "a5_offence_law": "Penal Code"}
    )
    assert resp.headers["Location"].endswith("page=2")


def test_a_follow_up_hidden_again_is_not_submitted(session, web_client):
    req = _request(session)
    token, rid = req.token, req.id
    fill_pages(web_client, token, SAMPLES["questionnaire"])
    web_client.post(f"/f/{token}?lang=en&page=1", data={"a5_offence": "no", "go": "save"})
    web_client.post(f"/f/{token}/submit?lang=en")
    session.expire_all()
    data = session.scalar(select(Submission).where(Submission.request_id == rid)).data
    assert data["a5_offence"] == "no" and "a5_offence_law" not in data
    assert (
        data["a16_nationals"] == "no" and data["a16_sentence"] == "partly"
    )  # an "if not" follow-up


def test_the_summary_comes_before_the_final_submit(session, web_client):
    req = _request(session, kind="technical_assistance")
    token = req.token
    review = fill_pages(web_client, token, SAMPLES["technical_assistance"], "fr")
    assert review.endswith(f"/f/{token}/review?lang=fr")
    session.expire_all()
    assert session.scalar(select(Submission)) is None
    session.rollback()  # SQLite: the web request takes its own lock
    html = web_client.get(review).get_data(as_text=True)
    assert "Incrimination" in html and "Marquage des armes à feu" in html
    assert "Training of prosecutors on the marking of firearms." in html
    assert f'action="/f/{token}/submit?lang=fr"' in html
    assert f'href="/f/{token}?lang=fr&amp;page=0"' in html  # change the answers
    session.rollback()
    assert web_client.post(f"/f/{token}/submit?lang=fr").status_code == 303
    session.expire_all()
    assert session.scalar(select(Submission)) is not None
    assert session.scalar(select(Draft)) is None


def test_the_confirmation_gives_the_reference_and_what_was_sent(session, web_client):
    req = _request(session, kind="case_examples")
    token, rid = req.token, req.id
    resp = answer_all(web_client, token, SAMPLES["case_examples"], "en")
    html = web_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"FB-{rid}-1" in html and f"[FB-{rid}]" in html
    assert "Bank records obtained for a laundering case within two months." in html
    assert "Mutual legal assistance" in html and "Senegal" in html and "2024" in html
    assert "Send a correction" in html


def test_a_correction_opens_prefilled_and_is_a_new_version(session, web_client):
    req = _request(session, kind="case_examples")
    token, rid = req.token, req.id
    answer_all(web_client, token, SAMPLES["case_examples"], "en")
    html = web_client.get(f"/f/{token}?lang=en").get_data(as_text=True)
    assert "Bank records obtained for a laundering case within two months." in html
    assert 'value="Senegal"' in html and f"FB-{rid}-1" in html
    corrected = dict(SAMPLES["case_examples"], requested_state="Côte d'Ivoire")
    answer_all(web_client, token, corrected, "en")
    session.expire_all()
    subs = session.scalars(select(Submission).where(Submission.request_id == rid)).all()
    assert [s.version for s in subs] == [1, 2]
    assert subs[0].data["requested_state"] == "Senegal"
    assert subs[1].data["requested_state"] == "Côte d'Ivoire"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "submission.received")
    ).all()
    assert [json.loads(e.payload)["data"]["version"] for e in events] == [1, 2]
    assert audit.verify(session).ok
    assert session.get(Request, rid).status == "answered"


def test_a_replayed_submit_stores_nothing_twice(session, web_client):
    req = _request(session, kind="clarification")
    token = req.token
    answer_all(web_client, token, SAMPLES["clarification"], "en")
    again = web_client.post(f"/f/{token}/submit?lang=en")
    assert again.status_code == 303 and again.headers["Location"].endswith("/done?lang=en")
    session.expire_all()
    assert len(session.scalars(select(Submission)).all()) == 1


def test_the_receipt_lists_what_was_submitted_in_the_contacts_language(session, web_client):
    req = _request(session, kind="technical_assistance", code="EG", language="ar")
    token, rid = req.token, req.id
    answer_all(web_client, token, SAMPLES["technical_assistance"], "ar")
    session.expire_all()
    receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert receipt.request_id == rid and receipt.language == "ar"
    assert receipt.to_addrs == ["fp@interieur.example.fr"]  # the address on file
    assert receipt.delivery == "queued"
    body = " ".join(_receipt_text(receipt).split())
    assert f"FB-{rid}-1" in body
    assert "التجريم" in body and "وسم الأسلحة النارية وحفظ السجلات" in body
    assert "Training of prosecutors on the marking of firearms." in body
    assert "claire.martin@justice.example.fr" in body


def test_a_directory_change_is_applied_and_sets_the_states_last_update(session, web_client):
    req = _request(session, kind="directory_update")
    token, rid, code = req.token, req.id, req.state_code
    html = web_client.get(f"/f/{token}").get_data(as_text=True)
    assert 'value="Claire Martin"' in html and "13 place Vendôme" in html
    data = dict(
        SAMPLES["directory_update"],
        emails="new@justice.example.fr\nfp@interieur.example.fr",
        office_hours="9.00-17.00",
        access="restricted",
        languages=["fr", "en"],
        info="Requests under the 1959 European Convention go to the Ministry of Justice.",
    )
    answer_all(web_client, token, data, "fr")
    session.expire_all()
    sub = session.scalar(select(Submission).where(Submission.request_id == rid))
    assert set(sub.data["changed"]) == {"emails", "office_hours", "access", "languages", "info"}
    assert sub.review == "accepted"
    contact = session.get(Contact, sub.data["contact_id"])
    assert contact.emails == ["new@justice.example.fr", "fp@interieur.example.fr"]
    assert contact.office_hours == "9.00-17.00" and contact.access == "restricted"
    assert session.get(State, code).directory_updated_at is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.updated"))


def test_a_directory_update_without_change_is_a_confirmation(session, web_client):
    req = _request(session, kind="directory_update")
    token, rid, code = req.token, req.id, req.state_code
    data = dict(SAMPLES["directory_update"], languages=[])
    answer_all(web_client, token, data, "fr")
    session.expire_all()
    sub = session.scalar(select(Submission).where(Submission.request_id == rid))
    assert sub.data["confirm"] is True and sub.data["changed"] == []
    # The State confirmed its entry: that is its last update, kept in the entry's history.
    assert session.get(State, code).directory_updated_at is not None
    [change] = session.scalars(select(ContactChange)).all()
    assert change.field == "" and change.by_state and change.submission_id == sub.id
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.confirmed"))
    assert session.get(Request, rid).status == "answered"


def test_the_final_submit_stops_the_ladder_but_not_the_receipt(session, web_client):
    from bot.outbound import outbox

    req = _request(session, kind="clarification")
    token, rid = req.token, req.id
    letter = Message(request_id=rid, subject=f"{req.tag} Reminder", raw=b"Subject: x\r\n\r\nx")
    outbox.enqueue(session, letter, [(rid, "reminder1")])
    session.commit()
    letter_id = letter.id
    answer_all(web_client, token, SAMPLES["clarification"], "en")
    session.expire_all()
    assert session.get(Message, letter_id).delivery == "cancelled"
    answered = session.get(Request, rid)
    assert answered.status == "answered" and answered.next_action_at is None
    receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert receipt.delivery == "queued"


def test_a_draft_started_twice_is_the_same_draft(session, app):
    from forms import drafts, questionnaires

    req = _request(session, kind="clarification")
    contact = req.state.contacts[0]
    q = questionnaires.for_request(req)
    first = drafts.start(session, req, contact, q, "en")
    session.commit()
    raced = Draft(request_id=req.id, contact_id=contact.id, data={})
    session.add(raced)
    with pytest.raises(Exception, match="UNIQUE|unique"):
        session.flush()
    session.rollback()
    assert drafts.start(session, req, contact, q, "fr").id == first.id


def test_the_receipt_of_a_whole_questionnaire_stays_light(session, web_client):
    """Every question answered in Arabic: the receipt names each by its first words."""
    from forms import questionnaires

    req = _request(session, kind="questionnaire", code="EG", language="ar")
    token = req.token
    q = questionnaires.for_request(req)
    data = dict(SAMPLES["questionnaire"])
    for page in q.pages:
        for spec in page.fields:
            if spec.type in ("yes_no", "answer", "choice") and spec.name not in data:
                data[spec.name] = "yes"
            elif spec.type in ("citation", "textarea", "text") and spec.name not in data:
                data[spec.name] = "القانون رقم 82 لسنة 2002 بشأن مكافحة غسل الأموال، المادة 3"
    answer_all(web_client, token, data, "ar")
    session.expire_all()
    receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert receipt is not None
    body = _receipt_text(receipt)
    assert body.count("- ") >= 40  # every answer is listed
    assert len(receipt.raw) < 60 * 1024, f"{len(receipt.raw)} bytes"  # 52.5 KB when written


def test_a_form_change_waits_for_an_officer_where_the_policy_says_so(
    session, web_client, tmp_path, monkeypatch
):
    from bot.directory import changes
    from bot.inbound.submit import review

    policy = tmp_path / "directory.toml"
    policy.write_text('[at_once]\nsources = []\nfields = ["office_hours"]\n', encoding="utf-8")
    monkeypatch.setattr(changes, "POLICY_FILE", policy)
    assert changes.applies_at_once(changes.load_policy(), "form", "FR", ["office_hours"])
    assert not changes.applies_at_once(changes.load_policy(), "form", "FR", ["phone"])
    req = _request(session, kind="directory_update")
    token, rid = req.token, req.id
    answer_all(web_client, token, dict(SAMPLES["directory_update"], phone="+33 9"), "fr")
    session.expire_all()
    sub = session.scalar(select(Submission).where(Submission.request_id == rid))
    contact = session.get(Contact, sub.data["contact_id"])
    assert sub.review == "pending" and contact.phone == "+33 1 00 00 00 00"
    assert review(session, sub, True, actor="officer@example.org") == ["phone"]
    session.commit()
    [change] = session.scalars(select(ContactChange)).all()
    assert (change.source, change.old, change.new, change.submission_id) == (
        "form",
        "+33 1 00 00 00 00",
        "+33 9",
        sub.id,
    )
    assert contact.phone == "+33 9"
