"""Stored XSS is inert wherever inbound text is shown.

Payloads come in as the State's correspondents send them: emails through the real ingest
(bot/inbound/ingest.py), with script, event-handler and ``javascript:`` payloads in the
From name, the subject, the text and HTML bodies, an attachment's file name and the
labelled answers of a directory update; the answers of a web form; a successor named on
the form. An officer accepts the directory update on the desk, so the payload reaches the
public directory too. Then every page that shows them is parsed (lxml) and must hold no
element, attribute or URL that the payloads carry, while showing their text, escaped;
the receipts quoting them are checked the same way; JSON and raw views are not HTML."""

from __future__ import annotations

import json
from email import message_from_bytes
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage

import lxml.html
import pytest
from markupsafe import escape
from sqlalchemy import select

from bot import apikeys, db, links
from bot.inbound.ingest import ingest
from bot.model import Contact, Message, Request, Submission
from tests.forms.helpers import SAMPLES, Client, fill_pages
from tests.inbound.factories import FOCAL_POINT, another_request, france_with_request, reply
from tests.security.conftest import logged_in

pytestmark = pytest.mark.usefixtures("fixed_clock")

PAYLOADS = [
    '<script>alert("xss1")</script>',
    '<img src=x onerror=alert("xss2")>',
    '<svg/onload=alert("xss3")>',
    '"><iframe src="javascript:alert(`xss4`)"></iframe>',
    "' onmouseover='alert(\"xss5\")' x='",
    "<a href=\"javascript:alert('xss6')\">xss6</a>",
]
PAYLOAD = " ".join(PAYLOADS)
SHORT = '<script>alert("xss7")</script><img src=x onerror=alert(8)>'  # where room is short
MARKERS = ("xss1", "xss2", "xss3", "xss5")
FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "img", "base"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def offences(html: str) -> list[str]:
    """What in ``html`` would run: script-bearing elements, event handlers, javascript: URLs."""
    if not html.strip():
        return []
    doc = lxml.html.document_fromstring(html)
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction
            continue
        tag = el.tag.lower()
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}> {lxml.html.tostring(el)[:80]!r}")
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value[:40]!r}>")
            plain = "".join(value.split()).lower()
            if name in URL_ATTRIBUTES and plain.startswith(("javascript:", "vbscript:", "data:")):
                found.append(f"<{tag} {name}={value[:40]!r}>")
    return found


def text_of(html: str) -> str:
    return lxml.html.document_fromstring(html).text_content() if html.strip() else ""


def test_the_check_finds_what_would_run():
    found = offences(f"<p>{PAYLOAD}</p>")
    assert {f.split()[0].strip("<>") for f in found} >= {"script", "img", "iframe", "svg", "a"}
    assert offences(f"<p>{escape(PAYLOAD)}</p>") == []
    assert offences('<a href=" JaVaScRiPt:alert(1)">x</a>') != []


def _email(token: str | None, *, html: bool, subject: str = PAYLOAD, body: str = PAYLOAD,
           name: str = SHORT, files: dict[str, bytes] | None = None,
           sender: str = FOCAL_POINT) -> bytes:
    msg = message_from_bytes(
        reply(token=token, subject=subject, body=body, sender=sender), policy=email_policy.default
    )
    assert isinstance(msg, EmailMessage)
    del msg["From"]
    msg["From"] = Address(display_name=name, addr_spec=sender)  # quoted, as mail clients do
    if html:
        msg.add_alternative(f"<html><body><p>{body}</p>{PAYLOAD}</body></html>", subtype="html")
    for filename, data in (files or {}).items():
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes()


@pytest.fixture
def stored(web, session, settings, users):
    """Payloads in every inbound path; the ids of what they made."""
    fr = france_with_request("directory_update")
    questionnaire = another_request(fr, "questionnaire")
    with db.session() as s:
        token = s.get(Request, questionnaire).token
    answers = (
        "Voici les corrections.\n\n"
        f"> Nom : {SHORT}\n> Fonction : {PAYLOADS[1]} {PAYLOADS[4]}\n"
        f"> Organisation : {PAYLOADS[0]}\n"
    )
    results = [
        ingest(_email(fr["token"], html=False, body=answers), source="t", settings=settings),
        ingest(
            _email(token, html=True, files={f"{SHORT}.pdf": b"%PDF-1.4 x", "a.pdf": b"%PDF-1"}),
            source="t",
            settings=settings,
        ),
        ingest(  # from a stranger, about nothing: triage
            _email(None, html=True, sender="someone@elsewhere.example.com"),
            source="t",
            settings=settings,
        ),
    ]
    assert [r.outcome for r in results] == ["processed", "processed", "triage"], results
    # the web form: answers, then a successor named
    req = session.get(Request, questionnaire)
    raw = links.create(session, req, req.state.contacts[0], days=30)
    session.commit()
    form = Client(web, session)
    data = {**SAMPLES["questionnaire"], "respondent_name": SHORT, "a5_offence_law": PAYLOAD}
    fill_pages(form, raw, data, "en")
    assert form.post(f"/f/{raw}/submit?lang=en").status_code == 303
    successor = {"name": SHORT, "title": PAYLOAD[:190], "email": "new@example.org",
                 "note": PAYLOAD}
    assert form.post(f"/f/{raw}/successor?lang=en", data=successor).status_code == 200
    # the directory update accepted on the desk: the payload is now the contact's entry
    desk = logged_in(web, session, users["admin"])
    update = session.scalar(
        select(Submission).where(Submission.request_id == fr["request_id"])
    )
    assert update is not None and "changes" in update.data, update and update.data
    resp = desk.post(f"/desk/submissions/{update.id}/review", data={"decision": "accept"})
    assert resp.status_code in (302, 303)
    session.expire_all()
    contact = session.get(Contact, fr["contact_id"])
    assert "xss7" in contact.name
    contact.role, contact.access = "mla", "public"  # a central authority, in the public directory
    session.commit()
    messages = session.scalars(select(Message.id).where(Message.direction == "in")).all()
    return {"desk": desk, "requests": [fr["request_id"], questionnaire], "messages": messages}


