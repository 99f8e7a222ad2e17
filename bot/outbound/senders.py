"""Ways of handing a finished message to the world: SMTP, or the local outbox folder.

Both take the stored bytes as they are, so a retry sends the very same message
(same Message-ID) and the receiver can drop the copy. Errors are sorted into
``TemporaryFailure`` (try again later) and ``PermanentFailure`` (do not).
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Protocol, cast

from flask_mail import Connection, Mail, _Mail

from .. import db, mailauth
from ..config import ServerURL, Settings
from ..mailconn import MailSecurityError, smtp_connect
from . import problems

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """The message may go through later (4xx, network trouble, timeouts).

    ``maybe_delivered``: the connection failed after the message's data was sent and before
    the server answered it, so the server may have the message.
    """

    def __init__(self, message: str, *, maybe_delivered: bool = False):
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class PermanentFailure(Exception):
    """The message was refused for good (5xx)."""

    def __init__(self, message: str, *, recipient_refused: bool = False):
        super().__init__(message)
        self.recipient_refused = recipient_refused  # the address itself was refused


class Sender(Protocol):
    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> str:
        """Deliver ``raw``; return the server's answer (kept as evidence)."""

    def batch(self) -> AbstractContextManager[None]:
        """Hold what can be shared (a connection) across several sends."""


class _TimeoutConnection(Connection):
    """Flask-Mail's connection, opened by ``bot.mailconn`` (timeout, verified TLS, XOAUTH2)."""

    def __init__(self, mail: Mail, settings: Settings, url: ServerURL, timeout: float):
        super().__init__(mail)
        self.settings = settings
        self.url = url
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        return smtp_connect(self.settings, self.timeout, self.url)


PROBLEM_KEY = "mail:smtp"


def setup_failure(exc: BaseException, url: ServerURL) -> str | None:
    """What to tell the desk when a connection could not be set up safely or logged in to:
    a TLS, STARTTLS or log-in failure (which no retry mends); None for other faults."""
    where = url.redacted()
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"mail is not being sent: the certificate of {url.host}:{url.port} could not be "
            f"verified ({exc.verify_message}); set MAIL_CA_FILE for a private CA, or check "
            "the host name in SMTP_URL"
        )
    if isinstance(exc, ssl.SSLError):
        return f"mail is not being sent: TLS with {where} failed ({exc.reason or exc})"
    if isinstance(exc, MailSecurityError):
        return f"mail is not being sent: {exc}"
    if isinstance(exc, mailauth.MailAuthError):
        return f"mail is not being sent: no OAuth access token: {exc}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reason = mailauth.text(exc.smtp_error)
        return (
            f"mail is not being sent: {where} refused the log-in ({exc.smtp_code} {reason}); "
            "check the user name and password in SMTP_URL, or the OAuth settings"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"mail is not being sent: {where}: {exc}; check SMTP_URL's user name and port"
    return None


def _note(message: str | None) -> None:
    """Show (or clear) the sending problem on the desk; a database that is down is logged."""
    try:
        with db.session() as s:
            if message is None:
                if problems.is_open(s, PROBLEM_KEY):  # a read first: most sends find none
                    problems.resolve(s, PROBLEM_KEY)
            else:
                problems.report(s, PROBLEM_KEY, "sending", message)
    except Exception as exc:  # the send's own failure is the one to raise
        log.warning("could not record the sending problem: %s: %s", type(exc).__name__, exc)


class SmtpSender:
    def __init__(self, url: ServerURL, timeout: float, settings: Settings):
        self.url = url
        self.timeout = timeout
        self.settings = settings
        # the settings object Flask-Mail's own ``Mail.init_app`` builds, without an app
        state = _Mail(
            server=url.host,
            username=url.username,
            password=url.password,
            port=url.port,
            use_tls=False,
            use_ssl=url.scheme == "smtps",
            default_sender=None,
            debug=0,
            max_emails=None,
            suppress=False,
            ascii_attachments=False,
        )
        self.mail = cast(Mail, state)

        self._conn: _TimeoutConnection | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keep one SMTP connection open for several ``send`` calls."""
        try:
            yield
        finally:
            self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and conn.host is not None:
            try:
                conn.host.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def _host(self) -> smtplib.SMTP:
        if self._conn is None:
            conn = _TimeoutConnection(self.mail, self.settings, self.url, self.timeout)
            try:
                conn.host = conn.configure_host()
            except Exception as exc:
                message = setup_failure(exc, self.url)
                if message is None:
                    raise
                _note(message)
                raise TemporaryFailure(message) from None
            _note(None)
            self._conn = conn
        assert self._conn.host is not None
        return self._conn.host

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> str:
        data_sent = False  # from here on, a broken connection leaves the outcome unknown
        try:
            host = self._host()
            code, resp = host.mail(envelope_from)
            if code != 250:
                host.rset()
                _raise(code, resp, "MAIL FROM")
            accepted = 0
            last_refusal: tuple[int, bytes] | None = None
            for rcpt in recipients:
                code, resp = host.rcpt(rcpt)
                if code in (250, 251):
                    accepted += 1
                else:
                    last_refusal = (code, resp)
            if not accepted:
                assert last_refusal is not None
                host.rset()
                _raise(*last_refusal, what="RCPT TO", recipient=True)
            data_sent = True
            code, resp = host.data(raw)
            if code != 250:
                _raise(code, resp, "DATA")
            return f"{code} {resp.decode('utf-8', 'replace')}"[:500]
        except (TemporaryFailure, PermanentFailure):
            raise
        except smtplib.SMTPResponseException as exc:
            self._close()
            _raise(exc.smtp_code, exc.smtp_error, "SMTP")
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._close()
            where = " after the message's data, without the server's answer" if data_sent else ""
            raise TemporaryFailure(
                f"{self.url.redacted()}: {type(exc).__name__}: {exc}{where}",
                maybe_delivered=data_sent,
            ) from None
        raise AssertionError("unreachable")


def _raise(code: int, resp: bytes | str, what: str, recipient: bool = False) -> None:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    message = f"{what}: {code} {text}"[:500]
    if 500 <= code < 600:
        raise PermanentFailure(message, recipient_refused=recipient)
    raise TemporaryFailure(message)


class LocalOutboxSender:
    """Writes each message as an .eml file, named by its Message-ID (so a retry overwrites)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        match = re.search(rb"^Message-ID:\s*<([^>]+)>", raw, re.M | re.I)
        stem = match.group(1).decode("ascii", "replace") if match else str(abs(hash(raw)))
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)[:120]
        path = self.folder / f"{stem}.eml"
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_bytes(raw)
            os.replace(tmp, path)
        except OSError as exc:
            raise TemporaryFailure(f"cannot write {path}: {exc.strerror}") from None
        return f"local {path}"


def sender_for(settings: Settings) -> Sender:
    if settings.smtp is not None:
        return SmtpSender(settings.smtp, settings.smtp_timeout, settings)
    return LocalOutboxSender(settings.local_outbox)
