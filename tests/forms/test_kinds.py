"""Request kinds are data: each one's definition, ladder, letters and form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import LANGUAGES, TEMPLATES_DIR, kinds
from bot.model import Message, Request, RequestKind, Submission
from bot.outbound.choose import ladder_kind
from bot.policy.ladder import load_policy
from forms import questionnaires
from tests.forms.helpers import SAMPLES, answer_all, make_contact, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

KINDS = sorted(SAMPLES)


def test_every_kind_is_defined_with_its_ladder_and_letters():
    assert sorted(kinds.names()) == KINDS
    assert {k.value for k in RequestKind} <= set(kinds.names())
    for policy_file in ("default.toml", "demo.toml"):
        policy = load_policy(kinds.DATA_DIR / "policies" / policy_file)
        for kind in kinds.definitions().values():
            assert policy.ladder(kind.ladder).steps, (policy_file, kind.name)
    for kind in kinds.definitions().values():
        for folder in (kind.email, kind.receipt):
            for part in ("subject.txt", "body.txt"):
                assert (TEMPLATES_DIR / "email" / folder / part).is_file(), (kind.name, folder)


@pytest.mark.parametrize("kind", KINDS)
def test_every_form_is_complete_in_the_six_languages(kind):
    q = questionnaires.load(kind)
    assert set(q.title) == set(LANGUAGES)
    for spec in q.fields:
        if spec.type != "file" or spec.label:
            assert set(spec.label) == set(LANGUAGES), spec.name
        for choice in spec.choices:
            assert set(choice.label) == set(LANGUAGES), (spec.name, choice.value)


def test_a_new_kind_opens_as_a_request_and_appoint_as_a_purpose(session):
    case = make_request(session, kind="case_examples")
    appoint = make_request(session, kind="appoint")
    assert (case.kind, case.purpose) == ("case_examples", None)
    assert (appoint.kind, appoint.purpose) == ("directory_update", "appoint")
    assert ladder_kind(case) == "case_examples"
    assert ladder_kind(appoint) == "appoint_focal_point"
    assert kinds.for_request(appoint).email == "appoint"
    with pytest.raises(ValueError, match="unknown request kind"):
        make_request(session, kind="no_such_kind")


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_and_submits(session, web_client, kind, lang):
    req = make_request(session, kind=kind, code="EG" if lang == "ar" else "FR", language=lang)
    if kind == "appoint":  # addressed to the permanent mission
        make_contact(session, req.state, role="mission", email="mission@mfa.example.org")
    session.commit()
    token, rid = req.token, req.id
    page = web_client.get(f"/f/{token}?lang={lang}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    assert questionnaires.text(questionnaires.for_request(req).title, lang) in html.replace(
        "&#39;", "'"
    )
    resp = answer_all(web_client, token, SAMPLES[kind], lang)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        f"/f/{token}/done?lang={lang}"
    )
    session.expire_all()
    sub = session.scalar(select(Submission).where(Submission.request_id == rid))
    assert sub is not None and sub.source == "form" and sub.language == lang and sub.version == 1
    assert session.get(Request, rid).status == "answered"
    receipt = session.scalar(
        select(Message).where(Message.request_id == rid, Message.kind == "receipt")
    )
    assert receipt is not None and receipt.language == lang


def test_a_clarification_shows_the_secretariats_question(session, web_client):
    from datetime import date, timedelta

    from bot.requests import open_request
    from tests.forms.helpers import make_state

    state = make_state(session, code="EG", language="ar")
    make_contact(session, state)
    question = "Does article 10 of Law 80/2002 apply to legal persons?"
    req = open_request(
        session, state, "clarification", date.today() + timedelta(days=20), subject=question
    )
    session.commit()
    html = web_client.get(f"/f/{req.token}").get_data(as_text=True)
    assert f'<strong dir="auto">{question}</strong>' in html and "سؤال الأمانة" in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html


def test_an_emailed_reply_answers_a_kind_as_its_data_says(session):
    from bot.inbound.submit import answer_data

    case = make_request(session, kind="case_examples")
    questionnaire = make_request(session, kind="questionnaire", code="EG", language="ar")
    assert kinds.for_request(case).reply == "text"
    assert answer_data(case, "Extradition granted in 2023.", {}, []) == {
        "text": "Extradition granted in 2023."
    }
    assert answer_data(questionnaire, "See attached.", {}, []) is None
    files = [{"filename": "q.pdf", "size": 10}]
    assert answer_data(questionnaire, "", {}, files) == {"attachments": files}
