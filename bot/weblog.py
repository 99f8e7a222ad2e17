"""Request logging without secrets: a form link's token never reaches a log.

The werkzeug server (``make run``) logs each request line, and gunicorn's access
log does the same: both would record every ``/f/TOKEN`` in full. ``redact``
replaces the token (and one carried in a query, such as ``?next=/f/TOKEN``) with
``[token]``; ``RedactTokens`` applies it to the ``werkzeug`` logger and to the
app's own (whose "Exception on PATH" line names the page that failed), and
``GunicornLogger`` to gunicorn's access log (``--logger-class
bot.weblog.GunicornLogger``). With ``LOG_FORMAT=json`` (the default in production)
``GunicornLogger`` writes gunicorn's error and access logs as JSON lines, each access line
with the request's id.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

from . import logs
from .config import log_format_of

_TOKEN = re.compile(r"(/f/|%2[Ff]f%2[Ff])[^/?#&\s\"'%]+", re.IGNORECASE)
MASK = "[token]"


def redact(text: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1) + MASK, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with the tokens masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(logger_name: str = "werkzeug") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with the request line, path, query and referrer masked, in
    LOG_FORMAT, the access lines with the request's id."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        log_format = log_format_of(os.environ)
        if log_format == "json":
            for logger in (self.error_log, self.access_log):
                for handler in logger.handlers:
                    logs.dress(handler, log_format, "request")

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        token = logs.REQUEST_ID.set(environ.get(logs.ENVIRON_KEY))
        try:
            super().access(resp, req, environ, request_time)
        finally:
            logs.REQUEST_ID.reset(token)

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
