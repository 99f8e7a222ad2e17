"""Form links: short, random, stored hashed, for one contact and one request; expired,
revoked and wrong links; the fresh-link button; the rate limit; GET changes nothing."""

from __future__ import annotations

import math
import re
import string
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
import time_machine
from babel.support import Translations
from markupsafe import escape
from sqlalchemy import func, select, text

from bot import TRANSLATIONS_DIR, links
from bot.model import (
    AuditEvent,
    Contact,
    FormLink,
    FormLinkMiss,
    Message,
    Request,
    Submission,
    SuccessorProposal,
)
from bot.outbound.letters import Letter, choose_addressees, write_letter
from bot.policy.ladder import load_policy
from bot.requests import close
from tests.conftest import FIXED_NOW, make_settings
from tests.forms.helpers import SAMPLES, Client, csrf_token_in, fill_pages, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

ANSWERS = SAMPLES["questionnaire"]
TYPED = "claire.martin@justice.example.fr"  # typed on the first page
_URL = re.compile(r"https?://[^\s<>\"]+/f/([A-Za-z0-9]{17})(?![A-Za-z0-9])")


def _step(ladder, name: str):
    return next(step for step in ladder.steps if step.name == name)


def t(lang: str, message: str) -> str:
    """``message`` in ``lang``."""
    return Translations.load(str(TRANSLATIONS_DIR), [lang]).gettext(message)


def shows(html: str, lang: str, message: str) -> bool:
    """The page shows ``message`` in ``lang`` (escaped or not, as Jinja left it)."""
    said = t(lang, message)
    return said in html or str(escape(said)) in html


@pytest.fixture
def client(web, session):
    return Client(web, session)


@pytest.fixture
def csrf_client(csrf_web, session):
    return Client(csrf_web, session)


def _opened(session, **kw) -> tuple[Request, Contact]:
    req = make_request(session, **kw)
    contact = req.state.contacts[0]
    session.commit()
    return req, contact


def _link(session, req, contact, *, days=120, now=None) -> str:
    raw = links.create(session, req, contact, days=days, now=now)
    session.commit()
    return raw


def _letter_text(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=email_policy.default)
    return "\n".join(
        part.get_content() for part in msg.walk() if part.get_content_type() == "text/plain"
    )


def _write_letter(session, settings, req) -> Message:
    step = _step(load_policy(settings.policy_file).ladder(req.kind), "request")
    to, cc, _invalid = choose_addressees(session, req, step)
    row = write_letter(session, settings, Letter([req], [step], to, cc), now=FIXED_NOW, previous=[])
    session.commit()
    return row


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# -- the link in the letter ---------------------------------------------------------


def test_a_letter_carries_a_short_random_link_that_opens_the_form(session, settings, client):
    req, contact = _opened(session)
    row = _write_letter(session, settings, req)
    body = _letter_text(row.raw)
    found = _URL.findall(body)
    assert found, body
    raw = found[0]
    url = f"{settings.public_url}/f/{raw}"
    assert url in body.splitlines()  # whole, on a line of its own
    assert len(url) <= 60
    assert raw != req.token and req.token not in url
    link = session.scalar(select(FormLink).where(FormLink.hash == links.digest(raw)))
    assert link is not None and (link.request_id, link.contact_id) == (req.id, contact.id)
    assert link.expires_at - link.created_at == timedelta(days=120)
    assert f"{url}/successor" in body  # "this is no longer me"
    assert client.get(f"/f/{raw}").status_code == 200


def test_a_link_fits_a_line_with_a_long_public_url(tmp_path):
    settings = make_settings(tmp_path, PUBLIC_URL="https://forms.secretariat.example.org")
    assert len(links.url(settings, links.new_raw())) <= 60


def test_a_link_has_at_least_96_random_bits():
    alphabet = set(string.ascii_letters + string.digits)
    assert links.LINK_LENGTH * math.log2(len(links.ALPHABET)) >= 96
    drawn = [links.new_raw() for _ in range(2000)]
    assert all(len(raw) == links.LINK_LENGTH and set(raw) <= alphabet for raw in drawn)
    assert len(set(drawn)) == len(drawn)
    # every symbol turns up in every position: none is fixed or drawn from a smaller set
    for position in range(links.LINK_LENGTH):
        assert {raw[position] for raw in drawn} == alphabet
    assert all(links.looks_like_link(raw) for raw in drawn[:10])
    assert not links.looks_like_link(drawn[0][:-1]) and not links.looks_like_link("x-" * 9)


