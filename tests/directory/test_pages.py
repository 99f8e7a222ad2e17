"""The online directory: what anonymous callers and authorised users see, in every form."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import auth, throttle
from bot.db import make_engine
from bot.directory import public
from bot.directory.changes import apply_change
from bot.directory.export import export
from bot.directory.importer import import_file
from bot.directory.seed import demo_directory_users, seed, seed_demo
from bot.inbound.ingest import ingest
from bot.migrate import upgrade
from bot.model import Contact, ContactChange, State, Submission, User
from tests.forms.helpers import log_in, make_user, make_web_app
from tests.inbound.factories import france_with_request, reply

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PAGES = ("/directory", "/directory/KE", "/directory.json", "/directory.csv")


@pytest.fixture
def demo(session, tmp_path):
    """The demo data, its authorised user's (email, password), and its export's access levels."""
    seed_demo(session, today=date.today(), actor="test")
    [user] = demo_directory_users(session)
    session.commit()
    path = tmp_path / "all.json"
    export(session, path)
    session.rollback()
    levels: dict[str, str] = {}
    for row in json.loads(path.read_text("utf-8"))["contacts"]:
        for email in row["emails"]:
            levels[email.lower()] = row["access"]
    return user, levels


def _log_in(client, email, password):
    return client.post("/directory/login", data={"email": email, "password": password})


def _walk(client, session) -> dict[str, set[str]]:
    """Every public route, with its filters, searches, pages and languages: the emails in each."""
    codes = [s.code for s in session.scalars(select(State))]
    session.rollback()
    urls = [*PAGES, *(f"/directory/{c}" for c in codes)]
    urls += [f"/directory?lang={lang}" for lang in ("ar", "zh", "fr", "ru", "es")]
    urls += [
        f"/directory?{q}"
        for q in (
            "instrument=UNTOC",
            "instrument=UNCAC",
            "instrument=C1988",
            "instrument=SOM",
            "type=extradition",
            "type=c1988_7_8",
            "group=AFR",
            "q=Nairobi",
            "q=Kenya",
            "q=ke",
            "q=Office",
            "q=%25",
            "page=1",
            "page=2",
        )
    ]
    found = {}
    for url in urls:
        resp = client.get(url)
        assert resp.status_code in (200, 404), url
        found[url] = {e.lower() for e in EMAIL.findall(resp.get_data(as_text=True))}
        if resp.status_code == 200 and resp.headers.get("ETag"):
            again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]})
            assert again.status_code == 304 and not again.data, url
    return found


def test_restricted_entries_never_reach_an_anonymous_caller(web_client, session, demo):
    _, levels = demo
    found = _walk(web_client, session)
    seen = set().union(*found.values())
    leaked = {e for e in seen if levels.get(e) == "restricted"}
    assert not leaked
    assert {"mla.ke@example.org", "uncac.ke@example.org"} <= seen  # public entries shown
    assert "extradition.ke@example.org" in levels  # a restricted entry exists to be hidden
    assert seen <= set(levels)  # nothing shown that the export does not hold


def test_an_authorised_user_sees_the_restricted_entries_and_nothing_of_the_desk(
    web_client, session, demo
):
    (email, password), levels = demo
    assert _log_in(web_client, email, password).status_code == 303
    found = _walk(web_client, session)
    seen = set().union(*found.values())
    authorities = {
        e
        for c in session.scalars(select(Contact))
        if c.role not in ("focal_point", "alternate", "mission")
        for e in c.emails
    }
    session.rollback()
    assert authorities <= seen
    assert {e for e in seen if levels.get(e) == "restricted"} >= {
        "extradition.ke@example.org",
        "drugs.ke@example.org",
    }
    # The desk refuses them, on every one of its routes.
    app = web_client.application
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("desk.") and rule.endpoint not in (
            "desk.login",
            "desk.login_code",
        ):
            url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            method = "GET" if "GET" in rule.methods else "POST"
            assert web_client.open(url, method=method).status_code == 403, url


def test_a_count_or_a_filter_never_tells_a_restricted_entry(web_client, session, demo):
    # Kenya's only 1988 Convention authority is restricted: anonymous callers find none.
    html = web_client.get("/directory?type=c1988_7_8&lang=en").get_data(as_text=True)
    assert "No entry matches." in html and "Kenya" not in html.split("</form>", 1)[1]


def test_the_page_shows_each_states_last_update_in_the_page_language(web_client, session, demo):
    session.get(State, "KE").directory_updated_at = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    session.commit()
    en = web_client.get("/directory/KE?lang=en").get_data(as_text=True)
    assert "Last updated by Kenya: March 12, 2026" in en
    fr = web_client.get("/directory/KE?lang=fr").get_data(as_text=True)
    assert "12 mars 2026" in fr
    ar = web_client.get("/directory/KE?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in ar and '<bdi dir="ltr" class="muted">KE</bdi>' in ar


def test_stored_xss_is_inert_and_links_are_http_only(web_client, session, demo):
    contact = session.scalar(
        select(Contact).where(Contact.role == "mla", Contact.state_code == "KE")
    )
    contact.name = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    contact.info = (
        'See https://example.org/law?a=1&b="><script>x</script> and javascript:alert(3) '
        "and <a href=javascript:alert(4)>here</a>"
    )
    session.commit()
    html = web_client.get("/directory/KE").get_data(as_text=True)
    assert "<script>" not in html and "<img" not in html and "<a href=javascript" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    links = re.findall(r'<a href="([^"]*)" rel="([^"]*)"', html)
    assert ("https://example.org/law?a=1&amp;b=", "nofollow noopener") in links
    assert all(href.startswith(("http://", "https://")) for href, _ in links)


def test_pages_are_cacheable_and_change_their_tag_with_the_data(web_client, session, demo):
    first = web_client.get("/directory")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    tag = first.headers["ETag"]
    contact = session.scalar(
        select(Contact).where(Contact.role == "mla", Contact.access == "public")
    )
    state = session.get(State, contact.state_code)
    before = state.directory_updated_at
    apply_change(
        session, contact, {"phone": "+1 555 0100"}, actor="o", source="desk", by_state=False
    )
    session.commit()
    assert session.get(State, contact.state_code).directory_updated_at == before  # a correction
    again = web_client.get("/directory", headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.headers["ETag"] != tag


def test_a_long_directory_is_paged(web_client, session, demo):
    for state in list(session.scalars(select(State).order_by(State.code)))[: public.PAGE_SIZE]:
        session.add(Contact(state_code=state.code, role="mla", emails=[f"mla.{state.code}@e.org"]))
    session.commit()
    one = web_client.get("/directory").get_data(as_text=True)
    assert "Page 1 of 2" in one and 'rel="next"' in one
    two = web_client.get("/directory?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in two and 'rel="prev"' in two
    assert web_client.get("/directory?page=3").status_code == 404


def test_directory_log_in_locks_after_repeated_failures_and_sessions_expire(
    web_client, session, demo, time_machine
):
    (email, password), _ = demo
    for _ in range(throttle.policy().free["account_address"]):
        assert _log_in(web_client, email, "wrong password!").status_code == 200
    assert _log_in(web_client, email, password).status_code == 429
    time_machine.move_to(auth.utcnow() + timedelta(minutes=16))
    assert _log_in(web_client, email, password).status_code == 303
    assert "extradition.ke@example.org" in web_client.get("/directory/KE").get_data(as_text=True)
    time_machine.move_to(auth.utcnow() + timedelta(hours=9))
    assert "extradition.ke@example.org" not in web_client.get("/directory/KE").get_data(
        as_text=True
    )


def test_a_removed_user_no_longer_sees_restricted_entries(web_client, session, demo):
    (email, password), _ = demo
    _log_in(web_client, email, password)
    user = session.scalar(select(User).where(User.email == email))
    auth.remove_user(session, user, actor="test")
    session.commit()
    assert "extradition.ke" not in web_client.get("/directory/KE").get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["csv", "json", "xlsx"])
def test_export_import_into_an_empty_directory_and_export_again_is_the_same_file(
    session, demo, tmp_path, suffix
):
    first = tmp_path / f"first.{suffix}"
    assert export(session, first) > 20
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    upgrade(engine)
    with Session(engine) as s:  # an empty directory: the States and instruments only
        seed(s, actor="test", participation=None)
        assert s.scalar(select(Contact.id)) is None
        result = import_file(s, first, actor="test")
        assert result.ok, result.errors
        s.commit()
        second = tmp_path / f"second.{suffix}"
        export(s, second)
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("KE,mla,b@example.org,secret", "row 3: access: 'secret' is neither public nor restricted"),
        ("KE,art. 99,b@example.org,public", "row 3: role: unknown role 'art. 99'"),
    ],
)
def test_an_import_with_a_bad_access_level_or_authority_type_imports_nothing(
    seeded, tmp_path, cells, message
):
    path = tmp_path / "bad.csv"
    path.write_text(
        f"state,authority type,emails,access\nKE,mla,a@example.org,public\n{cells}\n",
        encoding="utf-8",
    )
    result = import_file(seeded, path, actor="test")
    assert [str(e) for e in result.errors] == [message]
    seeded.rollback()
    assert seeded.scalar(select(Contact.id)) is None


def test_an_approved_change_from_an_email_reaches_the_public_page_with_its_history(
    app, settings, session
):
    fr = france_with_request("directory_update")
    contact = session.get(Contact, fr["contact_id"])
    contact.role, contact.organisation, contact.phone = "mla", "Ministère de la Justice", "+33 1"
    session.commit()
    body = "Voici la correction.\n\n> Nom : Jean Dupont\n> Téléphone : +33 1 44 77 60 60\n"
    assert ingest(reply(token=fr["token"], body=body), source="t", settings=settings).outcome == (
        "processed"
    )
    session.expire_all()
    submission = session.scalar(select(Submission))
    message_id, submission_id = submission.message_id, submission.id
    assert submission.review == "pending"
    session.rollback()
    web = make_web_app(settings, csrf=False).test_client()
    assert "+33 1 44 77 60 60" not in web.get("/directory/FR").get_data(as_text=True)
    make_user(session)
    session.commit()
    log_in(web)
    assert (
        web.post(
            f"/desk/submissions/{submission_id}/review", data={"decision": "accept"}
        ).status_code
        == 303
    )
    desk_page = web.get("/desk/states/FR").get_data(as_text=True)
    assert "History of this entry (1)" in desk_page
    assert "+33 1</pre>" in desk_page and "+33 1 44 77 60 60</pre>" in desk_page
    assert "the State (moves its last update)" in desk_page
    anonymous = make_web_app(settings, csrf=False).test_client()
    page = anonymous.get("/directory/FR?lang=en").get_data(as_text=True)
    assert "+33 1 44 77 60 60" in page and "Last updated by France" in page
    [change] = session.scalars(select(ContactChange)).all()
    assert (change.field, change.old, change.new, change.source) == (
        "phone",
        "+33 1",
        "+33 1 44 77 60 60",
        "email",
    )
    assert change.by_state and change.message_id == message_id
    assert change.actor == "officer@secretariat.example.org"
