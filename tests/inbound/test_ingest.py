from sqlalchemy import func, select, update

from bot import audit, db, tokens
from bot.inbound.ingest import ingest
from bot.model import AuditEvent, Delivery, Message, Request, Submission
from tests.conftest import make_settings

from .factories import DOMAIN, another_request, france_with_request, reply

GARBAGE = b"\x00\xff\xfe\x89 not a mail message at all\r\n"


def _row(pk: int) -> Message:
    with db.session() as s:
        return s.get_one(Message, pk)


def _actions() -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _count(model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_it_records_a_reply_to_a_clarification_as_a_submission(app, settings):
    fr = france_with_request()
    result = ingest(reply(token=fr["token"]), source="test", settings=settings)
    assert (result.outcome, result.method, result.request_id) == (
        "processed",
        "token",
        fr["request_id"],
    )
    row = _row(result.message_pk)
    assert row.direction == "in" and row.kind == "reply" and row.language == "fr"
    assert row.contact_id == fr["contact_id"] and row.state_code == "FR"
    assert row.text.startswith("Bonjour,") and row.raw.startswith(b"From:")
    with db.session() as s:
        submission = s.scalar(select(Submission))
        assert submission.data == {"text": row.text} and submission.message_id == row.id
        assert s.get(Request, fr["request_id"]).status == "answered"
        assert audit.verify(s).ok
    assert _actions()[-4:] == [
        "message.received",
        "submission.received",
        "request.status",
        "message.queued",
    ]


def test_a_message_seen_twice_is_recorded_once(app, settings):
    fr = france_with_request()
    raw = reply(token=fr["token"])
    assert ingest(raw, source="a", settings=settings).outcome == "processed"
    events = len(_actions())
    assert ingest(raw, source="b", settings=settings).outcome == "duplicate"
    assert _count(Message) == 3  # our request, the reply and its receipt
    assert _count(Submission) == 1
    assert len(_actions()) == events


def test_a_message_without_message_id_is_deduplicated_by_its_bytes(app, settings):
    raw = b"From: x@gov.example\r\nSubject: hello\r\n\r\nHello.\r\n"
    first = ingest(raw, source="a", settings=settings)
    assert first.outcome == "triage"
    assert _row(first.message_pk).dedup_key.startswith("sha256:")
    assert ingest(raw, source="b", settings=settings).outcome == "duplicate"


def test_it_threads_by_in_reply_to_without_a_token(app, settings):
    fr = france_with_request(kind="questionnaire")
    result = ingest(reply(in_reply_to=fr["sent_message_id"]), source="t", settings=settings)
    assert (result.outcome, result.method, result.request_id) == (
        "processed",
        "in_reply_to",
        fr["request_id"],
    )
    assert _count(Submission) == 0  # only clarifications are answered by email text


def test_a_subject_tag_from_an_unknown_sender_goes_to_triage(app, settings):
    fr = france_with_request()
    raw = reply(subject=f"Re: {fr['tag']} clarification", sender="someone@elsewhere.example")
    result = ingest(raw, source="t", settings=settings)
    assert result.outcome == "triage" and result.method == "subject_tag"
    row = _row(result.message_pk)
    assert row.request_id == fr["request_id"] and "not a known contact of FR" in row.error
    assert _count(Submission) == 0


def test_an_unmatched_reply_goes_to_triage_with_the_reason(app, settings):
    france_with_request()
    result = ingest(reply(sender="someone@elsewhere.example"), source="t", settings=settings)
    row = _row(result.message_pk)
    assert result.outcome == "triage" and row.request_id is None
    assert "no request found" in row.error


def test_a_reply_from_a_contact_with_one_open_request_is_matched_by_the_sender(app, settings):
    fr = france_with_request()
    result = ingest(reply(), source="t", settings=settings)
    assert (result.outcome, result.method, result.request_id) == (
        "processed",
        "sender",
        fr["request_id"],
    )


def test_a_reply_from_a_contact_with_several_open_requests_goes_to_triage(app, settings):
    first = france_with_request()
    second = another_request(first)
    result = ingest(reply(), source="t", settings=settings)
    row = _row(result.message_pk)
    assert result.outcome == "triage" and row.request_id is None
    assert f"[FB-{first['request_id']}], [FB-{second}]" in row.error
    assert row.contact_id is not None and row.state_code == "FR"  # the sender is known


def test_a_mistyped_token_is_not_taken(app, settings):
    fr = france_with_request()
    token = fr["token"]
    swaps = [token[:i] + token[i + 1] + token[i] + token[i + 2:] for i in range(len(token) - 1)]
    wrong = next(t for t in swaps if not tokens.is_valid(t))
    another_request(fr)
    result = ingest(reply(token=wrong), source="t", settings=settings)
    assert result.outcome == "triage" and result.request_id is None
    error = _row(result.message_pk).error
    assert (
        "check character" in error and f"{token} ({fr['tag']})" in error and "did you mean" in error
    )


def test_an_auto_reply_is_recorded_and_changes_nothing(app, settings):
    fr = france_with_request()
    raw = reply(
        token=fr["token"], subject="Réponse automatique", headers={"Auto-Submitted": "auto-replied"}
    )
    result = ingest(raw, source="t", settings=settings)
    assert (result.outcome, result.kind) == ("processed", "auto_reply")
    with db.session() as s:
        assert s.get(Request, fr["request_id"]).status == "open"
    assert _count(Submission) == 0


def test_a_bounce_is_threaded_by_the_message_that_bounced(app, settings):
    fr = france_with_request()
    raw = (
        "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.org>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; jean.dupont@justice.gouv.fr\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {fr['sent_message_id']}\r\n\r\n--B--\r\n"
    ).encode()
    result = ingest(raw, source="t", settings=settings)
    assert (result.outcome, result.kind, result.method) == (
        "processed",
        "bounce",
        "bounced_message",
    )
    with db.session() as s:
        assert s.get(Request, fr["request_id"]).status == "open"


def test_a_loop_is_dropped_but_kept(app, settings):
    fr = france_with_request()
    raw = reply(token=fr["token"], sender=f"secretariat@{DOMAIN}")
    result = ingest(raw, source="t", settings=settings)
    row = _row(result.message_pk)
    assert (result.outcome, row.kind, row.request_id) == ("processed", "unrelated", None)
    assert "loop" in row.error
    assert _count(Submission) == 0


def test_an_unparsable_message_is_kept_raw_with_its_reason(app, settings):
    result = ingest(GARBAGE, source="t", settings=settings)
    assert result.outcome == "unparsable"
    row = _row(result.message_pk)
    assert row.raw == GARBAGE and row.delivery == "unparsable" and "no header fields" in row.error
    assert _actions()[-1] == "message.unparsable"


def test_a_message_left_half_recorded_is_taken_up_again(app, settings):
    fr = france_with_request()
    raw = reply(token=fr["token"])
    first = ingest(raw, source="t", settings=settings)
    with db.session() as s:  # as if the process had died after storing the bytes
        s.execute(
            update(Message)
            .where(Message.id == first.message_pk)
            .values(delivery=Delivery.RECEIVED.value)
        )
        s.execute(Submission.__table__.delete())
    again = ingest(raw, source="t", settings=settings)
    assert again.outcome == "processed" and again.message_pk == first.message_pk


def test_it_records_a_reply_on_postgresql(tmp_path, pg_url):
    settings = make_settings(tmp_path, DATABASE_URL=pg_url)
    db.init(settings.database_url)
    fr = france_with_request()
    raw = reply(token=fr["token"])
    result = ingest(raw, source="pg", settings=settings)
    assert (result.outcome, result.method) == ("processed", "token")
    assert ingest(raw, source="pg", settings=settings).outcome == "duplicate"
    assert ingest(GARBAGE, source="pg", settings=settings).outcome == "unparsable"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
        assert s.get(Request, fr["request_id"]).status == "answered"
        assert audit.verify(s).ok
