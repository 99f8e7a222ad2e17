"""The composed letters, byte for byte, against fixture files.

A representative set of letters (a reminder, an escalation, digests, a receipt,
a bilingual letter, Arabic, Chinese) is composed with a fixed clock, fixed
tokens and fixed Message-IDs, and compared with ``tests/fixtures/letters/*.eml``:
headers one by one, then the whole message. A change to the wording changes
these files on purpose; regenerate them with

    FOCALBOT_WRITE_FIXTURES=1 .venv/bin/python -m pytest -q tests/outbound/test_compose_bytes.py

and read the diff before committing it. A change meant to be invisible (speed)
must leave them as they are.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, date, datetime
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
import time_machine
from babel import Locale

from bot import links, tokens
from bot.inbound.receipts import queue_receipt
from bot.model import Contact, Direction, Message, User
from bot.outbound import compose
from bot.outbound.letters import Addressee, Letter, write_letter
from bot.policy.ladder import load_policy
from tests import factories

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "letters"
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
WRITE = os.environ.get("FOCALBOT_WRITE_FIXTURES") == "1"
POLICY = load_policy()


class _Uuids:
    """Stands for the ``uuid`` module in ``compose``: uuid4() counts up from 1."""

    def __init__(self) -> None:
        self.n = 0

    def uuid4(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(int=self.n)


def _token(n: int) -> str:
    body = f"{n:011d}"
    return body + tokens.check_char(body)


def _state(s, code: str):
    st = factories.state(s, code)
    st.names = {
        lang: Locale.parse(lang).territories[code] for lang in ("ar", "zh", "en", "fr", "ru", "es")
    }
    return st


def _contact(
    s, code: str, role: str, name: str, title: str, email: str, languages: list[str]
) -> Contact:
    c = Contact(
        state=_state(s, code),
        role=role,
        name=name,
        title=title,
        emails=[email],
        languages=languages,
    )
    s.add(c)
    s.flush()
    return c


def _request(s, code: str, kind: str, due: date, n: int, contact: Contact | None = None, **kw):
    r = factories.request(s, code, kind=kind, due=due, contact=contact, **kw)
    r.token = _token(n)
    return r


def _to(c: Contact) -> Addressee:
    langs = tuple(c.languages) or (
        (c.state.language, "en") if c.state.language != "en" else ("en",)
    )
    return Addressee(c.name, c.email or "", langs, c)


def _letter(s, settings, name: str, requests, steps: list[str], to, cc=()) -> tuple[str, bytes]:
    ladder_steps = [
        next(s for s in POLICY.ladder(r.kind).steps if s.name == step)
        for r, step in zip(requests, steps, strict=True)
    ]
    letter = Letter(requests=list(requests), steps=ladder_steps, to=list(to), cc=list(cc))
    row = write_letter(s, settings, letter, now=NOW, previous=[])
    return name, row.raw


def _compose_all(s, settings) -> dict[str, bytes]:
    due = date(2027, 2, 1)
    out: dict[str, bytes] = {}
    # a reminder in English, to a contact whose title is a post
    kamau = _contact(
        s,
        "KE",
        "mla",
        "Joseph Kamau",
        "Head, International Cooperation",
        "mla.ke@example.org",
        ["en"],
    )
    r = _request(
        s,
        "KE",
        "clarification",
        due,
        1,
        kamau,
        subject="Channels for urgent requests for mutual legal assistance (art. 18, para. 13)",
    )
    out.update([_letter(s, settings, "reminder-en", [r], ["reminder1"], [_to(kamau)])])
    # an escalation in French: to the permanent mission, the alternate and the officer in copy
    fp = _contact(
        s,
        "FR",
        "focal_point",
        "Aminata Diallo",
        "Conseillère juridique",
        "fp.fr@example.org",
        ["fr"],
    )
    alternate = _contact(
        s, "FR", "alternate", "Jean Martin", "", "alternate.fr@example.org", ["fr"]
    )
    mission = _contact(s, "FR", "mission", "", "", "mission.fr@example.net", [])
    officer = User(email="officer@secretariat.example.org", name="Case Officer", password_hash="x")
    s.add(officer)
    s.flush()
    r = _request(s, "FR", "questionnaire", due, 2, fp, officer_id=officer.id)
    out.update(
        [
            _letter(
                s,
                settings,
                "escalation-fr",
                [r],
                ["escalation"],
                [_to(mission)],
                [_to(alternate), Addressee(officer.name, officer.email, ("en",))],
            )
        ]
    )
    # a digest of three requests in Chinese, to a contact with a title
    wang = _contact(s, "CN", "focal_point", "王丽", "处长", "fp.cn@example.org", ["zh"])
    reqs = [
        _request(s, "CN", "questionnaire", due, 3, wang),
        _request(s, "CN", "directory_update", due, 4, wang, cycle=""),
        _request(s, "CN", "clarification", due, 5, wang, subject="Article 16: which authority?"),
    ]
    out.update([_letter(s, settings, "digest-zh", reqs, ["reminder1"] * 3, [_to(wang)])])
    # a two-language digest of three requests, to a contact with no language set
    lopez = _contact(
        s,
        "MX",
        "focal_point",
        "María Fernanda López",
        "Directora de Asuntos Jurídicos",
        "fp.mx@example.org",
        [],
    )
    reqs = [
        _request(s, "MX", "questionnaire", due, 6, lopez),
        _request(s, "MX", "directory_update", due, 7, lopez, cycle=""),
        _request(s, "MX", "clarification", due, 8, lopez, subject="Article 16: which authority?"),
    ]
    out.update(
        [
            _letter(
                s,
                settings,
                "digest-es-en",
                reqs,
                ["request", "reminder1", "reminder2"],
                [_to(lopez)],
            )
        ]
    )
    # a bilingual letter, Arabic then English
    ahmed = _contact(
        s, "EG", "focal_point", "أحمد سامي عبد الله", "مستشار", "fp.eg@example.org", ["ar", "en"]
    )
    r = _request(s, "EG", "questionnaire", date(2027, 3, 8), 9, ahmed)
    out.update([_letter(s, settings, "due-soon-ar-en", [r], ["due_soon"], [_to(ahmed)])])
    # Arabic alone: a directory update, which lists the directory's details
    mona = _contact(
        s, "EG", "mla", "منى حسن", "رئيسة إدارة التعاون الدولي", "mla.eg@example.org", ["ar"]
    )
    mona.organisation, mona.phone, mona.address = (
        "مكتب النائب العام",
        "+20 2 0000 0002",
        "القاهرة\nمصر",
    )
    r = _request(s, "EG", "directory_update", due, 10, mona, cycle="")
    out.update([_letter(s, settings, "directory-update-ar", [r], ["request"], [_to(mona)])])
    # a contact with neither name nor title, in Russian
    nobody = _contact(s, "RU", "mla", "", "", "mla.ru@example.org", ["ru"])
    r = _request(s, "RU", "technical_assistance", due, 11, nobody)
    out.update([_letter(s, settings, "reminder-ru-no-name", [r], ["reminder1"], [_to(nobody)])])
    # a receipt in Russian, for a reply
    petrova = _contact(
        s, "RU", "focal_point", "Ирина Сергеевна Петрова", "советник", "fp.ru@example.org", ["ru"]
    )
    r = _request(s, "RU", "questionnaire", due, 12, petrova)
    reply = Message(
        direction=Direction.IN.value,
        delivery="processed",
        message_id="<reply-1@example.org>",
        request_id=r.id,
        from_addr="fp.ru@example.org",
        language="ru",
        raw=b"",
        subject="Re",
    )
    s.add(reply)
    s.flush()
    row_id = queue_receipt(
        s,
        settings,
        reply,
        r,
        petrova,
        received={"attachments": ["a.docx", "b.pdf"]},
        references=["<letter-1@secretariat.example.org>"],
        now=NOW,
    )
    assert isinstance(row_id, int), row_id
    out["receipt-ru"] = s.get(Message, row_id).raw
    return out


@pytest.fixture
def letters(app, settings, session, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setattr(compose, "uuid", _Uuids())
    digest_tokens = iter(range(900, 1000))  # a digest's own reply token
    monkeypatch.setattr(tokens, "new_token", lambda: _token(next(digest_tokens)))
    form_links = iter(range(1, 1000))  # a letter's form links: fixed, 17 characters
    monkeypatch.setattr(links, "new_raw", lambda: f"Link{next(form_links):013d}")
    with time_machine.travel(NOW, tick=False):
        return _compose_all(session, settings)


NAMES = [
    "reminder-en",
    "escalation-fr",
    "digest-zh",
    "digest-es-en",
    "due-soon-ar-en",
    "directory-update-ar",
    "reminder-ru-no-name",
    "receipt-ru",
]


def test_it_composes_the_same_set_of_letters(letters):
    assert sorted(letters) == sorted(NAMES)


def _fixed_boundary(raw: bytes) -> bytes:
    """The MIME boundary is random by design; the test names it once, the rest is compared as is."""
    found = re.search(rb'boundary="([^"]+)"', raw)
    assert found, "a letter is multipart/alternative"
    return raw.replace(found.group(1), b"==BOUNDARY==")


@pytest.mark.parametrize("name", NAMES)
def test_it_composes_each_letter_byte_for_byte(letters, name):
    raw = _fixed_boundary(letters[name])
    path, text_path = FIXTURES / f"{name}.eml", FIXTURES / f"{name}.txt"
    got = message_from_bytes(raw, policy=email_policy.default)
    text = got.get_body(("plain",)).get_content().replace("\r\n", "\n")
    if WRITE:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        text_path.write_text(text, encoding="utf-8")  # the plain text as read, for reviewing a diff
    expected = path.read_bytes()
    want = message_from_bytes(expected, policy=email_policy.default)
    assert got.items() == want.items()  # every header, in order, as written
    assert text == text_path.read_text(encoding="utf-8")
    assert re.fullmatch(r"<[0-9a-f]{32}@secretariat\.example\.org>", got["Message-ID"])
    assert raw == expected


def test_it_leaves_the_web_pages_catalog_alone(app, letters):
    """Mail binds each language's catalog into an environment of its own, never the app's."""
    from flask_babel import force_locale

    page = app.jinja_env.from_string("{% trans %}Reminder{% endtrans %}")
    with force_locale("en"):
        assert page.render() == "Reminder"
    with force_locale("fr"):
        assert page.render() == "Rappel"
