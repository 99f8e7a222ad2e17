"""No header injection through any field that reaches an email header, nor a web response's.

Hostile values (a CR/LF with a header after it, the same as an encoded word that decodes to
one, non-ASCII) go in every field that reaches a header: contact names, State names and the
request's subject and cycle (in a letter's subject), SECRETARIAT_NAME, MAIL_FROM, the reply
address, a user's name in the account mail, the Message-ID and References of a message
answered by a receipt. The built bytes (bot/outbound/compose.py, mime.py) must hold exactly
the headers the software writes, each once, and parse back to the values given. On the web,
a ``next`` and a file name with CR/LF must not reach a response header."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import config as configuration
from bot.inbound.ingest import ingest
from bot.model import Message, Request, State
from bot.outbound import mime
from bot.outbound.compose import Envelope, Rendered, build_bytes, literal
from bot.outbound.letters import Letter, choose_addressees, write_letter
from bot.outbound.salutation import clean
from bot.policy.ladder import load_policy
from tests.conftest import make_settings
from tests.forms.helpers import Client, make_contact, make_request
from tests.inbound.factories import france_with_request, reply
from tests.security.conftest import logged_in

pytestmark = pytest.mark.usefixtures("fixed_clock")

INJECTED = ("Bcc", "X-Injected", "Content-Type-Injected")
HOSTILE = [
    "Claire Martin\r\nBcc: evil@attacker.example",
    "Claire\nX-Injected: 1",
    "Claire\rX-Injected: 1",
    "=?utf-8?q?=0D=0ABcc=3A_evil@attacker.example?=",
    "Ünïcødé =?utf-8?q?x=0D=0AX-Injected=3A_1?= 王丽",
    "=?utf-8?b?DQpCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==?=",
    'Dr. "Jo" <Smith>, evil@attacker.example',
    "\u2028X-Injected: 1\x85Bcc: evil@attacker.example",
]
LETTER_HEADERS = [
    "From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Auto-Submitted",
    "X-Auto-Response-Suppress", "MIME-Version", "Content-Type", "Content-Language",
]


def header_names(raw: bytes) -> list[str]:
    """The headers of ``raw`` as the lines give them (not as a parser might forgive them):
    every line of the header block starts a header ``Name:`` or continues one."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = []
    for line in re.split(rb"\r\n", head):
        assert b"\r" not in line and b"\n" not in line, line  # no bare line end
        if line[:1] in (b" ", b"\t"):
            continue
        name, colon, _value = line.partition(b":")
        assert colon and re.fullmatch(rb"[A-Za-z0-9-]+", name), line
        names.append(name.decode())
    return names


def assert_only(raw: bytes, expected: list[str]) -> None:
    names = header_names(raw)
    assert sorted(names) == sorted(expected), names
    assert not set(names) & set(INJECTED)
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert [k for k in msg.keys() if k in INJECTED] == []
    for name in expected:
        assert len(msg.get_all(name) or []) == 1, name


def _unspaced(text: str) -> str:
    return "".join(text.split())


def _envelope(**kw) -> Envelope:
    base = dict(
        mail_from="UNTOC secretariat <secretariat@secretariat.example.org>",
        to=[("Claire Martin", "fp@interieur.example.fr")],
        reply_to="replies+abc@secretariat.example.org",
        message_id="<1@secretariat.example.org>",
        date=datetime(2027, 3, 1, 9, 30, tzinfo=UTC),
    )
    base.update(kw)
    return Envelope(**base)  # type: ignore[arg-type]


def _rendered(subject: str = "[FB-1] Questionnaire") -> Rendered:
    return Rendered(subject, "Text\n", "<p>Text</p>", "fr")


# -- the bytes built --------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_display_name_stays_in_its_header(name):
    env = _envelope(to=[(name, "fp@interieur.example.fr")], cc=[(name, "cc@example.org")])
    raw = build_bytes(_rendered(), env)
    assert_only(raw, [*LETTER_HEADERS, "Cc"])
    msg = message_from_bytes(raw, policy=email_policy.default)
    [to], [cc] = msg["To"].addresses, msg["Cc"].addresses
    assert (to.addr_spec, cc.addr_spec) == ("fp@interieur.example.fr", "cc@example.org")
    # as written (the email package reads a space in where it folded an encoded word)
    written = _unspaced(literal(clean(name)))
    assert _unspaced(to.display_name) == written == _unspaced(cc.display_name)
    assert "\n" not in to.display_name and "\r" not in to.display_name


