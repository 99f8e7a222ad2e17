"""Uploads are kept outside the web root: the files of inbound mail (bot/inbound/attachments.py,
ATTACHMENT_DIR) and of the forms are stored by their SHA-256 only, whatever name they came
with (``../``, absolute paths, NUL, backslashes, bidi overrides); no route serves the folder;
a kept file downloads through one access-checked route, as an attachment that no browser
shows or sniffs; the raw view of a message is plain text, for the desk only."""

from __future__ import annotations

import io
import os
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import TEMPLATES_DIR
from bot.inbound.ingest import ingest
from bot.inbound.store import path_for
from bot.model import Attachment, Draft, Message
from tests.desk.test_access import _every_route
from tests.forms.helpers import Client, make_request
from tests.inbound.factories import DOMAIN, FOCAL_POINT, france_with_request
from tests.security.conftest import logged_in

pytestmark = pytest.mark.usefixtures("fixed_clock")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HOSTILE_NAMES = [
    "../../../../etc/evil-1.pdf",
    "/etc/evil-2.pdf",
    "..\\..\\windows\\evil-3.pdf",
    "C:\\Windows\\System32\\evil-4.pdf",
    "evil-5.pdf\x00.exe",
    "\u202eevil-6fdp.pdf",
    "....//....//evil-7.pdf",
    "%2e%2e%2fevil-8.pdf",
    "",
]


