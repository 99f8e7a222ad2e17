"""One poll of the configured mailbox: IMAP when IMAP_URL is set, else the local Maildir.

A poll that fails (the Maildir cannot be made, the IMAP server refuses the
login or cannot be reached) is reported as the desk's Problem
``mailbox:poll``, with the time it first failed, and raises ``PollError`` so
that the task that ran it fails; the next poll that succeeds clears it.
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import NoReturn

from imapclient.exceptions import IMAPClientError, LoginError

from .. import db
from ..config import Settings
from ..folders import FolderError
from ..mailauth import MailAuthError
from ..mailconn import MailSecurityError
from ..outbound import problems
from .imap import poll_imap
from .ingest import PollResult
from .maildir import poll_maildir

__all__ = ["PROBLEM_KEY", "PollError", "PollResult", "describe", "poll", "report", "succeeded"]

log = logging.getLogger(__name__)
PROBLEM_KEY = "mailbox:poll"


class PollError(Exception):
    """The mailbox could not be read; the message says why, without secrets."""


def mailbox_name(settings: Settings) -> str:
    if settings.imap is not None:
        return settings.imap.redacted()
    return str(settings.local_maildir)


def describe(exc: BaseException, settings: Settings) -> str:
    """One line saying why the mailbox could not be read and what to check."""
    where = mailbox_name(settings)
    url = settings.imap
    if isinstance(exc, FolderError):
        return f"mail is not being read: {exc}; set LOCAL_MAILDIR to a folder, or IMAP_URL"
    if isinstance(exc, ssl.SSLCertVerificationError) and url is not None:
        return (
            f"mail is not being read: the certificate of the IMAP server {url.host}:{url.port} "
            f"could not be verified ({exc.verify_message}); set MAIL_CA_FILE for a private "
            "CA, or check the host name in IMAP_URL"
        )
    if isinstance(exc, MailSecurityError):
        return f"mail is not being read: {exc}"
    if isinstance(exc, MailAuthError):
        return f"mail is not being read: no OAuth access token: {exc}"
    if isinstance(exc, LoginError) and url is not None and settings.mail_auth == "xoauth2":
        return (
            f"mail is not being read: the IMAP server {url.host} refused the XOAUTH2 log-in "
            f"for {url.username} ({str(exc).strip()}); check the OAuth settings and the "
            "mailbox's permissions"
        )
    if isinstance(exc, LoginError) and url is not None:
        user = url.username or "(no user name)"
        reason = str(exc).strip() or "no reason given"
        return (
            f"mail is not being read: the IMAP server {url.host} refused the login for {user} "
            f"({reason}); check the user name and password in IMAP_URL"
        )
    if isinstance(exc, (ssl.SSLError, socket.timeout, ConnectionError, socket.gaierror)) and url:
        return (
            f"mail is not being read: cannot reach the IMAP server {url.host}:{url.port} "
            f"({type(exc).__name__}: {exc}); check IMAP_URL and the network"
        )
    if isinstance(exc, IMAPClientError):
        return f"mail is not being read: the IMAP server of {where} answered: {exc}"
    if isinstance(exc, OSError):
        return f"mail is not being read from {where}: {exc.strerror or exc}"
    return f"mail is not being read from {where}: {type(exc).__name__}: {exc}"


def _note(settings: Settings, message: str | None) -> None:
    """Report (with a message) or clear the problem; a database that is down is only logged."""
    try:
        db.init(settings.database_url)
        with db.session() as s:
            if message is None:
                problems.resolve(s, PROBLEM_KEY)
            else:
                problems.report(s, PROBLEM_KEY, "mailbox", message)
    except Exception as exc:  # the poll's own error is the one to raise
        log.warning("could not record the mailbox problem: %s: %s", type(exc).__name__, exc)


def poll(settings: Settings, holder: str | None = None) -> PollResult:
    """Read the mailbox once; a poll that finds another reader holding the mailbox's lease
    returns at once, with ``skipped`` saying so (that is no problem)."""
    try:
        if settings.imap is not None:
            result = poll_imap(settings, holder)
        else:
            result = poll_maildir(settings, holder)
    except Exception as exc:
        failed(settings, exc)
    if not result.skipped:
        _note(settings, None)
    return result


def report(settings: Settings, exc: BaseException) -> str:
    """Report why the mailbox could not be read on the desk; return the one line."""
    message = describe(exc, settings)
    _note(settings, message)
    return message


def failed(settings: Settings, exc: Exception) -> NoReturn:
    """Report why the mailbox could not be read on the desk, and raise PollError saying so."""
    raise PollError(report(settings, exc)) from exc


def succeeded(settings: Settings) -> None:
    """Clear the desk's problem after a poll that read the mailbox."""
    _note(settings, None)
