"""What replies change: bounces, absences, answers by email, attachments, who may answer,
receipts."""

from __future__ import annotations

import dataclasses
from datetime import date
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from bot import db
from bot.audit import data_of
from bot.inbound.ingest import ingest
from bot.inbound.store import path_for
from bot.model import Attachment, AuditEvent, Contact, Message, OutboxItem, Request, Submission

from .factories import DOMAIN, FOCAL_POINT, france_with_request, reply, tnef

pytestmark = pytest.mark.usefixtures("fixed_clock")


def _with_files(
    fr: dict, files: dict[str, tuple[str, bytes]], text: str = "Veuillez trouver ci-joint."
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Jean Dupont <{FOCAL_POINT}>"
    msg["To"] = f"replies+{fr['token'].lower()}@{DOMAIN}"
    msg["Subject"] = "RE: Questionnaire"
    msg["Message-ID"] = "<att-1@justice.gouv.fr>"
    msg.set_content(text)
    for name, (ctype, data) in files.items():
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _dsn(recipient: str, status: str, *, to: str = f"bounces@{DOMAIN}") -> bytes:
    action = "failed" if status.startswith("5") else "delayed"
    return (
        f"From: MAILER-DAEMON@mx.justice.gouv.fr\r\nTo: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.justice.gouv.fr>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--B--\r\n"
    ).encode()


def _events(action: str) -> list[dict]:
    with db.session() as s:
        return [
            data_of(e) for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_a_permanent_bounce_by_verp_marks_the_address_as_bouncing(app, settings):
    fr = france_with_request()
    raw = _dsn(FOCAL_POINT, "5.1.1", to=f"bounces+{fr['token'].lower()}@{DOMAIN}")
    result = ingest(raw, source="t", settings=settings)
    assert (result.outcome, result.kind, result.method, result.request_id) == (
        "processed",
        "bounce",
        "verp",
        fr["request_id"],
    )
    with db.session() as s:
        contact = s.get(Contact, fr["contact_id"])
        assert contact.email_status == "bouncing" and "5.1.1" in contact.email_problem
        assert s.get(Message, result.message_pk).contact_id == contact.id
        assert (
            s.scalar(
                select(func_count(Message)).where(
                    Message.direction == "out", Message.kind == "receipt"
                )
            )
            == 0
        )
    [event] = _events("contact.bouncing")
    assert event["address"] == FOCAL_POINT


def test_a_bounce_without_a_thread_is_placed_by_its_final_recipient(app, settings):
    fr = france_with_request()
    result = ingest(_dsn(FOCAL_POINT.upper(), "5.2.1"), source="t", settings=settings)
    assert result.outcome == "processed"
    with db.session() as s:
        assert s.get(Contact, fr["contact_id"]).email_status == "bouncing"


def test_a_transient_bounce_is_only_noted(app, settings):
    fr = france_with_request()
    ingest(
        _dsn(FOCAL_POINT, "4.2.2", to=f"bounces+{fr['token'].lower()}@{DOMAIN}"),
        source="t",
        settings=settings,
    )
    with db.session() as s:
        assert s.get(Contact, fr["contact_id"]).email_status == "ok"
    assert len(_events("contact.bounce_transient")) == 1 and _events("contact.bouncing") == []


def test_the_desk_shows_a_bouncing_address(app, settings):
    fr = france_with_request()
    ingest(_dsn(FOCAL_POINT, "5.1.1"), source="t", settings=settings)
    from tests.forms.helpers import log_in, make_user

    with db.session() as s:
        make_user(s)
    client = app.test_client()
    log_in(client)
    html = client.get("/desk/states/FR").get_data(as_text=True)
    assert "bouncing" in html and "5.1.1" in html
    assert fr


def test_an_absence_notice_with_a_return_date_holds_the_reminders(app, settings):
    fr = france_with_request()
    back = date(2025, 3, 24)  # the notice is dated 3 March 2025
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    body = (
        f"Je suis absent du bureau jusqu'au {back.day} {months[back.month - 1]} {back.year}. Merci."
    )
    raw = reply(
        token=fr["token"],
        subject="Réponse automatique : absent",
        body=body,
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = ingest(raw, source="t", settings=settings)
    assert (result.outcome, result.kind) == ("processed", "auto_reply")
    with db.session() as s:
        assert s.get(Contact, fr["contact_id"]).away_until == back
        request = s.get(Request, fr["request_id"])
        assert request.hold_until == back and request.status == "open"
        assert s.scalar(select(OutboxItem.id)) is None  # never answered
    assert _events("contact.away")[0]["until"] == back.isoformat()


def test_a_confirm_reply_to_a_directory_update_is_a_submission_awaiting_review(app, settings):
    fr = france_with_request("directory_update")
    result = ingest(
        reply(token=fr["token"], body="CONFIRMER\n\nCordialement,\nJean Dupont\n"),
        source="t",
        settings=settings,
    )
    assert result.outcome == "processed"
    with db.session() as s:
        submission = s.scalar(select(Submission))
        assert submission.data == {"confirm": True, "contact": fr["contact_id"]}
        assert (submission.review, submission.source) == ("pending", "email")
        assert s.get(Request, fr["request_id"]).status == "answered"


def test_corrected_quoted_lines_become_a_change_against_the_entry(app, settings):
    fr = france_with_request("directory_update")
    body = (
        "Bonjour, voici les corrections.\n\n"
        "> Nom : Jean Dupont\n> Fonction : Directeur des affaires criminelles\n"
        "> Courriel : jean.dupont@justice.gouv.fr\n> Téléphone : +33 1 44 77 60 60\n"
    )
    result = ingest(reply(token=fr["token"], body=body), source="t", settings=settings)
    assert result.outcome == "processed"
    with db.session() as s:
        submission = s.scalar(select(Submission))
        assert submission.data["changes"] == {
            "title": {"old": "", "new": "Directeur des affaires criminelles"},
            "phone": {"old": "", "new": "+33 1 44 77 60 60"},
        }
        assert submission.review == "pending"
        assert s.get(Contact, fr["contact_id"]).phone == ""  # not applied before review


def test_a_questionnaire_with_an_attachment_is_answered_awaiting_review(app, settings):
    fr = france_with_request("questionnaire")
    raw = _with_files(fr, {
        "..\\..\\Questionnaire FR.docx": ("application/octet-stream", b"PK\x03\x04filled"),
        "tool.exe": ("application/octet-stream", b"MZ\x90\x00"),
    })
    result = ingest(raw, source="t", settings=settings)
    assert result.outcome == "processed"
    with db.session() as s:
        rows = s.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.filename, a.stored, a.refused) for a in rows] == [
            ("Questionnaire FR.docx", True, None), ("tool.exe", False, "executable type (.exe)"),
        ]
        assert path_for(settings.attachment_dir, rows[0].sha256).read_bytes() == b"PK\x03\x04filled"
        submission = s.scalar(select(Submission))
        assert [f["filename"] for f in submission.data["attachments"]] == ["Questionnaire FR.docx"]
        assert (
            submission.review == "pending" and s.get(Request, fr["request_id"]).status == "answered"
        )


def test_a_winmail_dat_is_opened(app, settings):
    fr = france_with_request("questionnaire")
    blob = tnef("Voici le questionnaire rempli.", {"questionnaire.docx": b"PK\x03\x04tnef"})
    raw = _with_files(fr, {"winmail.dat": ("application/ms-tnef", blob)}, text="")
    result = ingest(raw, source="t", settings=settings)
    with db.session() as s:
        [row] = s.scalars(select(Attachment)).all()
        assert (row.filename, row.stored) == ("questionnaire.docx", True)
        assert s.get(Message, result.message_pk).text == "Voici le questionnaire rempli."


def test_a_reply_failing_dmarc_at_our_server_goes_to_triage(app, settings):
    fr = france_with_request()
    ours = dataclasses.replace(settings, authserv_id="mx.secretariat.example.org")
    verdict = (
        "mx.secretariat.example.org; spf=fail smtp.mailfrom=justice.gouv.fr; "
        "dmarc=fail (p=reject) header.from=justice.gouv.fr"
    )
    result = ingest(
        reply(token=fr["token"], headers={"Authentication-Results": verdict}),
        source="t",
        settings=ours,
    )
    assert result.outcome == "triage" and "DMARC failed for justice.gouv.fr" in result.reason
    forged = "mx.secretariat.example.org.evil; dmarc=fail header.from=justice.gouv.fr"
    other = ingest(
        reply(token=fr["token"], headers={"Authentication-Results": forged}),
        source="t",
        settings=ours,
    )
    assert other.outcome == "processed"
    with db.session() as s:
        assert s.scalar(select(func_count(Submission))) == 1


def test_a_reply_gets_one_receipt_a_day_in_its_language(app, settings):
    fr = france_with_request("questionnaire")
    first = ingest(
        reply(token=fr["token"], message_id="<r1@justice.gouv.fr>"), source="t", settings=settings
    )
    second = ingest(
        reply(token=fr["token"], message_id="<r2@justice.gouv.fr>"), source="t", settings=settings
    )
    assert first.receipt is not None and second.receipt is None
    with db.session() as s:
        receipt = s.get(Message, first.receipt)
        assert (receipt.kind, receipt.delivery, receipt.language, receipt.to_addrs) == (
            "receipt",
            "queued",
            "fr",
            [FOCAL_POINT],
        )
        assert b"In-Reply-To: <r1@justice.gouv.fr>" in receipt.raw
        assert f"{fr['tag']}".encode() in receipt.raw
        [item] = s.scalars(select(OutboxItem)).all()
        assert item.step == f"receipt-{date.today().isoformat()}" and item.message_id == receipt.id


def test_no_receipt_without_an_application_context(settings):
    db.init(settings.database_url)
    fr = france_with_request("questionnaire")
    result = ingest(reply(token=fr["token"]), source="t", settings=settings)
    assert result.outcome == "processed" and result.receipt is None


def test_a_request_named_in_the_quoted_history_is_found(app, settings):
    fr = france_with_request()
    body = (
        "Voici notre réponse.\n\n-----Message d'origine-----\nDe : Secrétariat\n"
        f"Envoyé : lundi\nObjet : {fr['tag']} Demande\n\nMerci de préciser.\n"
    )
    raw = reply(body=body, subject="Réponse", headers={"X-Mailer": "x"})
    second = france_second(fr)
    result = ingest(raw, source="t", settings=settings)
    assert (result.method, result.request_id) == ("quoted_history", fr["request_id"])
    assert second


def france_second(fr: dict) -> int:
    from .factories import another_request

    return another_request(fr)


def func_count(model):
    from sqlalchemy import func

    return func.count(model.id)
