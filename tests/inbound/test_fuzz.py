"""Bad input: whatever bytes arrive, ingestion records them raw with the reason, and never
raises."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import db
from bot.inbound.ingest import dedup_key, ingest
from bot.model import Attachment, Message

from .factories import reply

SEEDS = [
    reply(token=None),
    (
        b"From: a@gov.example\r\nTo: replies@secretariat.example.org\r\nSubject: Re: [FB-1] x\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: multipart/alternative; boundary="b2"\r\n\r\n'
        b"--b2\r\nContent-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("确认\n".encode("gb18030"))
        + b"\r\n"
        b"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<div>ok<div class=gmail_quote>old</div></div>\r\n--b2--\r\n"
        b'--b1\r\nContent-Type: application/pdf; name="q.pdf"\r\n'
        b'Content-Disposition: attachment; filename="../../q.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
    ),
    (
        b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\n--B--\r\n"
    ),
]


def _recorded(raw: bytes, result) -> Message:
    with db.session() as s:
        if result.message_pk is not None:
            row = s.get(Message, result.message_pk)
        else:
            row = s.scalar(select(Message).where(Message.dedup_key == dedup_key(raw)[0]))
        assert row is not None, "the message was not recorded"
        s.expunge(row)
        return row


def _check(raw: bytes, settings) -> Message:
    result = ingest(raw, source="fuzz", settings=settings)
    row = _recorded(raw, result)
    if result.outcome != "duplicate":
        assert row.raw == raw
    assert row.delivery in ("processed", "triage", "unparsable")
    if row.delivery != "processed":
        assert row.error, "set aside without a reason"
    return row


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b"\r\n", b"--b1\r\n", b"=?utf-8?b?", b":", b"\x00", b"\xff\xfe", b"--"]
                )
            )
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@pytest.mark.filterwarnings("ignore")
@hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.one_of(mutated(), st.binary(max_size=2000)))
def test_mutated_and_random_mime_is_always_recorded(app, settings, raw):
    _check(raw, settings)


def test_a_header_with_bare_line_breaks_and_an_overlong_line(app, settings):
    raw = (
        b"From: a@gov.example\r\nSubject: line\rbreak\n inside\r\nX-Long: "
        + b"x" * 200_000
        + b"\r\n"
        b"To: replies@secretariat.example.org\r\n\r\nHello\r\n"
    )
    row = _check(raw, settings)
    assert row.delivery == "triage" and "no request found" in row.error


def test_multiparts_nested_a_hundred_deep(app, settings):
    head = b"From: a@gov.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for i in range(100):
        body = (
            f'Content-Type: multipart/mixed; boundary="n{i}"\r\n\r\n--n{i}\r\n'.encode()
            + body
            + f"\r\n--n{i}--\r\n".encode()
        )
    row = _check(head + body, settings)
    assert row.error


def test_a_thirty_megabyte_attachment_is_recorded_but_not_kept(app, settings):
    blob = base64.encodebytes(b"\x00" * (30 * 1024 * 1024))
    raw = (
        b"From: a@gov.example\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: application/zip\r\n"
        b'Content-Disposition: attachment; filename="big.zip"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n"
    )
    row = _check(raw, settings)
    assert "over the size cap" in row.error
    with db.session() as s:
        [kept] = s.scalars(select(Attachment).where(Attachment.message_id == row.id)).all()
        assert (kept.stored, kept.size, kept.filename) == (False, 30 * 1024 * 1024, "big.zip")
    stored = [p for p in settings.attachment_dir.rglob("*") if p.is_file()]
    assert stored == []


def test_an_empty_message(app, settings):
    row = _check(b"", settings)
    assert (row.delivery, row.error) == ("unparsable", "empty message")


def test_a_message_without_from(app, settings):
    row = _check(b"To: replies@secretariat.example.org\r\nSubject: who?\r\n\r\nHello\r\n", settings)
    assert row.delivery == "triage" and "no sender address" in row.error
