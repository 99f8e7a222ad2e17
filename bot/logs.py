"""Log lines as text or as JSON, with the id of the web request or Celery task on each.

``LOG_FORMAT=json`` (the default in production) writes one JSON object a line: ``time``
(ISO 8601, UTC), ``level``, ``logger``, ``message``, ``request_id`` (web requests and
``focalbot`` commands) or ``task_id`` (Celery), and ``exc_info`` (the traceback, as a string)
when there is one. The web app takes a request's id from a sane ``X-Request-ID`` header (at
most 64 of ``A-Z a-z 0-9 . _ -``) or makes one, and sends it back in the response's
``X-Request-ID``; a header that is not sane is replaced, never echoed.

The JSON comes from python-json-logger's ``JsonFormatter``; the ids from context variables
that ``RequestIds`` (a WSGI middleware), the Celery task signals and the ``focalbot`` command
set.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter
from werkzeug.wsgi import ClosingIterator

REQUEST_ID: ContextVar[str | None] = ContextVar("focalbot_request_id", default=None)
TASK_ID: ContextVar[str | None] = ContextVar("focalbot_task_id", default=None)
HEADER = "X-Request-ID"
ENVIRON_KEY = "focalbot.request_id"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MARK = "_focalbot_handler"


def new_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is sane, else a new one."""
    if header and _SANE.fullmatch(header):
        return header
    return new_id()


class Ids(logging.Filter):
    """Puts the current request's or task's id on each record (``None`` outside one, under
    the name the process uses: ``request_id`` or ``task_id``)."""

    def __init__(self, kind: str = "request"):
        super().__init__()
        self.kind = kind

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, task_id = REQUEST_ID.get(), TASK_ID.get()
        if request_id is not None:
            record.request_id = request_id
        if task_id is not None:
            record.task_id = task_id
        if request_id is None and task_id is None:
            setattr(record, f"{self.kind}_id", None)
        return True


class Json(JsonFormatter):
    """One JSON object a line: time, level, logger, message, the ids, exc_info."""

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def formatter(log_format: str) -> logging.Formatter:
    return Json() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def dress(handler: logging.Handler, log_format: str, kind: str) -> None:
    """Give a handler made elsewhere (gunicorn's) the format and the ids."""
    handler.setFormatter(formatter(log_format))
    if not any(isinstance(f, Ids) for f in handler.filters):
        handler.addFilter(Ids(kind))


def configure(
    level: str | int, log_format: str, *, kind: str = "request", stream: IO[str] | None = None
) -> logging.Handler | None:
    """Send the root logger's records to standard error in ``log_format``, once per process.

    Returns the handler it installed, or None when one is installed already. In the text
    format a root logger that already has handlers (a test runner's) is left as it is.
    """
    root = logging.getLogger()
    if any(getattr(h, _MARK, False) for h in root.handlers):
        return None
    if log_format != "json" and root.handlers and stream is None:
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    dress(handler, log_format, kind)
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    if log_format == "json":
        logging.captureWarnings(True)  # Python's warnings as JSON lines too (py.warnings)
    return handler


def installed() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, _MARK, False)]


def _reset(var: ContextVar[str | None], token: Token[str | None]) -> None:
    try:
        var.reset(token)
    except ValueError:  # closed in another context than it was opened in
        var.set(None)


class RequestIds:
    """WSGI middleware: each request's id in the log records, in the environ (for gunicorn's
    access log) and in the response's ``X-Request-ID``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        token = REQUEST_ID.set(request_id)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, start)
        except BaseException:
            _reset(REQUEST_ID, token)
            raise
        # the id stays set while the response is written (the server logs it then)
        return ClosingIterator(result, [lambda: _reset(REQUEST_ID, token)])


_task_tokens: dict[str, Token[str | None]] = {}


def task_started(task_id: str | None) -> None:
    if task_id:
        _task_tokens[task_id] = TASK_ID.set(task_id)


def task_finished(task_id: str | None) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        _reset(TASK_ID, token)


class command_id:
    """A ``focalbot`` command's run: its log lines share one ``request_id``."""

    def __enter__(self) -> str:
        self.token = REQUEST_ID.set(REQUEST_ID.get() or new_id())
        return REQUEST_ID.get() or ""

    def __exit__(self, *exc: object) -> None:
        _reset(REQUEST_ID, self.token)