def _mail(token: str, files: dict[str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Jean Dupont <{FOCAL_POINT}>"
    msg["To"] = f"replies+{token.lower()}@{DOMAIN}"
    msg["Subject"] = "RE: Questionnaire"
    msg["Message-ID"] = "<uploads-1@justice.gouv.fr>"
    msg.set_content("Veuillez trouver ci-joint.")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def received(web, settings, tmp_path):
    """A reply whose files carry hostile names, ingested for real: their Attachment rows."""
    fr = france_with_request("questionnaire")
    files = {name: PDF + f"{n}".encode() for n, name in enumerate(HOSTILE_NAMES)}
    before = _files_under(tmp_path)
    result = ingest(_mail(fr["token"], files), source="t", settings=settings)
    assert result.outcome == "processed", result
    return before


def test_inbound_files_are_stored_by_hash_only_whatever_their_names(
    received, session, settings, tmp_path
):
    root = Path(settings.attachment_dir).resolve()
    rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert len(rows) == len(HOSTILE_NAMES)
    # the NUL goes, and with it the name hiding its .exe: refused, not kept
    refused = {r.filename: r.refused for r in rows if not r.stored}
    assert refused == {"evil-5.pdf.exe": "executable type (.exe)"}, refused
    stored = _files_under(root)
    assert stored == {path_for(root, row.sha256) for row in rows if row.stored}
    for path in stored:  # the name on disk is the hash of the bytes, nothing of the file's name
        assert re.fullmatch(r"[0-9a-f]{64}", path.name) and path.resolve().is_relative_to(root)
    # nothing was written anywhere else under the test's folder (the database aside)
    written = _files_under(tmp_path) - received - stored
    assert {p.name for p in written} <= {"focalbot.sqlite", "focalbot.sqlite-journal"}, written
    for row in rows:  # the name kept, for people to read, has no directory and no controls
        assert "/" not in row.filename and "\\" not in row.filename and "\x00" not in row.filename
        assert not row.filename.startswith(".") and "\u202e" not in row.filename


def test_the_attachment_folder_is_outside_the_web_root_and_served_by_no_route(
    received, web, session, settings, users
):
    assert web.static_folder is None  # the app serves no folder of files at all
    root = Path(settings.attachment_dir).resolve()
    assert not root.is_relative_to(TEMPLATES_DIR.resolve())
    row = session.scalars(select(Attachment)).first()
    content = path_for(root, row.sha256).read_bytes()
    relative = path_for(root, row.sha256).relative_to(root).as_posix()
    desk = logged_in(web, session, users["admin"])
    guesses = {row.sha256, f"../{root.name}/{relative}"}
    tried = 0
    for endpoint, method, url, _methods in _every_route(web):
        if method != "GET" or endpoint == "desk.attachment":  # the download, tested below
            continue
        for guess in guesses:
            path = url.replace("ZZ", guess).replace("999999", str(row.id))
            resp = desk.get(path)
            tried += 1
            assert content not in resp.get_data(), path
    for path in (
        f"/attachments/{row.sha256}",
        f"/var/attachments/{relative}",
        f"/static/../var/attachments/{relative}",
        f"/{relative}",
        f"/desk/attachments/{row.id}",
    ):
        resp = desk.get(path)
        assert resp.status_code == 404 and content not in resp.get_data(), path
    assert tried > 50


def test_form_uploads_with_hostile_names_are_stored_by_hash_only(
    web, session, settings, tmp_path
):
    req = make_request(session, kind="clarification")
    session.commit()
    client = Client(web, session)
    root = Path(settings.attachment_dir).resolve()
    for n, name in enumerate(n for n in HOSTILE_NAMES if n.endswith(".pdf")):
        data = PDF + f"form {n}".encode()
        form = {"answer": "Our answer.", "document": (io.BytesIO(data), name)}
        resp = client.post(f"/f/{req.token}?lang=en", data=form, content_type="multipart/form-data")
        assert resp.status_code == 303, (name, resp.status_code)
        session.expire_all()
        kept = session.scalar(select(Draft).where(Draft.request_id == req.id)).data["document"]
        session.rollback()
        assert path_for(root, kept["sha256"]).read_bytes() == data
        assert "/" not in kept["filename"] and "\\" not in kept["filename"]
        assert "\x00" not in kept["filename"] and ".." not in kept["filename"]
    for path in _files_under(tmp_path):
        assert "evil" not in path.name, path


def test_the_raw_view_of_what_came_in_is_plain_text_for_the_desk_only(
    received, web, session, users
):
    message = session.scalar(select(Message).where(Message.direction == "in"))
    url = f"/desk/messages/{message.id}/raw"
    anyone = Client(web, session)
    assert anyone.get(url).status_code == 302  # to the log-in page
    directory = Client(web, session)
    login = {"email": users["directory"], "password": "correct horse battery staple"}
    assert directory.post("/directory/login", data=login).status_code == 303
    assert directory.get(url).status_code == 403
    resp = logged_in(web, session, users["viewer"]).get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain" and resp.mimetype_params.get("charset") == "utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert re.fullmatch(
        r'(inline|attachment); filename="message-\d+\.txt"', resp.headers["Content-Disposition"]
    )


def test_exports_are_downloads_not_pages(web, session, users):
    desk = logged_in(web, session, users["viewer"])
    for url in ("/desk/audit.jsonl", "/desk/reports/responses.csv", "/desk/reports/responses.xlsx"):
        resp = desk.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Content-Disposition"].startswith("attachment; filename="), url
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.mimetype != "text/html"
    assert os.sep not in desk.get("/directory.csv").headers["Content-Disposition"]


def test_a_kept_file_downloads_for_the_desk_only_as_an_attachment(
    received, web, session, users, settings
):
    rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    row = next(r for r in rows if r.filename == "evil-1.pdf")
    url = f"/desk/messages/{row.message_id}/files/{row.sha256}"
    assert Client(web, session).get(url).status_code == 302  # to the log-in page
    directory = Client(web, session)
    login = {"email": users["directory"], "password": "correct horse battery staple"}
    assert directory.post("/directory/login", data=login).status_code == 303
    assert directory.get(url).status_code == 403
    desk = logged_in(web, session, users["viewer"])
    resp = desk.get(url)
    assert resp.status_code == 200
    assert resp.get_data() == path_for(Path(settings.attachment_dir), row.sha256).read_bytes()
    assert resp.mimetype == "application/octet-stream"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"] == "attachment; filename=evil-1.pdf"
    assert "no-store" in resp.headers["Cache-Control"]
    # the request's page links the kept files, not the refused one
    page = desk.get("/desk/requests/1").get_data(as_text=True)
    assert f'href="{url}"' in page
    refused = next(r for r in rows if not r.stored)
    assert f"/files/{refused.sha256}" not in page
    for wrong in (
        f"/desk/messages/{refused.message_id}/files/{refused.sha256}",
        f"/desk/messages/{row.message_id + 1}/files/{row.sha256}",
        f"/desk/messages/{row.message_id}/files/{'0' * 64}",
        f"/desk/messages/{row.message_id}/files/..%2f..%2f{row.sha256}",
    ):
        assert desk.get(wrong).status_code == 404, wrong


def test_a_file_name_with_quotes_and_non_ascii_downloads_under_a_safe_name(web, session, users):
    fr = france_with_request("questionnaire")
    name = 'Réponse "finale"; x=1\r\nSet-Cookie: a=b.pdf'
    ingest(_mail(fr["token"], {name: PDF}), source="t", settings=web.config["FOCALBOT"])
    row = session.scalars(select(Attachment)).one()
    desk = logged_in(web, session, users["viewer"])
    resp = desk.get(f"/desk/messages/{row.message_id}/files/{row.sha256}")
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "\r" not in disposition and "\n" not in disposition
    assert all("a=b" not in cookie for cookie in resp.headers.getlist("Set-Cookie"))
    assert "filename*=UTF-8''R%C3%A9ponse" in disposition
