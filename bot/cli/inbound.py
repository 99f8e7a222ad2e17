"""``focalbot inspect-email``: what the parser makes of one message, as JSON; ``focalbot
listen``: the mailbox read as mail comes in."""

from __future__ import annotations

import json
import sys

import click

from ..inbound.parse import ParseError, parse
from .base import CliError, load_app, load_settings

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


@click.command("listen")
def listen_command() -> None:
    """Read the mailbox as mail comes in, until SIGTERM or Ctrl-C.

    It holds the mailbox's lease (a second listener stands by, and the beat's polls skip),
    polls at start, then waits with IMAP IDLE and polls when a message arrives; a server
    without IDLE, or the local Maildir, is polled every POLL_INTERVAL. A dropped connection
    is logged in one line and made again after a delay doubling from 1 second to 5 minutes.
    """
    import signal
    import threading

    from ..inbound.listen import Listener

    app = load_app(starts=True)
    settings = app.config["FOCALBOT"]
    stop = threading.Event()

    def stopping(*_args: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    where = settings.imap.redacted() if settings.imap else str(settings.local_maildir)
    click.echo(f"listening to {where}")
    with app.app_context():
        Listener(settings, stop=stop).run()


COMMANDS = [inspect_email, listen_command]
