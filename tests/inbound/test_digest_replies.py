"""Replies to digests: filed under the requests they concern, and how far evidence lets them go."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select

from bot import db, requests, service, tokens
from bot.inbound.poll import poll
from bot.model import Message, MessageLink, OutboxItem, Request, Submission
from tests import factories

KINDS = ("questionnaire", "directory_update", "clarification")


def _digest(settings) -> tuple[Message, list[int], str]:
    """Three open requests of Mexico's focal point, planned into one digest."""
    with db.session() as s:
        contact = factories.focal_point(s, "MX", name="Ana López")
        ids = [factories.request(s, "MX", kind=k, contact=contact).id for k in KINDS]
    service.plan(settings)
    with db.session() as s:
        digest = s.scalars(select(Message).where(Message.kind == "digest")).one()
        carried = s.scalars(
            select(OutboxItem.request_id).where(OutboxItem.message_id == digest.id)
        ).all()
        s.expunge(digest)
    assert sorted(carried) == ids and digest.token
    return digest, ids, contact_email()


def contact_email() -> str:
    return "fp.mx@example.org"


def _reply(
    digest: Message,
    *,
    to: str,
    body: str,
    sender: str = "fp.mx@example.org",
    in_reply_to: bool = True,
    subject: str | None = None,
) -> bytes:
    original = message_from_bytes(digest.raw, policy=policy.default)
    msg = EmailMessage()
    msg["From"] = f"Ana López <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject or f"Re: {original['Subject']}"
    msg["Date"] = "Thu, 03 Dec 2026 10:00:00 -0600"
    msg["Message-ID"] = make_msgid(domain="sre.gob.mx")
    if in_reply_to:
        msg["In-Reply-To"] = digest.message_id
        msg["References"] = digest.message_id
    quoted = original.get_body(("plain",))
    assert quoted is not None
    msg.set_content(body + "\n\n> " + quoted.get_content().replace("\n", "\n> "))
    return msg.as_bytes()


def _deliver(settings, raw: bytes) -> None:
    from bot.folders import ensure_maildir

    ensure_maildir(settings.local_maildir).add(raw)


def _filed(message_pk: int) -> list[int]:
    with db.session() as s:
        return sorted(
            s.scalars(select(MessageLink.request_id).where(MessageLink.message_id == message_pk))
        )


def test_a_plain_reply_to_a_digest_is_on_every_request_it_carried_and_pauses_them(settings, app):
    digest, ids, _ = _digest(settings)
    reply_to = message_from_bytes(digest.raw, policy=policy.default)["Reply-To"]
    assert reply_to == tokens.reply_address(digest.token, settings.reply_address)
    _deliver(
        settings,
        _reply(
            digest, to=reply_to, body="Thank you, our answers will follow by the end of the month."
        ),
    )

    result = poll(settings)
    (outcome,) = result.results
    assert outcome.outcome == "processed" and outcome.method == "token:every"
    assert sorted(outcome.request_ids) == ids and _filed(outcome.message_pk) == ids
    with db.session() as s:
        for rid in ids:
            assert outcome.message_pk in [
                m.id for m in requests.correspondence(s, rid) if m.direction == "in"
            ]
        # the clarification's text waits for review: the reply names none of the requests
        pending = s.scalars(select(Submission)).all()
        assert [(x.request_id, x.review) for x in pending] == [(ids[2], "pending")]

    with db.session() as s:  # paused at once, not only when the planner next looks
        rows = s.scalars(select(Request).where(Request.id.in_(ids))).all()
        assert all(r.paused and r.status == "open" for r in rows), [
            (r.id, r.paused, r.status) for r in rows
        ]
    assert service.plan(settings).queued == []


def test_a_reply_to_the_plain_address_with_in_reply_to_a_digest_threads_the_same(settings, app):
    digest, ids, _ = _digest(settings)
    _deliver(settings, _reply(digest, to=settings.reply_address, body="Bien recibido, gracias."))
    (outcome,) = poll(settings).results
    assert (outcome.outcome, outcome.method) == ("processed", "in_reply_to:every")
    assert _filed(outcome.message_pk) == ids