@pytest.mark.parametrize("subject", [h for h in HOSTILE if not re.search(r"[\r\n]", h)])
def test_a_hostile_subject_stays_in_its_header_and_reads_as_written(subject):
    raw = build_bytes(_rendered(subject), _envelope())
    assert_only(raw, LETTER_HEADERS)
    got = str(message_from_bytes(raw, policy=email_policy.default)["Subject"])
    assert _unspaced(got.replace("\u2060", "")) == _unspaced(subject)


@pytest.mark.parametrize("field", ["subject", "reply_to", "message_id", "address"])
def test_a_line_break_in_a_subject_or_an_address_is_refused(field):
    bad = "x\r\nBcc: evil@attacker.example"
    rendered, env = _rendered(), _envelope()
    if field == "subject":
        rendered = _rendered(bad)
    elif field == "address":
        env = _envelope(to=[("Claire", f"fp@example.org{bad}")])
    else:
        env = _envelope(**{field: bad})
    with pytest.raises(ValueError):
        build_bytes(rendered, env)


def test_references_that_came_in_with_a_message_thread_only_when_well_formed():
    refs = [
        "<ok.1@example.org>",
        "<=?utf-8?q?a=0D=0AX-Injected=3A_1?=@attacker.example>",
        "<a@b>\r\nBcc: evil@attacker.example",
        "not an id",
        "<ok.2@example.org>",
    ]
    raw = build_bytes(_rendered(), _envelope(references=refs))
    assert_only(raw, [*LETTER_HEADERS, "In-Reply-To", "References"])
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert str(msg["References"]) == "<ok.1@example.org> <ok.2@example.org>"
    assert str(msg["In-Reply-To"]) == "<ok.2@example.org>"


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?q?=0D=0ABcc=3A_evil@attacker.example?=",
        "<ok@x> <=?utf-8?q?a=0D=0AX-Injected=3A_1?=@x>",
        "a\r\nBcc: evil@attacker.example",
        "a\nb",
        "a\x00b",
    ],
)
def test_the_header_writer_itself_never_ends_a_line_early(value):
    for name in ("Subject", "References", "In-Reply-To"):
        with pytest.raises(mime.HeaderError):
            mime.header(name, value)
    if not value.startswith("<"):  # a display name with <...> in it is quoted, not decoded
        with pytest.raises(mime.HeaderError):
            mime.address_header("To", [(value, "a@example.org")])


_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\r", "\n", "\r\n", "=?", "?=", "=0D=0A", "Bcc:", "<", ">", ",", '"']),
        st.just("=?utf-8?q?=0D=0ABcc=3A_x?="),
    ),
    max_size=30,
).map("".join)


