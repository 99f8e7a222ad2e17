"""What every command shares: the settings, the application, the check of the database, and
the one-line messages that stand in for tracebacks.

A problem the person at the terminal can fix (a bad setting, a database that is missing,
unmigrated or unreachable, a bad file, a bad value) is printed as one line that says what is
wrong and what to do, with exit status 2. Anything else is a fault of focalbot: one line too,
exit status 1, and the traceback only with ``focalbot --debug`` or ``LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import click
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from .. import config as configuration
from .. import db, logs
from ..app import create_app
from ..migrate import SchemaState, schema_state, upgrade

UPGRADE = "run `focalbot db upgrade` first"
SECRET_SETTINGS = ("DATABASE_URL", "CELERY_BROKER_URL", "SMTP_URL", "IMAP_URL")


class CliError(click.ClickException):
    """A problem with what the command was given: printed as ``focalbot: MESSAGE``."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it from the instance

    def show(self, file: Any = None) -> None:
        one_line = " ".join(self.format_message().split())
        click.echo(f"focalbot: {scrub(one_line)}", err=True)


def load_settings() -> configuration.Settings:
    try:
        return configuration.load()
    except configuration.ConfigError as exc:
        raise CliError(f"configuration: {exc}") from None


def load_app(
    database: Literal["ready", "migrate", "any"] = "ready", *, starts: bool = False
) -> Flask:
    """Build the application from the environment, or stop with a one-line message.

    ``database`` says what the command needs of the database: ``ready`` (at the latest
    schema, else stop saying what to run), ``migrate`` (bring it there first, creating it if
    need be) or ``any`` (not looked at). A command that ``starts`` the bot's work (``run``,
    ``tick``) is refused in production mode with unsafe settings, one line per problem.
    """
    settings = load_settings()
    if starts:
        refuse_unsafe_production(settings)
    app = create_app(settings, production_check=False)
    if database == "ready":
        problem = database_problem(db.engine())
        if problem:
            raise CliError(problem)
    elif database == "migrate":
        migrate(db.engine(), settings.audit_key)
    return app


def refuse_unsafe_production(settings: configuration.Settings) -> None:
    """Stop with exit status 2, printing each production problem on a line of its own."""
    problems = configuration.production_problems(settings, os.environ)
    if not problems:
        return
    click.echo("focalbot: production mode (FOCALBOT_ENV=production) refuses to start:", err=True)
    for problem in problems:
        click.echo(f"focalbot: configuration: {problem}", err=True)
    raise SystemExit(2)


def shown_url(engine: Engine) -> str:
    """The database URL as the person wrote it, with any password masked."""
    url = engine.url.set(drivername=engine.url.get_backend_name())
    return url.render_as_string(hide_password=True)


def reason(exc: BaseException) -> str:
    """The driver's own words for a failure, e.g. ``connection refused``, on one line."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    words = lines[0].rsplit(": ", 1)[-1].strip() if lines else ""
    return (words[:1].lower() + words[1:]) if words else type(exc).__name__


def missing_file(engine: Engine) -> bool:
    """An SQLite URL naming a file that is not there (connecting would make an empty one)."""
    name = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return False
    return not Path(name).exists()


def schema_state_of(engine: Engine) -> SchemaState:
    try:
        with engine.connect() as conn:
            return schema_state(conn)
    except sa_exc.DBAPIError as exc:
        raise CliError(
            f"the database at {shown_url(engine)} cannot be reached ({reason(exc)}); "
            "check DATABASE_URL"
        ) from None


def _schema_message(state: SchemaState, engine: Engine) -> str | None:
    where = f"the database at {shown_url(engine)}"
    revisions = ", ".join(state.revisions)
    return {
        "current": None,
        "empty": f"{where} has no tables; {UPGRADE}",
        "behind": f"{where} has an older schema ({revisions}); {UPGRADE}",
        "unversioned": f"{where} has tables but no focalbot schema version; check DATABASE_URL",
        "unknown": f"{where} has schema version {revisions}, which this focalbot does not know "
        "(made by a newer release?); upgrade focalbot or check DATABASE_URL",
    }[state.status]


def database_problem(engine: Engine) -> str | None:
    """What stops commands from using the database, in one line, or None if nothing does."""
    if missing_file(engine):
        return f"there is no database at {shown_url(engine)}; {UPGRADE}, or check DATABASE_URL"
    try:
        return _schema_message(schema_state_of(engine), engine)
    except CliError as exc:
        return exc.message


def migrate(engine: Engine, audit_key: bytes | None = None) -> None:
    """Bring the database to the latest schema, creating it if need be."""
    state = schema_state_of(engine)
    if state.status in ("unversioned", "unknown"):
        raise CliError(_schema_message(state, engine) or "")
    if state.status != "current":
        upgrade(engine, audit_key=audit_key)


def _secrets() -> list[str]:
    found = []
    for name in SECRET_SETTINGS:
        try:
            password = urlsplit(os.environ.get(name, "")).password
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    if os.environ.get("SECRET_KEY"):
        found.append(os.environ["SECRET_KEY"])
    return sorted(set(found), key=len, reverse=True)


def scrub(text: str) -> str:
    """The text with every password and key from the environment replaced by ***."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def explain(exc: Exception) -> str | None:
    """One line for an error the person can act on, or None for a fault of focalbot."""
    from alembic.util import CommandError
    from kombu.exceptions import OperationalError as BrokerError

    if isinstance(exc, configuration.ConfigError):
        return f"configuration: {exc}"
    if isinstance(exc, sa_exc.OperationalError | sa_exc.ProgrammingError | sa_exc.InterfaceError):
        try:
            return database_problem(db.engine())
        except RuntimeError:  # no engine yet
            return None
    if isinstance(exc, CommandError):
        return f"the database could not be migrated: {exc}"
    if isinstance(exc, BrokerError):
        return f"the Celery broker cannot be reached ({reason(exc)}); check CELERY_BROKER_URL"
    if isinstance(exc, OSError):
        if exc.filename:
            return f"cannot use {exc.filename}: {exc.strerror or exc}"
        return str(exc.strerror or exc)
    if isinstance(exc, ValueError):
        return str(exc)
    return None


def debugging(ctx: click.Context) -> bool:
    return bool(ctx.find_root().params.get("debug")) or (
        os.environ.get("LOG_LEVEL", "").strip().upper() == "DEBUG"
    )


class Group(click.Group):
    """The ``focalbot`` group: turns what its commands raise into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with logs.command_id():  # the command's log lines share one request_id
                return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            message = explain(exc)
            if message is not None:
                raise CliError(message) from None
            if debugging(ctx):
                click.echo(scrub("".join(traceback.format_exception(exc))), err=True, nl=False)
                hint = "the traceback is above"
            else:
                hint = "run again with `focalbot --debug` to see where"
            raise CliError(
                f"unexpected error: {type(exc).__name__}: {exc}; {hint}", exit_code=1
            ) from None
