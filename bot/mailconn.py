"""Connections to the mail servers, one way for sending, polling and /readyz.

TLS always verifies the server's certificate and host name (``ssl.create_default_context``),
against the system's certificate authorities plus those in ``MAIL_CA_FILE``. ``smtps://``
and ``imaps://`` are TLS from the first byte; on ``smtp://`` and ``imap://`` STARTTLS is
used as SMTP_STARTTLS / IMAP_STARTTLS say: ``auto`` when the server offers it, ``required``
(a server that does not offer it is an error, before any password or token is sent) or
``off``. The log-in is the password in the URL, or XOAUTH2 with an OAuth 2.0 access token
(``MAIL_AUTH=xoauth2``, see ``bot.mailauth``).
"""

from __future__ import annotations

import smtplib
import ssl

from . import mailauth
from .config import ServerURL, Settings


class MailSecurityError(Exception):
    """The connection cannot be made as safe as the settings ask (no STARTTLS offered)."""


def tls_context(settings: Settings) -> ssl.SSLContext:
    """A verifying client context: system CAs, plus MAIL_CA_FILE when set."""
    context = ssl.create_default_context()
    if settings.mail_ca_file is not None:
        context.load_verify_locations(cafile=str(settings.mail_ca_file))
    return context


def use_starttls(mode: str, offered: bool, where: str, setting: str) -> bool:
    """Whether to send STARTTLS: pure decision on the mode and the server's offer."""
    if mode == "off":
        return False
    if offered:
        return True
    if mode == "required":
        raise MailSecurityError(
            f"{where} does not offer STARTTLS and {setting}=required: nothing was sent"
        )
    return False


def smtp_connect(settings: Settings, timeout: float, url: ServerURL | None = None) -> smtplib.SMTP:
    """An SMTP connection to SMTP_URL, over TLS as the settings say, logged in when the
    settings give a password or MAIL_AUTH=xoauth2."""
    url = url or settings.smtp
    if url is None:
        raise ValueError("SMTP_URL is not set")
    context = tls_context(settings)
    host: smtplib.SMTP
    if url.scheme == "smtps":
        host = smtplib.SMTP_SSL(url.host, url.port, timeout=timeout, context=context)
    else:
        host = smtplib.SMTP(url.host, url.port, timeout=timeout)
    try:
        code, _msg = host.ehlo()
        if code != 250:
            raise smtplib.SMTPHeloError(code, b"EHLO refused")
        if url.scheme == "smtp" and use_starttls(
            settings.smtp_starttls, host.has_extn("starttls"), url.redacted(), "SMTP_STARTTLS"
        ):
            host.starttls(context=context)
            host.ehlo()
        smtp_login(host, settings, url)
    except BaseException:
        host.close()
        raise
    return host


def smtp_login(host: smtplib.SMTP, settings: Settings, url: ServerURL) -> None:
    if settings.mail_auth == "xoauth2" and settings.oauth is not None:
        mechanisms = (host.esmtp_features.get("auth") or "").upper().split()
        if "XOAUTH2" not in mechanisms:
            raise smtplib.SMTPNotSupportedError(
                f"{url.redacted()} does not offer AUTH XOAUTH2 (offers: {' '.join(mechanisms)})"
            )
        user = url.username or ""

        def attempt(token: str) -> None:
            initial = mailauth.xoauth2_string(user, token)
            try:
                # a refusal comes as a 334 challenge (the error in JSON), answered empty
                host.auth("XOAUTH2", lambda challenge=None: initial if challenge is None else "")
            except smtplib.SMTPAuthenticationError as exc:
                raise mailauth.TokenRefused(
                    f"{exc.smtp_code} {mailauth.text(exc.smtp_error)}"
                ) from None

        try:
            mailauth.with_token(settings.oauth, attempt)
        except mailauth.TokenRefused as exc:
            raise smtplib.SMTPAuthenticationError(
                535, f"the OAuth access token for {user} was refused: {exc}".encode()
            ) from None
        return
    if url.username and url.password:
        host.login(url.username, url.password)
