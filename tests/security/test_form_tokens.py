"""Form tokens cannot be guessed, forged, reused after revocation or used after expiry, and
wrong tokens are throttled per address.

A form link (``/f/CODE``) is a random code looked up by its SHA-256: nothing in it is signed,
so "forged" means the codes and values around it that are: the CSRF token of a form page
(an HMAC under SECRET_KEY, bound to the link) and the desk's session cookie (signed by
Flask under SECRET_KEY); and a request id changed in what is posted, which a link does not
let through."""

from __future__ import annotations

import math
import random
import re
import string
from datetime import timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import links, tokens
from bot.model import FormLink, FormLinkMiss, Submission
from bot.outbound.letters import Letter, choose_addressees, write_letter
from bot.policy.ladder import load_policy
from forms import csrf as form_csrf
from tests.conftest import FIXED_NOW, make_settings
from tests.forms.helpers import (
    SAMPLES,
    Client,
    csrf_token_in,
    fill_pages,
    make_request,
    make_web_app,
)
from tests.security.conftest import logged_in

pytestmark = pytest.mark.usefixtures("fixed_clock")

_IN_LETTER = re.compile(r"/f/([A-Za-z0-9]+)")
FUZZ = hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _letters(session, settings, n: int) -> list[str]:
    """The codes carried by ``n`` letters as written for sending."""
    from email import message_from_bytes
    from email import policy as email_policy

    codes = []
    for _ in range(n):
        req = make_request(session)
        step = next(s for s in load_policy(settings.policy_file).ladder(req.kind).steps)
        to, cc, _invalid = choose_addressees(session, req, step)
        row = write_letter(session, settings, Letter([req], [step], to, cc), now=FIXED_NOW)
        msg = message_from_bytes(row.raw, policy=email_policy.default)
        text = "\n".join(
            p.get_content() for p in msg.walk() if p.get_content_type() == "text/plain"
        )
        codes += sorted(set(_IN_LETTER.findall(text)))
    session.commit()
    return codes


# -- cannot be guessed ------------------------------------------------------------------


def test_the_code_a_letter_carries_has_at_least_96_random_bits(session, settings):
    codes = _letters(session, settings, 12)
    assert len(codes) >= 12
    for code in codes:
        assert len(code) == links.LINK_LENGTH and set(code) <= set(links.ALPHABET)
    bits = links.LINK_LENGTH * math.log2(len(set(links.ALPHABET)))
    assert bits >= 96, bits
    assert len(set(codes)) == len(codes)
    # only its hash is kept: the code itself opens nothing a database reader could list
    stored = set(session.scalars(select(FormLink.hash)))
    assert {links.digest(c) for c in codes} <= stored and not stored & set(codes)


def test_codes_come_from_the_system_random_source_not_a_seeded_one():
    random.seed(7)
    first = [links.new_raw(), tokens.new_token()]
    random.seed(7)
    again = [links.new_raw(), tokens.new_token()]
    assert first[0] != again[0] and first[1] != again[1]


def test_a_reply_address_token_has_its_55_bits_and_a_check_character():
    """The request's own token (replies+TOKEN@) is no form link's secret, but it still opens
    a form until a letter carries a link: it is drawn at random and checked."""
    assert tokens.BODY_LENGTH * math.log2(tokens.N) >= 55
    drawn = {tokens.new_token() for _ in range(500)}
    assert len(drawn) == 500 and all(tokens.is_valid(t) for t in drawn)


@FUZZ
@given(code=st.text(alphabet=string.ascii_letters + string.digits, min_size=17, max_size=17))
def test_a_random_code_of_the_right_shape_opens_nothing(session, opened, code):
    _req, _contact, raw = opened
    if code == raw:
        return
    assert links.find(session, code).problem == "unknown"


@FUZZ
@given(text=st.text(min_size=0, max_size=40))
def test_any_text_opens_nothing(session, opened, text):
    _req, _contact, raw = opened
    if text == raw:
        return
    found = links.find(session, text)
    assert found.problem == "unknown" and found.request is None


