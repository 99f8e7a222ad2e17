"""``/healthz``: the process is up. ``/readyz``: what it depends on answers, each by name.

``/readyz`` checks the database (a ``SELECT 1``), the Celery broker (a connection), the
outgoing mail (the senders' own SMTP connection: greeting, EHLO, TLS as configured and
verified, the log-in; or the local outbox folder writable) and the incoming mail (the poll's
own IMAP connection and log-in, or the Maildir present), each within a few seconds, and
answers JSON: ``{"status": "ok"|"failing", "checks": {"database": {"ok": true, ...}}}``,
with 200 when all are ok and 503 otherwise. Details never carry a password: a server is
named by its redacted URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from . import broker, db
from .config import ServerURL, Settings

bp = Blueprint("health", __name__)
TIMEOUT = 3.0


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _database(_settings: Settings) -> str:
    with db.read() as conn:
        conn.execute(text("SELECT 1"))
    return "reachable"


def _broker(settings: Settings) -> str:
    from kombu import Connection

    options = broker.transport_options(settings.broker_url)
    with Connection(
        settings.broker_url, connect_timeout=TIMEOUT, transport_options=options
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
    return "reachable"


def _smtp(settings: Settings) -> str:
    """The sender's own connection: TLS as set, verified, and the log-in (password or token)."""
    url = settings.smtp
    if url is None:
        return _writable(settings.local_outbox)
    from .mailconn import smtp_connect

    client = smtp_connect(settings, TIMEOUT)
    try:
        client.noop()
    finally:
        client.close()
    verb = "logged in" if _logs_in(settings, url) else "answers"
    return f"{verb} at {url.redacted()}"


def _logs_in(settings: Settings, url: ServerURL) -> bool:
    return settings.mail_auth == "xoauth2" or bool(url.username and url.password)


def _imap(settings: Settings) -> str:
    if settings.imap is None:
        folder = settings.local_maildir
        if not (folder / "new").is_dir():
            raise OSError(f"no Maildir at {folder}")
        return f"Maildir {folder}"
    from .inbound.imap import connect

    with connect(settings, TIMEOUT):
        pass
    return f"logged in at {settings.imap.redacted()}"


def _writable(folder: Path) -> str:
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise OSError(f"the outbox folder {folder} is missing or not writable")
    return f"outbox folder {folder}"


CHECKS: dict[str, Callable[[Settings], str]] = {
    "database": _database,
    "broker": _broker,
    "smtp": _smtp,
    "imap": _imap,
}


@bp.get("/readyz")
def readyz():
    settings = current_app.config["FOCALBOT"]
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = {"ok": True, "detail": check(settings)}
        except Exception as exc:  # noqa: BLE001 - any failure is the answer, by name
            checks[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    ok = all(c["ok"] for c in checks.values())
    resp = jsonify(status="ok" if ok else "failing", checks=checks)
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
