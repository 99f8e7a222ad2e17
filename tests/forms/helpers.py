"""Rows the desk and form tests share: a State, its focal point, a request, a desk user."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot import auth
from bot.model import Contact, State, User
from bot.requests import open_request

PASSWORD = "correct horse battery staple"


def make_state(session, code="FR", language="fr", name="France") -> State:
    state = State(
        code=code,
        un_group="WEOG",
        language=language,
        names={"en": name, "fr": name, "ar": f"{name} (ar)"},
    )
    session.add(state)
    session.flush()
    return state


def make_contact(
    session, state: State, *, email="fp@interieur.example.fr", languages=None, **kw
) -> Contact:
    values = {
        "role": "focal_point",
        "name": "Claire Martin",
        "title": "Magistrate",
        "organisation": "Ministry of Justice",
        "phone": "+33 1 00 00 00 00",
        "address": "13 place Vendôme\nParis",
    }
    values.update(kw)
    contact = Contact(state_code=state.code, emails=[email], languages=languages or [], **values)
    session.add(contact)
    session.flush()
    return contact


def make_request(
    session, *, kind="questionnaire", due=None, code="FR", language="fr", contact_languages=None
):
    state = session.get(State, code) or make_state(session, code=code, language=language)
    if not state.contacts:
        make_contact(session, state, languages=contact_languages)
    session.refresh(state)
    due = due or date.today() + timedelta(days=30)
    return open_request(session, state, kind, due, cycle="2025", actor="test")


def make_user(session, email="officer@secretariat.example.org", password=PASSWORD) -> User:
    user, _, _ = auth.set_password(session, email, password, name="Officer", actor="test")
    return user


class Client:
    """A test client that ends the test's own transaction before each request: SQLite takes
    its write lock at BEGIN, and the app's request would wait for it."""

    def __init__(self, app, session):
        self.client, self.session = app.test_client(), session

    def open(self, *args, **kw):
        self.session.commit()
        return self.client.open(*args, **kw)

    def get(self, *args, **kw):
        self.session.commit()
        return self.client.get(*args, **kw)

    def post(self, *args, **kw):
        self.session.commit()
        return self.client.post(*args, **kw)


def make_web_app(settings, *, csrf: bool):
    """The app, without an application context held open, so each request gets its own."""
    from bot.app import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=csrf)


def csrf_token_in(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client, email="officer@secretariat.example.org", password=PASSWORD):
    return client.post("/desk/login", data={"email": email, "password": password})


@pytest.fixture
def web(settings, session):
    return make_web_app(settings, csrf=False)


@pytest.fixture
def web_client(web):
    return web.test_client()


@pytest.fixture
def csrf_web(settings, session):
    return make_web_app(settings, csrf=True)


# Answers that fill each kind's form, its required fields at least.
SAMPLES: dict[str, dict] = {
    "questionnaire": {
        "respondent_name": "Claire Martin, magistrate",
        "respondent_email": "claire.martin@justice.example.fr",
        "a5_offence": "yes",
        "a5_offence_law": "Code pénal, art. 450-1 (loi n° 2004-204 du 9 mars 2004)",
        "a16_nationals": "no",
        "a16_sentence": "partly",
    },
    "directory_update": {
        "name": "Claire Martin",
        "title": "Magistrate",
        "organisation": "Ministry of Justice",
        "emails": "fp@interieur.example.fr",
        "phone": "+33 1 00 00 00 00",
        "address": "13 place Vendôme\nParis",
        "access": "public",
    },
    "clarification": {"answer": "The law of 9 March 2004 applies to legal persons too."},
    "technical_assistance": {
        "areas": ["criminalization", "firearms"],
        "description": "Training of prosecutors on the marking of firearms.",
        "respondent_email": "claire.martin@justice.example.fr",
    },
    "supplementary_information": {
        "provisions": ["art6", "art18"],
        "art6__measures": "A financial intelligence unit was set up in 2024.",
        "art18__measures": "The central authority answers within 30 days.",
        "art18__difficulties": "Requests arrive without translation.",
    },
    "case_examples": {
        "type": "mla",
        "year": "2024",
        "requesting_state": "France",
        "requested_state": "Senegal",
        "articles": ["18"],
        "outcome": "granted",
        "summary": "Bank records obtained for a laundering case within two months.",
    },
    "appoint": {
        "role": "focal_point",
        "name": "Aminata Diallo",
        "organisation": "Ministry of Foreign Affairs",
        "email": "a.diallo@diplomatie.example.sn",
        "languages": ["fr", "en"],
    },
}


def fill_pages(client, token: str, data: dict, lang: str = "en", *, max_pages: int = 40) -> str:
    """Post every page of the form with ``data`` until the summary; the summary's URL."""
    url = f"/f/{token}?lang={lang}"
    for _ in range(max_pages):
        resp = client.post(url, data=dict(data))
        assert resp.status_code == 303, resp.get_data(as_text=True)[-3000:]
        url = resp.headers["Location"]
        if "/review" in url:
            return url
    raise AssertionError("the form never reached its summary")


def answer_all(client, token: str, data: dict, lang: str = "en"):
    """Fill every page, look at the summary, send: the response of the final submit."""
    review = fill_pages(client, token, data, lang)
    assert client.get(review).status_code == 200
    return client.post(f"/f/{token}/submit?lang={lang}")
