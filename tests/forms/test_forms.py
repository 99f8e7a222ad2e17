"""The focal points' form: /f/TOKEN."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import audit
from bot.model import AuditEvent, Request, Submission
from tests.forms.helpers import SAMPLES, answer_all, csrf_token_in, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

ANSWERS = dict(SAMPLES["questionnaire"], a5_offence_law="Loi n° 2004-204 du 9 mars 2004")
KINDS = sorted(SAMPLES)


def fr(message: str) -> str:
    """``message`` as the French focal point reads it (escaped as the page shows it)."""
    from babel.support import Translations
    from markupsafe import escape

    from bot import TRANSLATIONS_DIR

    return str(escape(Translations.load(str(TRANSLATIONS_DIR), ["fr"]).gettext(message)))


def _request(session, **kw) -> Request:
    req = make_request(session, **kw)
    session.commit()
    return req


def test_it_shows_the_form_in_french(session, web_client):
    req = _request(session)
    resp = web_client.get(f"/f/{req.token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="fr" dir="ltr">' in html
    assert "Questionnaire sur l&#39;application de la Convention" in html
    assert fr("Page %(n)d of %(total)d") % {"n": 1, "total": 14} in html
    assert fr("Page %(n)d of %(total)d") != "Page %(n)d of %(total)d"
    from babel.dates import format_date

    assert f"{fr('Deadline')}: {format_date(req.due_date, 'long', locale='fr')}" in html
    assert req.tag in html


def test_it_shows_the_arabic_form_right_to_left(session, web_client):
    req = _request(session, code="EG", language="ar")
    html = web_client.get(f"/f/{req.token}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "استبيان بشأن تنفيذ الاتفاقية: دورة الإبلاغ لعام 2027" in html


def test_it_prefers_lang_then_the_contact_then_the_state(session, web_client):
    req = _request(session, code="CA", language="en", contact_languages=["fr"])
    assert 'lang="fr"' in web_client.get(f"/f/{req.token}").get_data(as_text=True)[:200]
    html = web_client.get(f"/f/{req.token}?lang=es").get_data(as_text=True)
    assert '<html lang="es"' in html
    for code, name in [("ar", "العربية"), ("zh", "中文"), ("ru", "русский"), ("en", "English")]:
        assert f'lang="{code}"' in html and name in html


def test_it_reads_the_token_case_insensitively(session, web_client):
    req = _request(session)
    assert web_client.get(f"/f/{req.token.lower()}").status_code == 200


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["ar", "en", "ru"])
def test_it_keeps_every_form_page_tiny(session, web_client, kind, lang):
    req = _request(session, kind=kind)
    resp = web_client.get(f"/f/{req.token}?lang={lang}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert len(resp.data) <= 10 * 1024  # HTML and its inline CSS
    assert "<script" not in html and "<img" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_it_records_an_answer(session, web_client):
    req = _request(session)
    resp = web_client.post(f"/f/{req.token}?lang=fr", data=ANSWERS)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/f/{req.token}?lang=fr&page=1")
    resp = answer_all(web_client, req.token, ANSWERS, "fr")
    assert resp.headers["Location"].endswith(f"/f/{req.token}/done?lang=fr")
    session.expire_all()
    sub = session.scalar(select(Submission).where(Submission.request_id == req.id))
    assert sub.source == "form" and sub.language == "fr"
    assert sub.submitted_by == "claire.martin@justice.example.fr"
    assert sub.data["a5_offence_law"] == "Loi n° 2004-204 du 9 mars 2004"
    assert session.get(Request, req.id).status == "answered"
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "submission.received" in actions and "request.status" in actions
    assert audit.verify(session).ok
    session.rollback()
    done = web_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert req.tag in done and "Loi n° 2004-204 du 9 mars 2004" in done


def test_it_shows_errors_and_keeps_what_was_typed(session, web_client):
    req = _request(session)
    data = dict(ANSWERS, respondent_email="not an address", respondent_name="")
    data["institutions"] = "Claire Martin, magistrate"
    resp = web_client.post(f"/f/{req.token}", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Claire Martin, magistrate" in html
    assert fr("This field is required.") in html
    assert fr("Please enter a valid email address, such as name@example.org.") in html
    session.expire_all()
    assert session.scalar(select(Submission)) is None


def test_it_says_an_unknown_link_is_not_valid(session, web_client):
    resp = web_client.get("/f/ABCDEFGHJKMN")
    assert resp.status_code == 404
    assert "This link is not valid" in resp.get_data(as_text=True)
    assert "reply to that email" in resp.get_data(as_text=True)
    assert web_client.post("/f/nonsense", data=ANSWERS).status_code == 404


def test_it_says_an_old_link_has_expired(session, web_client, settings):
    due = date.today() - timedelta(days=settings.token_valid_days + 2)
    req = _request(session, due=due)
    resp = web_client.get(f"/f/{req.token}")
    assert resp.status_code == 410
    assert fr("This link has expired") in resp.get_data(as_text=True)
    assert '<html lang="fr"' in resp.get_data(as_text=True)


@pytest.mark.parametrize("status", ["closed", "waived"])
def test_it_says_a_closed_request_is_closed(session, web_client, status):
    req = _request(session)
    req.status = status
    session.commit()
    resp = web_client.get(f"/f/{req.token}")
    assert resp.status_code == 200
    assert fr("This request is closed") in resp.get_data(as_text=True)
    assert web_client.post(f"/f/{req.token}", data=ANSWERS).status_code == 409
    assert web_client.post(f"/f/{req.token}/submit").status_code == 409
    session.expire_all()
    assert session.scalar(select(Submission)) is None


def test_it_refuses_a_post_without_csrf_and_keeps_the_data(session, csrf_web):
    req = _request(session)
    client = csrf_web.test_client()
    resp = client.post(f"/f/{req.token}?lang=fr", data=ANSWERS)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert (
        fr(
            "Your answers were not sent, because this page was open for too long or your browser "
            "did not keep its session. What you typed is below: please check it and send it again."
        )
        in html
    )
    assert "Claire Martin, magistrate" in html
    session.expire_all()
    assert session.scalar(select(Submission)) is None
    token = req.token
    session.rollback()
    data = dict(ANSWERS, csrf_token=csrf_token_in(html))
    assert client.post(f"/f/{token}?lang=fr", data=data).status_code == 303


def test_a_submit_with_a_stale_csrf_token_keeps_the_draft(session, csrf_web):
    req = _request(session, kind="clarification")
    token, rid = req.token, req.id
    client = csrf_web.test_client()
    csrf = csrf_token_in(client.get(f"/f/{token}?lang=fr").get_data(as_text=True))
    data = dict(SAMPLES["clarification"], csrf_token=csrf)
    assert "/review" in client.post(f"/f/{token}?lang=fr", data=data).headers["Location"]
    resp = client.post(f"/f/{token}/submit?lang=fr", data={"csrf_token": "stale"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "The law of 9 March 2004 applies to legal persons too." in html
    session.expire_all()
    assert session.scalar(select(Submission)) is None
    session.rollback()
    fresh = csrf_token_in(html)
    resp = client.post(f"/f/{token}/submit?lang=fr", data={"csrf_token": fresh})
    assert resp.status_code == 303
    session.expire_all()
    assert session.scalar(select(Submission).where(Submission.request_id == rid)) is not None


def test_it_accepts_a_post_with_the_pages_csrf_token(session, csrf_web):
    req = _request(session)
    client = csrf_web.test_client()
    token = csrf_token_in(client.get(f"/f/{req.token}").get_data(as_text=True))
    resp = client.post(f"/f/{req.token}", data=dict(ANSWERS, csrf_token=token))
    assert resp.status_code == 303


def test_it_accepts_a_post_over_https_from_the_same_origin(session, csrf_web):
    """Flask-WTF refuses HTTPS POSTs without a same-origin Referer; the Referrer-Policy lets
    browsers send it."""
    req = _request(session)
    client = csrf_web.test_client()
    base = "https://bot.example.org"
    page = client.get(f"/f/{req.token}", base_url=base)
    assert page.headers["Referrer-Policy"] == "same-origin"
    data = dict(ANSWERS, csrf_token=csrf_token_in(page.get_data(as_text=True)))
    headers = {"Referer": f"{base}/f/{req.token}"}
    assert (
        client.post(f"/f/{req.token}", data=data, base_url=base, headers=headers).status_code == 303
    )