@hsettings(max_examples=300, deadline=None)
@given(name=_TEXT, cc=_TEXT, subject=_TEXT)
def test_whatever_the_names_and_subject_no_header_is_added(name, cc, subject):
    env = _envelope(to=[(name, "fp@example.org")], cc=[(cc, "cc@example.org")])
    try:
        raw = build_bytes(_rendered(subject), env)
    except ValueError:
        assert re.search(r"[\x00-\x08\x0a-\x1f\x7f]", subject), subject  # refused: a control
        return
    assert_only(raw, [*LETTER_HEADERS, "Cc"])
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["fp@example.org"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["cc@example.org"]


# -- the settings ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MAIL_FROM", "REPLY_ADDRESS"])
@pytest.mark.parametrize(
    "value",
    [
        "secretariat@secretariat.example.org\r\nBcc: evil@attacker.example",
        "Secretariat <secretariat@secretariat.example.org>\nX-Injected: 1",
        "a <a@secretariat.example.org>, b <evil@attacker.example>",
    ],
)
def test_an_address_setting_with_a_line_break_or_two_addresses_is_refused(tmp_path, name, value):
    with pytest.raises(configuration.ConfigError, match=name):
        make_settings(tmp_path, **{name: value})


def _letter(session, settings) -> bytes:
    req = session.scalar(select(Request))
    step = next(iter(load_policy(settings.policy_file).ladder(req.kind).steps))
    to, cc, _invalid = choose_addressees(session, req, step)
    row = write_letter(session, settings, Letter([req], [step], to, cc), now=datetime.now(UTC))
    session.commit()
    return row.raw


def test_a_letter_with_hostile_values_in_every_field_has_only_its_headers(
    tmp_path, settings, session, web
):
    hostile = make_settings(
        tmp_path,
        DATABASE_URL=settings.database_url,
        SECRETARIAT_NAME="Secretariat\r\nBcc: evil@attacker.example",
        MAIL_FROM='"Secrétariat =?utf-8?q?=0D=0ABcc=3A_evil?=" '
        "<secretariat@secretariat.example.org>",
    )
    req = make_request(session, contact_languages=["fr"])
    req.subject = "Autorité\r\nBcc: evil@attacker.example"
    req.cycle = "2025 =?utf-8?q?=0D=0AX-Injected=3A_1?="
    state = session.get(State, "FR")
    state.names = {**state.names, "fr": HOSTILE[0], "en": HOSTILE[3]}
    contact = req.state.contacts[0]
    contact.name, contact.title = HOSTILE[4], HOSTILE[1]
    make_contact(session, state, email="second@interieur.example.fr", name=HOSTILE[5],
                 role="alternate", languages=["fr"])
    session.commit()
    with web.app_context():
        raw = _letter(session, hostile)
    names = header_names(raw)
    assert not set(names) & set(INJECTED)
    assert_only(raw, [n for n in names if n not in INJECTED])
    assert set(names) >= set(LETTER_HEADERS)
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert msg["From"].addresses[0].addr_spec == "secretariat@secretariat.example.org"
    assert msg["Reply-To"].addresses[0].addr_spec.endswith("@secretariat.example.org")
    assert "Bcc" not in str(msg["Subject"]).split(":")[0]


def test_a_receipt_for_a_hostile_message_has_only_its_headers(web, session, settings):
    fr = france_with_request("questionnaire")
    raw = reply(
        token=fr["token"],
        subject="=?utf-8?q?Re=0D=0ABcc=3A_evil@attacker.example?=",
        message_id="<=?utf-8?q?a=0D=0AX-Injected=3A_1?=@attacker.example>",
        headers={"References": "<ok@x.example> <=?utf-8?q?b=0D=0AX-Injected=3A_2?=@x>"},
    )
    result = ingest(raw, source="t", settings=settings)
    assert result.outcome == "processed" and isinstance(result.receipt, int), result
    receipt = session.get(Message, result.receipt)
    assert_only(receipt.raw, [*LETTER_HEADERS, "In-Reply-To", "References"])
    msg = message_from_bytes(receipt.raw, policy=email_policy.default)
    assert "X-Injected" not in str(msg["References"])
    assert [a.addr_spec for a in msg["To"].addresses] == ["jean.dupont@justice.gouv.fr"]


def test_the_account_mail_keeps_a_hostile_user_name_in_its_header(web, session, settings):
    from bot import auth
    from bot.account_mail import queue_login_warning

    user, _password, _created = auth.set_password(
        session, "officer@secretariat.example.org", "correct horse battery staple",
        name=HOSTILE[0], actor="test",
    )
    with web.test_request_context():
        row = queue_login_warning(
            session, user, failures=5, since=datetime.now(UTC), address="198.51.100.1\r\nX: 1"
        )
    assert_only(row.raw, LETTER_HEADERS)
    msg = message_from_bytes(row.raw, policy=email_policy.default)
    assert msg["To"].addresses[0].display_name == clean(HOSTILE[0])


# -- the web --------------------------------------------------------------------------


CRLF_TARGETS = [
    "/desk/%0d%0aSet-Cookie:%20evil=1",
    "/desk/%0aX-Injected:%201",
    "%0d%0aLocation:%20https://attacker.example",
    "/\r\nSet-Cookie: evil=1",
]


@pytest.mark.parametrize("target", CRLF_TARGETS)
def test_a_next_with_a_line_break_reaches_no_header(client, target):
    resp = client.get(f"/lang/fr?next={target}")
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/", "http://localhost/")
    assert "evil" not in str(resp.headers) and "X-Injected" not in resp.headers


@pytest.mark.parametrize("target", CRLF_TARGETS)
def test_a_log_in_next_with_a_line_break_reaches_no_header(web, session, users, target):
    client = Client(web, session)
    resp = client.post(
        f"/desk/login?next={target}",
        data={"email": users["officer"], "password": "correct horse battery staple"},
    )
    assert resp.status_code == 303
    assert "\n" not in resp.headers["Location"] and "evil" not in str(resp.headers)
    assert resp.headers["Location"].endswith("/desk/")


def test_an_export_name_from_the_query_reaches_no_header(web, session, users):
    desk = logged_in(web, session, users["viewer"])
    resp = desk.get("/desk/reports/responses.csv?cycle=2025%0d%0aSet-Cookie:%20evil=1")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_-]+\.csv"', disposition), disposition
    assert "evil" not in resp.headers.get("Set-Cookie", "")
