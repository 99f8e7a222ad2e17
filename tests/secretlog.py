"""Every log record of the test run goes to one file, and no secret the tests used may be in it.

``start`` (from ``pytest_sessionstart`` in tests/conftest.py) adds a handler on the root
logger that writes every record, at INFO and above, to ``tests.log`` under pytest's base
temporary folder, and watches the functions that make or take secrets: the settings'
``SECRET_KEY`` and the passwords of ``SMTP_URL`` and ``IMAP_URL`` (``bot.config.load``),
users' passwords (``bot.auth.hash_password`` when set, ``bot.auth.check_password`` when
tried), form links (``bot.links.new_raw``), API keys (``bot.apikeys.generate``) and
second-factor secrets (``bot.auth.new_totp_secret``). Fixtures register the others
(``register``: the Dovecot users' passwords). The wrappers only note the values; what
the functions do and return is unchanged.

``finish`` (from ``pytest_sessionfinish``) reads the file once and fails the run, naming
each secret found and the line it is on. Values shorter than ``SHORTEST`` characters are
not watched (a test's "wrong" or "x" would match ordinary words). Processes the tests
start (the command line, Celery workers) log to their own output, which their tests read.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SHORTEST = 8
_WORD = re.compile(r"[A-Za-z0-9]+")
_secrets: set[str] = set()
_handler: logging.FileHandler | None = None
_patched: list[tuple[Any, str, Any]] = []
_quiet = ("sqlalchemy", "faker", "asyncio", "hpack")  # statement logs at INFO: not ours


def register(*values: object) -> None:
    """Watch each value (a secret a test uses) for the rest of the run."""
    for value in values:
        if isinstance(value, str) and len(value) >= SHORTEST:
            _secrets.add(value)


def watched() -> frozenset[str]:
    return frozenset(_secrets)


def log_path() -> Path | None:
    return Path(_handler.baseFilename) if _handler is not None else None


def _noting(make: Callable[[Any], Iterable[object]]) -> Callable[[Callable], Callable]:
    """Wrap a function so that ``make(args, kwargs, result)`` names the secrets it saw."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = fn(*args, **kwargs)
            try:
                register(*make((args, kwargs, result)))
            except Exception:  # noting a secret never changes what the function does
                pass
            return result

        wrapper.__wrapped_for_secrets__ = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _settings(call) -> Iterable[object]:
    settings = call[2]
    yield settings.secret_key
    for url in (settings.smtp, settings.imap):
        if url is not None:
            yield url.password


def _argument(position: int, name: str) -> Callable[[Any], Iterable[object]]:
    def make(call) -> Iterable[object]:
        args, kwargs, _result = call
        if name in kwargs:
            yield kwargs[name]
        elif len(args) > position:
            yield args[position]

    return make


def _result(call) -> Iterable[object]:
    yield call[2]


def _key(call) -> Iterable[object]:
    yield call[2].key


def _watch(module: Any, name: str, make: Callable[[Any], Iterable[object]]) -> None:
    original = getattr(module, name)
    if getattr(original, "__wrapped_for_secrets__", False):
        return
    wrapped = _noting(make)(original)
    _patched.append((module, name, original))
    setattr(module, name, wrapped)


def start(folder: Path) -> Path:
    """Route every log record to ``folder/tests.log`` and watch the secret-making functions."""
    global _handler
    from bot import apikeys, auth, links
    from bot import config as configuration
    from bot.desk import user_views

    folder.mkdir(parents=True, exist_ok=True)
    _handler = logging.FileHandler(folder / "tests.log", encoding="utf-8", delay=False)
    _handler.setLevel(logging.DEBUG)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(_handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in _quiet:
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)

    _watch(configuration, "load", _settings)
    _watch(auth, "hash_password", _argument(0, "password"))
    _watch(auth, "check_password", _argument(1, "password"))
    for module in (auth, user_views):
        _watch(module, "new_totp_secret", _result)
    _watch(links, "new_raw", _result)
    _watch(apikeys, "generate", _key)
    return folder / "tests.log"


def leaks(text: str, secrets: Iterable[str]) -> dict[str, str]:
    """Each secret found in ``text``, with the first line it is on. Secrets made of letters
    and digits only are looked up among the text's words (one pass), the others searched."""
    words = set(_WORD.findall(text))
    found: dict[str, str] = {}
    for secret in secrets:
        if (secret in words) if _WORD.fullmatch(secret) else (secret in text):
            at = text.index(secret)
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            found[secret] = text[line_start : line_end if line_end != -1 else len(text)]
    return found


def finish() -> dict[str, str]:
    """Stop writing, restore the watched functions, and return the secrets found in the log."""
    global _handler
    for module, name, original in reversed(_patched):
        setattr(module, name, original)
    _patched.clear()
    if _handler is None:
        return {}
    logging.getLogger().removeHandler(_handler)
    _handler.close()
    path = Path(_handler.baseFilename)
    _handler = None
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return leaks(text, _secrets)


def mask(secret: str) -> str:
    """How a report names a secret it found (enough to tell which, not the value)."""
    return f"{secret[:3]}…({len(secret)} characters)"