def test_a_reply_to_a_digest_naming_one_request_goes_to_that_one_only(settings, app):
    digest, ids, _ = _digest(settings)
    with db.session() as s:
        tag = s.get(Request, ids[2]).tag
    reply_to = tokens.reply_address(digest.token, settings.reply_address)
    text = f"Regarding {tag}: the central authority is the Fiscalía General de la República."
    _deliver(settings, _reply(digest, to=reply_to, body=text))
    (outcome,) = poll(settings).results
    assert (outcome.request_id, outcome.request_ids, outcome.method) == (
        ids[2],
        [ids[2]],
        "token:named",
    )
    with db.session() as s:
        clarification = s.get(Request, ids[2])
        submission = s.scalars(select(Submission)).one()
        assert (submission.request_id, submission.review) == (ids[2], "accepted")
        assert clarification.status == "answered"
        assert {s.get(Request, i).status for i in ids[:2]} == {"open"}


def test_confirm_in_a_reply_to_a_digest_answers_the_directory_update(settings, app):
    digest, ids, _ = _digest(settings)
    reply_to = tokens.reply_address(digest.token, settings.reply_address)
    _deliver(settings, _reply(digest, to=reply_to, body="CONFIRM"))
    (outcome,) = poll(settings).results
    assert (outcome.request_ids, outcome.method) == ([ids[1]], "token:answer")
    with db.session() as s:
        submission = s.scalars(select(Submission)).one()
        assert (submission.request_id, submission.review, submission.data.get("confirm")) == (
            ids[1],
            "pending",
            True,
        )


def test_a_forged_sender_with_a_guessable_tag_does_not_answer_the_request(settings, app):
    """No token, no In-Reply-To of ours, no authentication results: the answer waits for review."""
    rid, tag = _one_request("clarification")
    _deliver(
        settings,
        _reply_plain(settings, f"Re: Clarification {tag}", "The authority is the Ministry."),
    )
    (outcome,) = poll(settings).results
    assert (outcome.outcome, outcome.method) == ("processed", "subject_tag")
    with db.session() as s:
        request = s.get(Request, rid)
        submission = s.scalars(select(Submission)).one()
        assert request.status == "open" and request.paused
        assert (submission.request_id, submission.review) == (rid, "pending")


def test_a_text_reply_to_a_technical_assistance_request_is_an_answer_to_review(settings, app):
    rid, tag = _one_request("technical_assistance")
    _deliver(
        settings,
        _reply_plain(settings, f"Re: {tag}", "We need training on financial investigations."),
    )
    poll(settings)
    with db.session() as s:
        submission = s.scalars(select(Submission)).one()
        assert (submission.request_id, submission.review) == (rid, "pending")
        assert submission.data == {"text": "We need training on financial investigations."}
        assert s.get(Request, rid).paused


def _one_request(kind: str) -> tuple[int, str]:
    with db.session() as s:
        contact = factories.focal_point(s, "MX")
        request = factories.request(s, "MX", kind=kind, contact=contact)
        return request.id, request.tag


def _reply_plain(settings, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ana López <fp.mx@example.org>"
    msg["To"] = settings.reply_address
    msg["Subject"] = subject
    msg["Date"] = "Thu, 03 Dec 2026 10:00:00 -0600"
    msg["Message-ID"] = make_msgid(domain="sre.gob.mx")
    msg.set_content(body)
    return msg.as_bytes()


def test_a_reply_to_a_digest_through_real_dovecot_is_on_its_requests(imap_settings, dovecot):
    digest, ids, _ = _digest(imap_settings)
    dovecot.append(
        _reply(digest, to=imap_settings.reply_address, body="Thank you; answers to follow.")
    )
    (outcome,) = poll(imap_settings).results
    assert outcome.outcome == "processed" and _filed(outcome.message_pk) == ids
    assert dovecot.list_folder("INBOX") == []
