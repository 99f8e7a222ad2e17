"""The directly written message against the email package's own, header by header and whole."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest

from bot.outbound import mime
from bot.outbound.compose import Envelope, Rendered, _cte, build_bytes, literal
from bot.outbound.salutation import clean

NAMES = [
    "",
    "Authority 7",
    "Joseph Kamau",
    "Head, International Cooperation Joseph Kamau",
    "O'Brien",
    'Dr. "Jo" Smith',
    "María Fernanda López",
    "王丽",
    "أحمد سامي عبد الله",
    "Ирина Сергеевна Петрова",
    "  two  spaces ",
    "=?utf-8?q?x?=",
    "a" * 70,
    "Name With Many Words " * 4,
    "Jean-Luc Picard",
    "x@y",
    "Ministère de la Justice, Direction des affaires criminelles et des grâces",
]
ADDRESSES = [
    "a@example.org",
    "first.last@example.org",
    "replies+abc123@secretariat.example.org",
    "o'brien@example.org",
    "x_y-z@sub.example.net",
]
SUBJECTS = [
    "[FB-1] Reminder: Request for clarification",
    "x" * 69,
    "x" * 70,
    "y " * 40,
    "[FB-9] اقتراب الموعد النهائي: استبيان دورة الإبلاغ 2026-2027 / Deadline approaching",
    "秘书处有3项请求等待您答复",
    "[FB-12] Подтверждение получения",
    "Cuestionario: ñandú",
    "=?x?= trap",
    "tab\there",
    "ends with space ",
    " starts with space",
    "double  space",
]


def _slow_header(name: str, value) -> bytes:
    return SMTP.fold_binary(name, SMTP.header_factory(name, value))


@pytest.mark.parametrize("value", SUBJECTS)
def test_it_writes_an_unstructured_header_as_the_email_package(value):
    assert mime.header("Subject", value) == _slow_header("Subject", value)


def test_it_writes_structured_headers_as_the_email_package():
    ids = [f"<{n:032x}@secretariat.example.org>" for n in range(1, 11)]
    zones = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
    cases = [("Reply-To", a) for a in ADDRESSES] + [("Message-ID", i) for i in ids]
    cases += [("References", " ".join(ids[:n])) for n in range(1, 11)]
    cases += [("Date", format_datetime(datetime(2027, 3, 1, 9, 30, tzinfo=z))) for z in zones]
    cases += [("Content-Language", v) for v in ("en", "ar, en", "zh")]
    for name, value in cases:
        assert mime.header(name, value) == _slow_header(name, value), (name, value)


def test_it_writes_address_headers_as_the_email_package():
    rng = random.Random(7)
    for _ in range(300):
        pairs = [(rng.choice(NAMES), rng.choice(ADDRESSES)) for _ in range(rng.randint(1, 3))]
        want = _slow_header("To", [Address(display_name=n, addr_spec=a) for n, a in pairs])
        assert mime.address_header("To", pairs) == want, pairs


def _reference(rendered: Rendered, env: Envelope) -> EmailMessage:
    """The message as the email package builds it (from names and subject read literally)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address("UNTOC secretariat", addr_spec="secretariat@secretariat.example.org")
    msg["To"] = [Address(display_name=literal(clean(n)), addr_spec=a) for n, a in env.to]
    if env.cc:
        msg["Cc"] = [Address(display_name=literal(clean(n)), addr_spec=a) for n, a in env.cc]
    msg["Reply-To"] = env.reply_to
    msg["Subject"] = literal(rendered.subject)
    assert env.date is not None
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = env.message_id
    if env.references:
        msg["In-Reply-To"] = env.references[-1]
        msg["References"] = " ".join(env.references)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "RN, NRN, AutoReply"
    for subtype, text in (("plain", rendered.text), ("html", rendered.html)):
        cte = _cte(text)
        if subtype == "plain":
            msg.set_content(text, subtype=subtype, charset="utf-8", cte=cte)
        else:
            msg.add_alternative(text, subtype=subtype, charset="utf-8", cte=cte)
    msg["Content-Language"] = rendered.language
    return msg


def _texts(rng: random.Random) -> str:
    words = [
        "secretariat",
        "Conférence",
        "الأمانة",
        "秘书处",
        "секретариат",
        "=3D",
        "a=b",
        "x" * 90,
        "http://bot.example.org/f/ABC",
        "tail ",
        "\t",
        "From",
        ".",
    ]
    lines = [
        " ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))
        for _ in range(rng.randint(1, 30))
    ]
    return "\n".join(lines) + rng.choice(["", "\n"])


def test_it_writes_the_whole_message_as_the_email_package():
    rng = random.Random(11)
    for n in range(120):
        rendered = Rendered(
            rng.choice(SUBJECTS), _texts(rng), f"<p>{_texts(rng)}</p>", rng.choice(["en", "ar, en"])
        )
        env = Envelope(
            mail_from="UNTOC secretariat <secretariat@secretariat.example.org>",
            to=[(rng.choice(NAMES), rng.choice(ADDRESSES))],
            cc=[(rng.choice(NAMES), rng.choice(ADDRESSES)) for _ in range(rng.randint(0, 2))],
            reply_to=rng.choice(ADDRESSES),
            message_id=f"<{n:032x}@secretariat.example.org>",
            references=[f"<{k:032x}@secretariat.example.org>" for k in range(rng.randint(0, 10))],
            date=datetime(2027, 3, 1, 9, 30, tzinfo=UTC),
        )
        ours = build_bytes(rendered, env)
        theirs = _reference(rendered, env).as_bytes()
        boundary = re.search(rb'boundary="([^"]+)"', ours).group(1)
        assert ours.replace(boundary, b"B") == re.sub(rb"=+\d+==", b"B", theirs), n
