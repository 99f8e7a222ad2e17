"""Request logging without secrets: a form link's token never reaches a log.

The werkzeug server (``make run``) logs each request line, and gunicorn's access
log does the same: both would record every ``/f/TOKEN`` in full. ``redact``
replaces the token (and one carried in a query, such as ``?next=/f/TOKEN``) with
``[token]``; ``RedactTokens`` applies it to the ``werkzeug`` logger and to the
app's own (whose "Exception on PATH" line names the page that failed), and
``GunicornLogger`` to gunicorn's access log (``--logger-class
bot.weblog.GunicornLogger``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

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
    """gunicorn's logger with the request line, path, query and referrer masked."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
