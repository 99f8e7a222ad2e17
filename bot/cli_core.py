"""Core commands: run, db upgrade, tick, requests, audit."""

from __future__ import annotations

import click

from . import db


def _app():
    from .cli import load_app

    return load_app()


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    _app()
    from .migrate import upgrade

    upgrade(db.engine())
    click.echo("database is up to date")


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event."""
    from . import audit

    _app()
    with db.session() as s:
        result = audit.verify(s)
    if result.ok:
        click.echo(result.message())
        return
    click.echo(result.message(), err=True)
    raise SystemExit(1)


COMMANDS = [db_group, audit_group]