def test_only_the_hash_of_a_link_is_stored(session, settings):
    req, _contact = _opened(session)
    row = _write_letter(session, settings, req)
    raw = _URL.findall(_letter_text(row.raw))[0]
    session.commit()
    # every column of every table but the letter waiting in the outbox (the bytes it will
    # send; once sent, they are kept without the links: see the test below)
    seen = [
        (t, v)
        for t, v in _every_value(session)
        if not (t == "message" and raw in v and "Content-Transfer-Encoding" in v)
    ]
    assert [table for table, value in seen if raw in value] == []
    assert any(links.digest(raw) in value for _table, value in seen)


def test_each_letter_mints_its_own_link_and_the_older_stays_valid(session, settings, client):
    req, _contact = _opened(session)
    first = _URL.findall(_letter_text(_write_letter(session, settings, req).raw))[0]
    step = _step(load_policy(settings.policy_file).ladder(req.kind), "reminder1")
    to, cc, _ = choose_addressees(session, req, step)
    second_row = write_letter(session, settings, Letter([req], [step], to, cc), now=FIXED_NOW)
    session.commit()
    second = _URL.findall(_letter_text(second_row.raw))[0]
    assert first != second
    assert client.get(f"/f/{first}").status_code == 200
    assert client.get(f"/f/{second}").status_code == 200


