"""Bad input: a clear message in the page's language, nothing saved lost, nothing half-valid
stored as final. Uploads: capped, their type told by their content, kept outside the web root."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import TRANSLATIONS_DIR
from bot.inbound.store import path_for
from bot.model import Draft, Submission
from forms import uploads
from tests.forms.helpers import SAMPLES, fill_pages, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
OLE = uploads.OLE + b"\x00" * 504


def translated(lang: str, message: str, **values) -> str:
    from babel.support import Translations
    from markupsafe import escape

    text = Translations.load(str(TRANSLATIONS_DIR), [lang]).gettext(message)
    return str(escape(text % values if values else text))


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return buffer.getvalue()


DOCX = _zip(**{"[Content_Types].xml": b"<Types/>", "word__document.xml": b"<w:document/>"})
XLSX = _zip(**{"[Content_Types].xml": b"<Types/>", "xl__workbook.xml": b"<workbook/>"})
ODT = _zip(mimetype=b"application/vnd.oasis.opendocument.text", **{"content.xml": b"<x/>"})


@pytest.mark.parametrize(
    "name, data",
    [
        ("loi.pdf", PDF),
        ("loi.docx", DOCX),
        ("tableau.xlsx", XLSX),
        ("texte.odt", ODT),
        ("ancien.doc", OLE),
        ("note.txt", "Loi n° 2004-204 — قانون".encode()),
        ("note-utf16.txt", "Loi".encode("utf-16")),
    ],
)
def test_an_allowed_type_is_accepted_by_its_content(name, data):
    assert uploads.check(name, data).problem is None


@pytest.mark.parametrize(
    "name, data, problem",
    [
        ("loi.pdf", DOCX, "mismatch"),
        ("loi.docx", PDF, "mismatch"),
        ("loi.docx", XLSX, "mismatch"),  # a zip, but not a Word document
        ("texte.odt", DOCX, "mismatch"),
        ("ancien.doc", PDF, "mismatch"),
        ("note.txt", b"MZ\x90\x00\x03\x00\x00\x00", "mismatch"),
        ("outil.exe", b"MZ\x90\x00", "refused_type"),
        ("page.html", b"<html></html>", "refused_type"),
        ("sans-extension", PDF, "refused_type"),
        ("vide.pdf", b"", "empty"),
        ("gros.pdf", PDF + b"0" * 5000, "too_large"),
    ],
)
def test_a_file_not_what_its_name_says_is_refused(name, data, problem):
    assert uploads.check(name, data, cap=4096).problem == problem


def _at_clarification(session, web_client, lang="fr"):
    req = make_request(
        session, kind="clarification", code="EG" if lang == "ar" else "FR", language=lang
    )
    session.commit()
    return req.token, req.id


def _post(web_client, token, lang, name, data, **fields):
    form = {"answer": "Our answer.", **fields, "document": (io.BytesIO(data), name)}
    return web_client.post(f"/f/{token}?lang={lang}", data=form, content_type="multipart/form-data")


def test_an_accepted_upload_is_stored_outside_the_web_root(session, web_client, settings):
    token, rid = _at_clarification(session, web_client)
    resp = _post(web_client, token, "fr", "loi.pdf", PDF)
    assert resp.status_code == 303 and "/review" in resp.headers["Location"]
    session.expire_all()
    draft = session.scalar(select(Draft).where(Draft.request_id == rid))
    kept = draft.data["document"]
    assert kept["filename"] == "loi.pdf" and kept["content_type"] == "application/pdf"
    stored = path_for(Path(settings.attachment_dir), kept["sha256"])
    assert stored.read_bytes() == PDF
    assert not stored.is_relative_to(Path(__file__).resolve().parents[2] / "templates")
    session.rollback()
    html = web_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "loi.pdf" in html


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_upload_over_the_cap_is_refused_and_the_answer_kept(session, web, lang):
    web.config["FORM_FILE_MAX_BYTES"] = 1024 * 1024
    client = web.test_client()
    token, rid = _at_clarification(session, client, lang)
    resp = _post(client, token, lang, "loi.pdf", PDF + b"0" * (1024 * 1024))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    expected = (
        "The file %(name)s is larger than %(max)d MB. Please send a smaller file, or send it "
        "by email."
    )
    assert translated(lang, expected, name="loi.pdf", max=1) in html
    assert "Our answer." in html
    session.expire_all()
    draft = session.scalar(select(Draft).where(Draft.request_id == rid))
    assert draft.data["answer"] == "Our answer." and "document" not in draft.data
    assert session.scalar(select(Submission)) is None


def test_an_upload_of_a_refused_type_is_refused(session, web_client):
    token, _rid = _at_clarification(session, web_client)
    html = _post(web_client, token, "fr", "outil.exe", b"MZ\x90\x00").get_data(as_text=True)
    assert (
        translated(
            "fr",
            "The file %(name)s is not of a type the secretariat accepts. Please send a PDF, Word "
            "(DOC, DOCX), Excel (XLSX), OpenDocument (ODT) or plain text file.",
            name="outil.exe",
        )
        in html
    )


def test_an_upload_whose_content_does_not_match_its_name_is_refused(session, web_client):
    token, rid = _at_clarification(session, web_client)
    html = _post(web_client, token, "fr", "loi.pdf", DOCX).get_data(as_text=True)
    assert (
        translated(
            "fr",
            "The content of the file %(name)s does not match its name. Please check that it is "
            "the right file and that its name ends with the right extension.",
            name="loi.pdf",
        )
        in html
    )
    session.expire_all()
    assert "document" not in session.scalar(select(Draft).where(Draft.request_id == rid)).data


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_oversized_answer_is_refused_and_the_saved_one_kept(session, web_client, lang):
    req = make_request(
        session, kind="case_examples", code="EG" if lang == "ar" else "FR", language=lang
    )
    session.commit()
    token, rid = req.token, req.id
    fill_pages(web_client, token, SAMPLES["case_examples"], lang)
    resp = web_client.post(
        f"/f/{token}?lang={lang}", data=dict(SAMPLES["case_examples"], summary="x" * 3001)
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert (
        translated(lang, "This answer is too long: at most %(max)d characters.", max=3000) in html
    )
    session.expire_all()
    draft = session.scalar(select(Draft).where(Draft.request_id == rid))
    assert draft.data["summary"] == SAMPLES["case_examples"]["summary"]


def test_a_wrong_type_is_refused_with_its_message(session, web_client):
    req = make_request(session, kind="case_examples")
    session.commit()
    token, rid = req.token, req.id
    data = dict(SAMPLES["case_examples"], year="l'an dernier", outcome="maybe")
    html = web_client.post(f"/f/{token}?lang=fr", data=data).get_data(as_text=True)
    assert translated("fr", "Please enter a year as four figures, such as 2024.") in html
    assert translated("fr", "Not a valid choice.") in html
    too_late = web_client.post(
        f"/f/{token}?lang=fr", data=dict(data, year="2099", outcome="granted")
    )
    assert translated(
        "fr", "Please enter a year as four figures, such as 2024."
    ) in too_late.get_data(as_text=True)
    session.expire_all()
    draft = session.scalar(select(Draft).where(Draft.request_id == rid))
    assert "year" not in draft.data and draft.data["requested_state"] == "Senegal"
    assert session.scalar(select(Submission)) is None


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_missing_required_answer_is_named_and_nothing_is_submitted(session, web_client, lang):
    req = make_request(
        session, kind="technical_assistance", code="EG" if lang == "ar" else "FR", language=lang
    )
    session.commit()
    token = req.token
    data = {"description": "Training.", "respondent_email": "a@example.org"}
    html = web_client.post(f"/f/{token}?lang={lang}", data=data).get_data(as_text=True)
    assert translated(lang, "Please choose at least one.") in html
    assert (
        translated(lang, "Some answers need your attention: please see the messages below.") in html
    )
    assert "Training." in html
    # the summary has no submit button while a required answer is missing
    review = web_client.get(f"/f/{token}/review?lang={lang}").get_data(as_text=True)
    assert f"/f/{token}/submit" not in review
    assert translated(lang, "Some required answers are missing:") in review
    resp = web_client.post(f"/f/{token}/submit?lang={lang}")
    assert resp.headers["Location"].endswith("page=0&check=1")
    assert translated(lang, "Please choose at least one.") not in review
    back = web_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert (
        translated(lang, "This field is required.") in back
        or translated(lang, "Please choose at least one.") in back
    )
    session.expire_all()
    assert session.scalar(select(Submission)) is None


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_page_over_the_request_cap_is_refused_in_its_language(session, web, lang):
    web.config.update(MAX_CONTENT_LENGTH=256 * 1024, FORM_FILE_MAX_BYTES=128 * 1024)
    client = web.test_client()
    token, rid = _at_clarification(session, client, lang)
    client.post(f"/f/{token}?lang={lang}", data={"answer": "Saved before.", "go": "save"})
    resp = _post(client, token, lang, "loi.pdf", PDF + b"0" * (300 * 1024))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert f'<html lang="{lang}"' in html
    assert (
        translated(
            lang,
            "What you sent is too large to be received: each file may be at most %(max)d MB. "
            "Your earlier pages are saved; please send this page again with smaller files.",
            max=1,
        )
        in html
    )
    assert "Saved before." in html
    session.expire_all()
    assert session.scalar(select(Draft).where(Draft.request_id == rid)).data["answer"] == (
        "Saved before."
    )