@st.composite
def mutations(draw, raw: str) -> str:
    """``raw`` with one character changed, two neighbours swapped, its case changed, a
    character dropped or added."""
    how = draw(st.sampled_from(["change", "swap", "case", "drop", "add"]))
    i = draw(st.integers(0, len(raw) - 1))
    if how == "change":
        other = draw(st.sampled_from([c for c in links.ALPHABET if c != raw[i]]))
        return raw[:i] + other + raw[i + 1 :]
    if how == "swap":
        j = min(i + 1, len(raw) - 1) if i + 1 < len(raw) else i - 1
        a, b = sorted((i, j))
        return raw[:a] + raw[b] + raw[a + 1 : b] + raw[a] + raw[b + 1 :]
    if how == "case":
        return raw.swapcase()
    if how == "drop":
        return raw[:i] + raw[i + 1 :]
    return raw[:i] + draw(st.sampled_from(links.ALPHABET)) + raw[i:]


@FUZZ
@given(data=st.data())
def test_a_mutated_code_opens_nothing(session, opened, data):
    _req, _contact, raw = opened
    mutated = data.draw(mutations(raw))
    if mutated == raw:  # a swap of two equal characters
        return
    assert links.find(session, mutated).problem == "unknown"


def test_a_mutated_code_gets_the_plain_404_over_http(opened, client):
    _req, _contact, raw = opened
    assert client.get(f"/f/{raw}").status_code == 200
    for wrong in (raw[:-1] + ("A" if raw[-1] != "A" else "B"), raw.swapcase(), raw[:-1]):
        if wrong != raw:
            assert client.get(f"/f/{wrong}").status_code == 404, wrong


# -- cannot be forged ---------------------------------------------------------------------


def _page_token(client, raw) -> str:
    return csrf_token_in(client.get(f"/f/{raw}").get_data(as_text=True))


def test_a_form_token_signed_with_another_key_is_refused(session, settings, opened, tmp_path):
    _req, _contact, raw = opened
    other = make_web_app(
        make_settings(tmp_path, DATABASE_URL=settings.database_url, SECRET_KEY="another-key" * 3),
        csrf=True,
    )
    forged = _page_token(Client(other, session), raw)
    ours = make_web_app(settings, csrf=True)
    client = Client(ours, session)
    resp = client.post(f"/f/{raw}", data={**SAMPLES["questionnaire"], "csrf_token": forged})
    assert resp.status_code == 400
    good = _page_token(client, raw)
    assert good != forged
    data = {**SAMPLES["questionnaire"], "csrf_token": good}
    assert client.post(f"/f/{raw}", data=data).status_code == 303


def test_a_form_token_with_a_changed_time_or_mac_is_refused(settings, opened, csrf_web):
    _req, _contact, raw = opened
    with csrf_web.app_context():
        token = form_csrf.make(raw)
        issued, _, mac = token.partition(".")
        later = f"{int(issued, 16) + 3600:x}.{mac}"
        flipped = f"{issued}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"
        for bad in (later, flipped, mac, "", "zz." + mac, token + "0"):
            with pytest.raises(form_csrf.CSRFError):
                form_csrf.check(raw, bad)
        form_csrf.check(raw, token)  # the token as made passes


def test_a_desk_cookie_signed_with_another_key_logs_no_one_in(session, settings, users, tmp_path):
    other = make_web_app(
        make_settings(tmp_path, DATABASE_URL=settings.database_url, SECRET_KEY="another-key" * 3),
        csrf=False,
    )
    theirs = logged_in(other, session, users["admin"])
    cookie = theirs.client.get_cookie("session")
    assert cookie is not None and theirs.get("/desk/users").status_code == 200
    ours = Client(make_web_app(settings, csrf=False), session)
    ours.client.set_cookie("session", cookie.value)
    resp = ours.get("/desk/users")
    assert resp.status_code == 302 and "/desk/login" in resp.headers["Location"]


