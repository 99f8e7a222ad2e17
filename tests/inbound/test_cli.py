import json

from click.testing import CliRunner

from bot import tokens
from bot.cli.inbound import inspect_email

from .test_parse import BOUNCE

FIELDS = {
    "kind",
    "language",
    "token",
    "token_valid",
    "new_text",
    "signature",
    "answers",
    "bounce",
    "attachments",
    "problems",
}


def _env(tmp_path):
    return {
        "FOCALBOT_VAR": str(tmp_path / "var"),
        "REPLY_ADDRESS": "replies@secretariat.example.org",
    }


def test_it_prints_one_json_object_for_a_file(tmp_path):
    token = "ABCDEFGHJKM"
    token += tokens.check_char(token)
    path = tmp_path / "reply.eml"
    path.write_bytes(
        f"From: x@gov.example\r\nTo: replies+{token.lower()}@secretariat.example.org\r\n"
        "Subject: Re: [FB-5] x\r\n\r\n"
        "Yes, we agree.\r\n\r\nOn Mon, 3 Mar 2025 at 10:00, Secretariat "
        "<replies@secretariat.example.org> wrote:\r\n> Do you agree?\r\n".encode()
    )
    result = CliRunner().invoke(inspect_email, [str(path)], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert FIELDS <= set(data)
    assert (data["kind"], data["token"], data["token_valid"], data["new_text"]) == (
        "reply",
        token,
        True,
        "Yes, we agree.",
    )
    assert data["request_tag"] == 5


def test_it_reads_standard_input(tmp_path):
    result = CliRunner().invoke(inspect_email, ["-"], input=BOUNCE, env=_env(tmp_path))
    data = json.loads(result.output)
    assert data["kind"] == "bounce" and data["bounce"]["status"] == "5.1.1"


def test_unparsable_input_still_prints_json_and_fails(tmp_path):
    result = CliRunner().invoke(inspect_email, ["-"], input=b"\x00\xff", env=_env(tmp_path))
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"][0].startswith("unparsable:")


def test_a_bad_configuration_is_a_clear_error(tmp_path):
    env = {**_env(tmp_path), "REPLY_ADDRESS": "not an address"}
    result = CliRunner().invoke(inspect_email, ["-"], input=b"From: a@b\r\n\r\nx", env=env)
    assert result.exit_code == 2
    assert "REPLY_ADDRESS" in result.output
