"""Checkpoints anchor the audit log outside the database: `focalbot audit checkpoint`
writes the signed head, `audit verify --checkpoint FILE` proves the log still holds it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, text

from bot import audit, audit_checkpoint
from bot.model import AuditEvent, Message
from tests.cli.test_messages import _one_line, _run
from tests.security.audit_dba import edit_payload, keyed_with, owner, rechain

KEY = b"k" * 32
WHEN = datetime(2027, 3, 1, 2, 15, tzinfo=UTC)


@pytest.fixture
def log(session):
    """Five events, committed."""
    for i in range(5):
        audit.record(session, "thing.done", subject_type="thing", subject_id=i, n=i)
    session.commit()
    return session


# the pure functions


def test_a_signed_checkpoint_checks_and_names_its_key():
    doc = audit_checkpoint.sign(KEY, 5, "ab" * 32, WHEN)
    assert set(doc) == {"seq", "hash", "time", "key_id", "signature"}
    assert doc["time"] == "2027-03-01T02:15:00+00:00"
    assert doc["key_id"] == audit.key_id(KEY) and len(doc["key_id"]) == 8
    assert audit_checkpoint.signature_problem(KEY, doc) == ""
    assert audit_checkpoint.signing_key(KEY) != KEY


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"seq": 6}, "its signature does not match: the checkpoint was altered"),
        ({"hash": "cd" * 32}, "its signature does not match"),
        ({"time": "2027-03-02T02:15:00+00:00"}, "its signature does not match"),
        ({"signature": "00" * 32}, "its signature does not match"),
        ({"key_id": "deadbeef"}, "it was signed with another audit key (key id deadbeef;"),
        ({"seq": "5"}, "its 'seq' is not a number of events"),
        ({"seq": -1}, "its 'seq' is not a number of events"),
    ],
)
def test_a_tampered_checkpoint_is_refused(change, problem):
    doc = audit_checkpoint.sign(KEY, 5, "ab" * 32, WHEN) | change
    assert problem in audit_checkpoint.signature_problem(KEY, doc)


def test_a_checkpoint_of_another_key_or_missing_a_field_is_refused():
    doc = audit_checkpoint.sign(b"another key of 32 bytes........", 5, "ab" * 32, WHEN)
    assert "signed with another audit key" in audit_checkpoint.signature_problem(KEY, doc)
    del doc["signature"]
    assert audit_checkpoint.signature_problem(KEY, doc) == (
        "it is not a checkpoint: it has no 'signature'"
    )


def test_a_checkpoint_is_found_in_the_text_of_the_email_it_came_in():
    doc = audit_checkpoint.sign(KEY, 5, "ab" * 32, WHEN)
    body = "Dear archive,\n\n" + audit_checkpoint.dumps(doc).replace("\n ", "\n") + "\nYours\n"
    assert audit_checkpoint.parse(body) == doc
    with pytest.raises(ValueError, match="no checkpoint in it"):
        audit_checkpoint.parse("nothing here")


@pytest.mark.parametrize(
    ("count", "stored", "problem"),
    [
        (7, "ab" * 32, ""),
        (5, "ab" * 32, ""),
        (4, None, "the log ends at event 4, before event 5 of the checkpoint of"),
        (7, "cd" * 32, "event 5 is not the one the checkpoint of"),
    ],
)
def test_the_log_must_still_hold_the_checkpoints_event(count, stored, problem):
    doc = audit_checkpoint.sign(KEY, 5, "ab" * 32, WHEN)
    result = audit.VerifyResult(True, count)
    assert problem in audit_checkpoint.held_problem(doc, result, stored)
    assert bool(audit_checkpoint.held_problem(doc, result, stored)) == bool(problem)


def test_events_added_since_a_checkpoint_are_named():
    doc = {"seq": 5}
    assert audit_checkpoint.added_since(doc, audit.VerifyResult(True, 5)) == (
        "no events added since"
    )
    assert audit_checkpoint.added_since(doc, audit.VerifyResult(True, 6)) == (
        "1 event added since (event 6)"
    )
    assert audit_checkpoint.added_since(doc, audit.VerifyResult(True, 9)) == (
        "4 events added since (events 6 to 9)"
    )


# the commands


def test_a_checkpoint_is_written_recorded_and_verified(log, settings, cli_env, fixed_clock):
    written = _run(cli_env, "audit", "checkpoint")
    assert written.exit_code == 0, written.output
    files = list(settings.audit_checkpoint_dir.iterdir())
    assert [f.name for f in files] == ["audit-checkpoint-2027-03-01-seq5.json"]
    assert written.output.strip() == f"checkpoint of event 5 written to {files[0]}"
    doc = json.loads(files[0].read_text())
    last = log.scalars(select(AuditEvent).where(AuditEvent.seq == 5)).one()
    assert (doc["seq"], doc["hash"], doc["key_id"]) == (
        5,
        last.hash,
        audit.key_id(settings.audit_key),
    )
    event = log.scalars(select(AuditEvent).where(AuditEvent.action == "audit.checkpoint")).one()
    assert event.seq == 6
    assert audit.data_of(event) | {"time": None} == {
        "hash": last.hash,
        "time": None,
        "key_id": doc["key_id"],
        "file": str(files[0]),
        "mailed_to": "",
    }
    log.rollback()
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(files[0]))
    assert checked.exit_code == 0, checked.output
    assert checked.output.strip() == (
        f"audit chain intact: 6 events; it holds the checkpoint of event 5 of {doc['time']}; "
        "1 event added since (event 6)"
    )


def test_checkpoint_out_writes_the_file_named(log, cli_env, tmp_path):
    out = tmp_path / "offsite" / "today.json"
    assert _run(cli_env, "audit", "checkpoint", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["seq"] == 5


def test_a_tampered_checkpoint_file_fails_verify_with_one_line(log, cli_env, tmp_path):
    out = tmp_path / "cp.json"
    _run(cli_env, "audit", "checkpoint", "--out", str(out))
    doc = json.loads(out.read_text())
    out.write_text(json.dumps(doc | {"seq": 3}))
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 1
    assert _one_line(checked) == (
        "checkpoint: its signature does not match: the checkpoint was altered"
    )
    out.write_text("not json {")
    assert "checkpoint: " in _one_line(_run(cli_env, "audit", "verify", "--checkpoint", str(out)))


def test_a_checkpoint_signed_with_another_key_fails_verify(log, cli_env, tmp_path):
    out = tmp_path / "cp.json"
    other = audit_checkpoint.sign(b"o" * 32, 5, "ab" * 32, WHEN)
    out.write_text(audit_checkpoint.dumps(other))
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 1
    assert _one_line(checked).startswith("checkpoint: it was signed with another audit key")


def test_a_log_truncated_below_the_checkpoint_with_its_head_rewritten_fails_verify(
    log, settings, cli_env, tmp_path
):
    """Without the checkpoint this truncation cannot be seen: the head is made to match."""
    out = tmp_path / "cp.json"
    _run(cli_env, "audit", "checkpoint", "--out", str(out))
    log.rollback()
    with owner(settings.database_url) as conn:
        third = conn.execute(text("SELECT hash FROM audit_event WHERE seq = 3")).scalar_one()
        conn.execute(text("DELETE FROM audit_event WHERE seq > 3"))
        conn.execute(text("UPDATE audit_head SET seq = 3, last_hash = :h"), {"h": third})
    plain = _run(cli_env, "audit", "verify")
    assert plain.exit_code == 0 and "intact: 3 events" in plain.output
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 1
    assert _one_line(checked).startswith(
        "checkpoint: the log ends at event 3, before event 5 of the checkpoint of "
    )


def test_a_rewrite_with_the_key_before_the_checkpoint_fails_verify(
    log, settings, cli_env, tmp_path
):
    """Someone holding the database and the key can make the chain verify again; the
    checkpoint they cannot reach still tells."""
    out = tmp_path / "cp.json"
    _run(cli_env, "audit", "checkpoint", "--out", str(out))
    log.rollback()
    with owner(settings.database_url) as conn:
        edit_payload(conn, 2, '"n":1', '"n":4')
        rechain(conn, keyed_with(settings.audit_key), from_seq=2)
    assert _run(cli_env, "audit", "verify").exit_code == 0
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 1
    assert "checkpoint: event 5 is not the one the checkpoint of" in _one_line(checked)


def test_a_broken_chain_fails_verify_with_a_checkpoint_too(log, settings, cli_env, tmp_path):
    out = tmp_path / "cp.json"
    _run(cli_env, "audit", "checkpoint", "--out", str(out))
    log.rollback()
    with owner(settings.database_url) as conn:
        edit_payload(conn, 6, '"mailed_to":""', '"mailed_to":"x"')
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 1
    assert _one_line(checked).startswith("audit chain broken at event 6 ")


def test_a_broken_chain_gets_no_checkpoint(log, settings, cli_env):
    log.rollback()
    with owner(settings.database_url) as conn:
        edit_payload(conn, 2, '"n":1', '"n":4')
    refused = _run(cli_env, "audit", "checkpoint")
    assert refused.exit_code == 1
    assert _one_line(refused).startswith("no checkpoint written: audit chain broken at event 2")
    assert not settings.audit_checkpoint_dir.exists()


def test_a_checkpoint_of_an_empty_log_holds(session, cli_env, tmp_path):
    out = tmp_path / "cp.json"
    assert _run(cli_env, "audit", "checkpoint", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["hash"] == audit.GENESIS
    checked = _run(cli_env, "audit", "verify", "--checkpoint", str(out))
    assert checked.exit_code == 0 and "1 event added since (event 1)" in checked.output


def test_the_checkpoint_is_queued_as_one_letter_to_the_mailbox(log, cli_env, settings):
    env = {**cli_env, "AUDIT_CHECKPOINT_TO": "audit-archive@secretariat.example.org"}
    written = _run(env, "audit", "checkpoint")
    assert written.exit_code == 0, written.output
    assert written.output.strip().endswith(", mailed to audit-archive@secretariat.example.org")
    log.rollback()
    letters = log.scalars(select(Message)).all()
    assert len(letters) == 1
    letter = letters[0]
    assert (letter.delivery, letter.kind, letter.to_addrs) == (
        "queued",
        "notice",
        ["audit-archive@secretariat.example.org"],
    )
    mail = message_from_bytes(letter.raw, policy=policy.default)
    assert mail["Subject"] == "Audit log checkpoint: event 5"
    body = mail.get_body(("plain",)).get_content()
    assert "focalbot audit verify --checkpoint FILE" in body
    doc = audit_checkpoint.parse(body)
    assert doc["seq"] == 5
    # the copy that went off the machine checks as the file does
    assert audit_checkpoint.check(log, settings.audit_key, body).ok
    actions = log.scalars(select(AuditEvent.action).where(AuditEvent.seq > 5)).all()
    assert sorted(actions) == ["audit.checkpoint", "message.queued"]


def test_verify_with_another_key_says_the_key_does_not_match(log, cli_env, tmp_path):
    other = tmp_path / "other.key"
    other.write_bytes(b"o" * 32)
    checked = _run({**cli_env, "AUDIT_KEY_FILE": str(other)}, "audit", "verify")
    assert checked.exit_code == 1
    assert _one_line(checked) == (
        "audit chain broken at event 1 (id 1): the audit key does not match this log "
        "(check AUDIT_KEY_FILE), or its first event was altered"
    )
