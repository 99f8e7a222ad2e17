"""The mail fixtures in tests/fixtures/mail: parser, CLI and a real mailbox agree with their
JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import db
from bot.cli.inbound import inspect_email
from bot.inbound.parse import ParsedMail, parse
from bot.inbound.poll import poll
from bot.model import Message
from tests.conftest import make_settings

from .test_cli import FIELDS

MAIL = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
NAMES = sorted(p.stem for p in MAIL.glob("*.eml"))
OURS = {"reply_local": "replies", "our_domain": "secretariat.example.org"}

KNOWN_BUGS: dict[str, str] = {}  # fixture name -> the bug that makes it fail (strict xfail)


def _collapse(text: str | None) -> str | None:
    return None if text is None else " ".join(str(text).split())


def _collapsed(value):
    if isinstance(value, str):
        return _collapse(value)
    if isinstance(value, dict):
        return {_collapse(k): _collapsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_collapsed(v) for v in value]
    return value


def expected(name: str) -> dict:
    return json.loads((MAIL / f"{name}.json").read_text(encoding="utf-8"))


def output(parsed: ParsedMail) -> dict:
    """The fields ``focalbot inspect-email`` prints."""
    data = parsed.to_dict()
    data.update(bounce_token=parsed.verp_token, request_tag=parsed.subject_tag)
    return data


def differences(want: dict, got: dict) -> list[str]:
    out = []
    for key, value in want.items():
        actual: Any = got.get(key)
        if key in ("new_text", "signature"):
            same = _collapse(actual) == _collapse(value)
        elif key == "answers":
            same = _collapsed(actual) == _collapsed(value)
        elif key == "bounce":
            same = (actual is None) == (value is None) and (
                value is None or all(actual.get(k) == v for k, v in value.items())
            )
        elif key == "attachments":
            same = len(actual) == len(value) and all(
                all(a.get(k) == v for k, v in w.items()) for a, w in zip(actual, value, strict=True)
            )
        elif key == "problems":
            same = all(any(s in p for p in actual) for s in value) and all(
                any(s in p for s in value) for p in actual
            )
        else:
            same = actual == value
        if not same:
            out.append(f"{key}: expected {value!r}, got {actual!r}")
    return out


def test_there_are_enough_fixtures_and_each_has_its_json():
    assert len(NAMES) >= 80
    assert sorted(p.stem for p in MAIL.glob("*.json")) == NAMES
    assert set(KNOWN_BUGS) <= set(NAMES)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n]))
        if n in KNOWN_BUGS
        else n
        for n in NAMES
    ],
)
def test_the_parser_reads_the_fixture_as_expected(name):
    parsed = parse((MAIL / f"{name}.eml").read_bytes(), **OURS)
    assert differences(expected(name), output(parsed)) == []


CLI_SAMPLES = [
    "top-outlook-fr",
    "charset-windows-1256-ar",
    "dsn-postfix-5.1.1",
    "ooo-es",
    "attach-docx-fr",
    "confirm-ru",
]


@pytest.mark.parametrize("name", CLI_SAMPLES)
def test_the_cli_prints_what_the_fixture_expects(name, tmp_path):
    env = {
        "FOCALBOT_VAR": str(tmp_path / "var"),
        "REPLY_ADDRESS": "replies@secretariat.example.org",
    }
    result = CliRunner().invoke(inspect_email, [str(MAIL / f"{name}.eml")], env=env)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert FIELDS <= set(printed)
    assert differences(expected(name), printed) == []


def test_every_fixture_polled_from_a_real_mailbox_is_recorded_once(
    settings, app, dovecot, tmp_path
):
    imap_settings = make_settings(
        tmp_path, DATABASE_URL=settings.database_url, IMAP_URL=dovecot.url, IMAP_TIMEOUT="20"
    )
    raws = {name: (MAIL / f"{name}.eml").read_bytes() for name in NAMES}
    client = dovecot.client()
    try:
        for raw in raws.values():
            client.append("INBOX", raw)
    finally:
        client.logout()

    result = poll(imap_settings)
    assert (result.fetched, result.recorded, result.duplicates) == (len(NAMES), len(NAMES), 0)
    again = poll(imap_settings)
    assert (again.fetched, again.recorded) == (0, 0)

    with db.session() as s:
        rows = list(s.scalars(select(Message).where(Message.direction == "in")))
        by_raw = {bytes(row.raw): (row.kind, row.delivery) for row in rows}
    assert len(rows) == len(NAMES)
    for name, raw in raws.items():
        assert raw in by_raw, f"{name} was not recorded with its bytes intact"
        assert by_raw[raw][0] == expected(name)["kind"], name

    assert dovecot.list_folder("INBOX") == []
    bounces = dovecot.list_folder("focalbot-bounces")
    moved = (
        bounces + dovecot.list_folder("focalbot-review") + dovecot.list_folder("focalbot-processed")
    )
    assert sorted(moved) == sorted(raws.values())
    assert sorted(bounces) == sorted(
        raw for name, raw in raws.items() if expected(name)["kind"] == "bounce"
    )