def test_the_request_token_no_longer_opens_the_form_once_a_link_was_sent(session, settings, client):
    req, _contact = _opened(session)
    assert client.get(f"/f/{req.token}").status_code == 200  # an old letter's URL
    _write_letter(session, settings, req)
    resp = client.get(f"/f/{req.token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 410
    assert shows(html, "fr", "Email me a new link")


# -- expired, revoked, wrong ------------------------------------------------------------


def test_an_expired_link_says_so_in_arabic_with_a_button(session, client):
    req, contact = _opened(session, code="EG", language="ar")
    raw = _link(session, req, contact, days=1, now=FIXED_NOW - timedelta(days=2))
    resp = client.get(f"/f/{raw}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 410
    assert '<html lang="ar" dir="rtl">' in html
    assert shows(html, "ar", "This link has expired")
    assert shows(html, "ar", "Email me a new link")
    assert f'action="/f/{raw}/renew?lang=ar"' in html and 'method="post"' in html


def test_a_revoked_link_says_so_in_french(session, client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    link = session.scalar(select(FormLink))
    assert links.revoke(session, link, actor="officer@example.org", reason="test")
    session.commit()
    assert not links.revoke(session, link, actor="officer@example.org")
    resp = client.get(f"/f/{raw}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 410
    assert '<html lang="fr"' in html
    assert shows(html, "fr", "This link has been withdrawn")
    assert shows(html, "fr", "Email me a new link")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "form_link.revoked"))
    assert event is not None and event.actor == "officer@example.org"


def test_the_fresh_link_goes_to_the_address_on_file_only(session, settings, csrf_client):
    req, contact = _opened(session)
    raw = _link(session, req, contact, days=1, now=FIXED_NOW - timedelta(days=2))
    page = csrf_client.get(f"/f/{raw}").get_data(as_text=True)
    token = csrf_token_in(page)
    resp = csrf_client.post(
        f"/f/{raw}/renew",
        data={"csrf_token": token, "email": "someone@elsewhere.example.com"},
    )
    assert resp.status_code == 200
    assert shows(resp.get_data(as_text=True), "fr", "A new link")
    sent = session.scalars(select(Message).where(Message.kind == "receipt")).all()
    assert len(sent) == 1
    assert sent[0].to_addrs == [contact.email] == ["fp@interieur.example.fr"]
    body = _letter_text(sent[0].raw)
    assert "someone@elsewhere" not in sent[0].raw.decode("utf-8", "replace")
    fresh = _URL.findall(body)[0]
    assert fresh != raw
    assert csrf_client.get(f"/f/{fresh}").status_code == 200
    # once a day: a second click sends nothing more
    again = csrf_client.post(f"/f/{raw}/renew", data={"csrf_token": token})
    assert again.status_code == 200
    assert _count(session, Message) == 1


def test_the_fresh_link_button_needs_a_post_with_csrf(session, csrf_client):
    req, contact = _opened(session)
    raw = _link(session, req, contact, days=1, now=FIXED_NOW - timedelta(days=2))
    assert csrf_client.get(f"/f/{raw}/renew").status_code == 405
    assert csrf_client.post(f"/f/{raw}/renew", data={}).status_code != 200
    assert _count(session, Message) == 0


def test_a_wrong_token_gets_a_plain_404(session, client):
    _opened(session)
    for token in ("AAAAAAAAAAAAAAAA", "short", "x" * 40, "0123456789ABCDEFGHJK"):
        resp = client.get(f"/f/{token}")
        assert resp.status_code == 404
        assert "This link is not valid" in resp.get_data(as_text=True)


def test_repeated_wrong_tokens_from_one_address_are_limited(session, web, client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    limit = links.forms_policy(web.config["FOCALBOT"]).misses_per_10_minutes
    here = {"REMOTE_ADDR": "198.51.100.7"}
    for _n in range(limit):
        assert client.get(f"/f/{links.new_raw()}", environ_base=here).status_code == 404
    assert client.get(f"/f/{links.new_raw()}", environ_base=here).status_code == 429
    assert client.get(f"/f/{raw}", environ_base=here).status_code == 429  # even a good one
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(f"/f/{raw}", environ_base=other).status_code == 200
    # the addresses are kept only as keyed hashes
    assert "198.51.100.7" not in str(session.scalars(select(FormLinkMiss.source)).all())
    with time_machine.travel(FIXED_NOW + timedelta(minutes=11), tick=False):
        assert client.get(f"/f/{raw}", environ_base=here).status_code == 200


def test_a_get_changes_nothing(session, client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    expired = _link(session, req, contact, days=1, now=FIXED_NOW - timedelta(days=2))
    counted = (AuditEvent, Message, Submission, SuccessorProposal, FormLink)
    before = {m: _count(session, m) for m in counted}
    for path in (f"/f/{raw}", f"/f/{raw}/successor", f"/f/{expired}", f"/f/{raw}/done"):
        assert client.get(path).status_code in (200, 410)
    session.expire_all()
    assert {m: _count(session, m) for m in counted} == before
    assert session.scalars(select(FormLink.last_used_at)).all() == [None, None]
    assert session.get(Request, req.id).status == "open"


# -- posting ----------------------------------------------------------------------------


def test_a_post_records_the_answer_once_even_when_replayed(session, client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    fill_pages(client, raw, ANSWERS, "fr")
    for _ in range(2):  # a second click, or the browser sending the POST again
        resp = client.post(f"/f/{raw}/submit?lang=fr")
        assert resp.status_code == 303
        assert resp.headers["Location"].startswith(f"/f/{raw}/done")
    assert _count(session, Submission) == 1
    session.expire_all()
    link = session.scalar(select(FormLink))
    assert link.last_used_at is not None
    assert session.get(Request, req.id).status == "answered"


def test_a_stale_csrf_token_keeps_the_answers(session, csrf_client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    token = csrf_token_in(csrf_client.get(f"/f/{raw}").get_data(as_text=True))
    with time_machine.travel(FIXED_NOW + timedelta(hours=30), tick=False):
        resp = csrf_client.post(f"/f/{raw}", data={**ANSWERS, "csrf_token": token})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400
        assert TYPED in html and "Claire Martin, magistrate" in html
        assert shows(
            html,
            "fr",
            "Your answers were not sent, because this page was open for too long or "
            "your browser did not keep its session. What you typed is below: please "
            "check it and send it again.",
        )
        assert _count(session, Submission) == 0
        again = csrf_client.post(f"/f/{raw}", data={**ANSWERS, "csrf_token": csrf_token_in(html)})
        assert again.status_code == 303  # the page is saved in the draft this time
    assert _count(session, Submission) == 0  # sent only from the summary


def test_a_form_left_open_for_hours_still_submits(session, csrf_client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    token = csrf_token_in(csrf_client.get(f"/f/{raw}").get_data(as_text=True))
    with time_machine.travel(FIXED_NOW + timedelta(hours=8), tick=False):
        assert (
            csrf_client.post(f"/f/{raw}", data={**ANSWERS, "csrf_token": token}).status_code == 303
        )


def test_a_submit_after_the_request_was_closed_says_so(session, client):
    req, contact = _opened(session)
    raw = _link(session, req, contact)
    assert client.get(f"/f/{raw}").status_code == 200
    close(session, session.get(Request, req.id), actor="officer@example.org")
    session.commit()
    resp = client.post(f"/f/{raw}", data=ANSWERS)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert shows(html, "fr", "This request is closed")
    assert _count(session, Submission) == 0


def test_a_link_shows_only_its_own_contacts_data(session, client):
    req = make_request(session, kind="directory_update")
    state = req.state
    other = Contact(
        state_code=state.code,
        role="mla",
        name="Paul Durand",
        emails=["mla@justice.example.fr"],
        phone="+33 9 99 99 99 99",
    )
    session.add(other)
    session.flush()
    own = state.contacts[0]
    raw_other = _link(session, req, other)
    html = client.get(f"/f/{raw_other}").get_data(as_text=True)
    assert "Paul Durand" in html and own.name not in html and own.phone not in html


def test_the_link_policy_is_read_from_the_policy_file(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'base = "{}"\n[forms]\nlink_days = 30\n'.format(
            (make_settings(tmp_path).policy_file.parent / "default.toml").as_posix()
        )
    )
    settings = make_settings(tmp_path, POLICY_FILE=str(policy))
    assert links.forms_policy(settings).link_days == 30
    from bot.policy.ladder import PolicyError

    policy.write_text(policy.read_text().replace("link_days = 30", "link_days = 0"))
    with pytest.raises(PolicyError, match="link_days"):
        load_policy(policy)


def _every_value(session):
    conn = session.connection()
    tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
    for table in tables:
        for values in conn.execute(text(f'SELECT * FROM "{table}"')):
            for value in values:
                if isinstance(value, bytes):
                    yield table, value.decode("utf-8", "replace")
                else:
                    yield table, str(value)


def test_once_sent_a_letter_is_kept_without_its_links(tmp_path, settings, smtp_server):
    from bot import db, service
    from bot.app import create_app
    from tests import factories

    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, SMTP_URL=smtp_server.url)
    app = create_app(s)
    with app.app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")  # quoted-printable: a token would show as it is
            factories.request(ss, "FR")
        result = service.tick(s)
        assert result.sent == 1
        (received,) = smtp_server.messages
        body = received.message.get_body(("plain",)).get_content()
        raw = _URL.findall(body)[0]
        with db.session() as ss:
            seen = list(_every_value(ss))
            kept = ss.scalars(select(Message.raw)).one()
    assert [table for table, value in seen if raw in value] == []
    assert any(links.digest(raw) in value for _table, value in seen)
    kept_body = message_from_bytes(kept, policy=email_policy.default).get_body(("plain",))
    assert "/f/[link]" in kept_body.get_content()
    # what was sent and what is kept differ only by the links
    assert body.replace(raw, "[link]") == kept_body.get_content()


@pytest.mark.parametrize(
    "name", ["reminder-en", "digest-zh", "due-soon-ar-en", "escalation-fr", "receipt-ru"]
)
def test_scrubbing_a_letter_masks_its_links_and_nothing_else(name):
    from pathlib import Path

    raw = (Path(__file__).parent.parent / "fixtures" / "letters" / f"{name}.eml").read_bytes()
    kept = links.scrub_letter(raw)
    assert kept.split(b"\r\n\r\n")[0] == raw.split(b"\r\n\r\n")[0]

    def texts(data: bytes) -> list[str]:
        msg = message_from_bytes(data, policy=email_policy.default)
        assert not msg.defects
        return [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]

    before, after = texts(raw), texts(kept)
    assert [re.sub(r"/f/Link\d{13}", "/f/[link]", t) for t in before] == after
    assert (raw == kept) == (name == "receipt-ru")  # a receipt carries no link


def test_the_request_token_alone_shows_the_expired_page_once_a_link_went_out(session, web):
    req, contact = _opened(session)
    _link(session, req, contact)
    stranger = Client(web, session)
    assert stranger.get(f"/f/{req.token}").status_code == 410
    assert stranger.post(f"/f/{req.token}", data=ANSWERS).status_code == 410
    assert _count(session, Submission) == 0


def test_behind_a_proxy_the_limit_counts_each_client(tmp_path, settings, session):
    from bot.app import create_app

    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, PROXY_HOPS="1")
    proxied = Client(create_app(s, TESTING=True), session)
    limit = links.forms_policy(s).misses_per_10_minutes
    proxy = "10.0.0.2"
    one = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    other = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _n in range(limit):
        assert proxied.get(f"/f/{links.new_raw()}", environ_base=one).status_code == 404
    assert proxied.get(f"/f/{links.new_raw()}", environ_base=one).status_code == 429
    assert proxied.get(f"/f/{links.new_raw()}", environ_base=other).status_code == 404