def _pages(stored) -> list[str]:
    pages = [
        "/desk/", "/desk/requests", "/desk/triage", "/desk/mail", "/desk/states",
        "/desk/states/FR", "/desk/successors", "/desk/directory", "/desk/reports",
        "/desk/audit", "/desk/campaigns",
        *(f"/desk/search?q={q}" for q in ("xss1", "xss7", "onerror", "script")),
        *(f"/desk/requests/{i}" for i in stored["requests"]),
    ]
    return pages


def test_no_payload_runs_on_any_desk_page(stored):
    desk = stored["desk"]
    shown = ""
    for page in _pages(stored):
        resp = desk.get(page)
        assert resp.status_code == 200, page
        html = resp.get_data(as_text=True)
        assert offences(html) == [], page
        shown += text_of(html)
    # the pages did show the payloads, as text
    for marker in (*MARKERS, "xss7"):
        assert marker in shown, marker


@pytest.mark.parametrize(
    "page, marker",
    [
        ("/desk/states/FR", "xss7"),  # the From name, the contact's name
        ("/desk/triage", "xss1"),  # the subject and body of a stranger's message
        ("/desk/successors", "xss7"),  # the successor named on the form
        ("/desk/search?q=xss1", "xss1"),
    ],
)
def test_a_page_shows_the_payload_as_text(stored, page, marker):
    html = stored["desk"].get(page).get_data(as_text=True)
    assert marker in text_of(html)
    assert "&lt;script&gt;" in html or "&lt;img" in html


def test_every_request_page_shows_its_mail_and_answers_inert(stored):
    desk = stored["desk"]
    for rid in stored["requests"]:
        html = desk.get(f"/desk/requests/{rid}").get_data(as_text=True)
        assert offences(html) == []
        assert "xss" in text_of(html)
    html = desk.get(f"/desk/requests/{stored['requests'][1]}").get_data(as_text=True)
    # the file's name as the message gives it, and as stored (no directory, no < > "): text
    assert "<img src=x onerror=alert(8)>.pdf" in text_of(html)
    assert "script__img src=x onerror=alert(8)_.pdf" in text_of(html)


def test_the_public_directory_shows_the_accepted_entry_inert(stored, web, session):
    anyone = Client(web, session)
    for page in ("/directory", "/directory/FR", "/directory?lang=fr"):
        resp = anyone.get(page)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert offences(html) == [], page
    assert "xss7" in text_of(anyone.get("/directory/FR").get_data(as_text=True))


def test_json_and_raw_views_are_not_html(stored, session, users):
    _row, key = apikeys.create(session, users["admin"], label="xss", actor="test")
    session.commit()
    desk = stored["desk"]
    auth = {"Authorization": f"Bearer {key}"}
    seen = ""
    for url in (
        "/api/v1/messages",
        *(f"/api/v1/messages/{i}" for i in stored["messages"]),
        *(f"/api/v1/requests/{i}" for i in stored["requests"]),
        "/api/v1/contacts",
        "/directory.json",
    ):
        resp = desk.get(url, headers=auth)
        assert resp.status_code == 200, url
        assert resp.mimetype == "application/json", url
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        seen += json.dumps(resp.get_json(), ensure_ascii=False)
    assert "xss1" in seen and "xss7" in seen  # the payloads are data in JSON strings
    for i in stored["messages"]:
        resp = desk.get(f"/desk/messages/{i}/raw")
        assert resp.mimetype == "text/plain" and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert not resp.headers.get("Content-Disposition", "").startswith("attachment; filename=<")
    export = desk.get("/desk/audit.jsonl")
    assert export.mimetype != "text/html" and export.headers["X-Content-Type-Options"] == "nosniff"


def test_receipts_quoting_inbound_text_are_inert(stored, session):
    receipts = session.scalars(select(Message).where(Message.kind == "receipt")).all()
    assert receipts, "no receipt was queued"
    quoted = ""
    for row in receipts:
        msg = message_from_bytes(row.raw, policy=email_policy.default)
        html = msg.get_body(("html",))
        assert html is not None
        content = html.get_content()
        assert offences(content) == [], row.id
        quoted += text_of(content) + msg.get_body(("plain",)).get_content()
    assert "xss" in quoted  # a receipt quotes what came in
