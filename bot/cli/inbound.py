"""``focalbot inspect-email``: what the parser makes of one message, as JSON."""

from __future__ import annotations

import json
import sys

import click

from ..inbound.parse import ParseError, parse
from .base import CliError, load_settings

FIELDS = (
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
)


@click.command("inspect-email")
@click.argument("path", type=click.Path(allow_dash=True, dir_okay=False))
def inspect_email(path: str) -> None:
    """Parse the message in PATH (or - for standard input) and print one JSON object.

    Nothing is stored: only the parser runs. REPLY_ADDRESS tells it which
    address carries request tokens and which domain is ours.
    """
    settings = load_settings()
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        parsed = parse(
            raw,
            reply_local=settings.reply_local,
            our_domain=settings.mail_domain,
            authserv_id=settings.authserv_id,
        )
    except ParseError as exc:
        out = dict.fromkeys(FIELDS)
        out.update(
            token_valid=False,
            new_text="",
            answers={},
            attachments=[],
            problems=[f"unparsable: {exc.reason}"],
        )
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        raise SystemExit(1) from None
    data = parsed.to_dict()
    out = {name: data[name] for name in FIELDS}
    out.update(
        message_id=parsed.message_id,
        subject=parsed.subject,
        request_tag=parsed.subject_tag,
        bounce_token=parsed.verp_token,
        references_in_text=parsed.text_refs + parsed.history_refs,
        references_in_attachments=parsed.attachment_refs,
        return_date=data["return_date"],
        dmarc=parsed.dmarc,
    )
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


COMMANDS = [inspect_email]