def test_a_changed_session_cookie_logs_no_one_in(session, settings, users, web):
    client = logged_in(web, session, users["viewer"])
    value = client.client.get_cookie("session").value
    tampered = Client(web, session)
    tampered.client.set_cookie("session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert tampered.get("/desk/").status_code == 302


def test_a_link_answers_only_its_own_request_whatever_id_is_posted(session, client, opened):
    req, _contact, raw = opened
    other = make_request(session, code="EG", language="ar")
    session.commit()
    answers = {**SAMPLES["questionnaire"], "request_id": str(other.id), "request": str(other.id)}
    review = fill_pages(client, f"{raw}", answers, "en")
    assert client.get(f"{review}&request_id={other.id}").status_code == 200
    assert client.post(f"/f/{raw}/submit?lang=en&request_id={other.id}").status_code == 303
    [submission] = session.scalars(select(Submission)).all()
    assert submission.request_id == req.id != other.id


# -- cannot be reused after revocation, or used after expiry ------------------------------


def test_a_link_revoked_on_the_desk_opens_only_the_withdrawn_page(
    session, web, users, client, opened
):
    _req, _contact, raw = opened
    assert client.get(f"/f/{raw}").status_code == 200
    link = session.scalar(select(FormLink))
    desk = logged_in(web, session, users["officer"])
    assert desk.post(f"/desk/links/{link.id}/revoke").status_code == 302
    for method, path in (
        ("GET", f"/f/{raw}"),
        ("POST", f"/f/{raw}"),
        ("GET", f"/f/{raw}/review"),
        ("POST", f"/f/{raw}/submit"),
        ("GET", f"/f/{raw}/successor"),
    ):
        resp = client.open(path, method=method, data=SAMPLES["questionnaire"])
        assert resp.status_code in (404, 410), (method, path, resp.status_code)
    assert session.scalars(select(Submission)).all() == []


def test_a_viewer_cannot_revoke_a_link(session, web, users, client, opened):
    _req, _contact, raw = opened
    link = session.scalar(select(FormLink))
    viewer = logged_in(web, session, users["viewer"])
    assert viewer.post(f"/desk/links/{link.id}/revoke").status_code == 403
    session.expire_all()
    assert session.get(FormLink, link.id).revoked_at is None
    assert client.get(f"/f/{raw}").status_code == 200


def test_a_link_works_until_it_expires_and_not_a_second_after(session, client, opened):
    _req, _contact, raw = opened
    link = session.scalar(select(FormLink))
    expires = link.expires_at
    with time_machine.travel(expires - timedelta(seconds=5), tick=False):
        assert client.get(f"/f/{raw}").status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        tried = (("GET", f"/f/{raw}"), ("POST", f"/f/{raw}"), ("POST", f"/f/{raw}/submit"))
        for method, path in tried:
            assert client.open(path, method=method, data={}).status_code == 410, path
        assert session.scalars(select(Submission)).all() == []


def test_a_link_of_a_closed_request_takes_no_answer(session, client, opened):
    from bot.requests import close

    req, _contact, raw = opened
    close(session, req, actor="officer@example.org")
    session.commit()
    assert client.post(f"/f/{raw}", data=SAMPLES["questionnaire"]).status_code == 409
    assert session.scalars(select(Submission)).all() == []


# -- wrong tokens are throttled per address --------------------------------------------


@pytest.mark.parametrize(
    "method, suffix", [("GET", ""), ("POST", ""), ("GET", "/review"), ("POST", "/renew")]
)
def test_wrong_codes_are_throttled_per_address_on_every_form_route(
    session, web, client, opened, method, suffix
):
    _req, _contact, raw = opened
    limit = links.forms_policy(web.config["FOCALBOT"]).misses_per_10_minutes
    here, there = {"REMOTE_ADDR": "198.51.100.20"}, {"REMOTE_ADDR": "198.51.100.21"}
    for _ in range(limit):
        resp = client.open(f"/f/{links.new_raw()}{suffix}", method=method, environ_base=here)
        assert resp.status_code == 404
    resp = client.open(f"/f/{links.new_raw()}{suffix}", method=method, environ_base=here)
    assert resp.status_code == 429
    assert client.get(f"/f/{raw}", environ_base=here).status_code == 429
    assert client.get(f"/f/{raw}", environ_base=there).status_code == 200
    assert session.query(FormLinkMiss).count() == limit
