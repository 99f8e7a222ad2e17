"""``focalbot apikey``: keys of the read API."""

from __future__ import annotations

import click

from .. import apikeys, db
from .base import load_app


@click.group("apikey")
def apikey_group() -> None:
    """Keys of the read API (/api/v1/), one user each."""


@apikey_group.command("create")
@click.argument("email")
@click.option("--label", default="", help="What the key is for, e.g. the client that uses it.")
def apikey_create(email: str, label: str) -> None:
    """Make a key for a desk user and print it once; only its hash is kept."""
    load_app()
    try:
        with db.session() as s:
            row, key = apikeys.create(s, email, label=label, actor="cli")
            prefix = row.prefix
    except apikeys.ApiKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created API key {prefix} for {email.strip().lower()}")
    click.echo(f"key: {key}")
    click.echo("It is shown only this once. Send it as: Authorization: Bearer KEY")


@apikey_group.command("revoke")
@click.argument("prefix")
def apikey_revoke(prefix: str) -> None:
    """Revoke a key, named by its visible prefix (as `apikey list` shows it)."""
    load_app()
    try:
        with db.session() as s:
            row = apikeys.revoke(s, prefix, actor="cli")
            prefix = row.prefix
    except apikeys.ApiKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked API key {prefix}")


@apikey_group.command("list")
@click.option("--user", "email", default=None, help="Only this user's keys.")
def apikey_list(email: str | None) -> None:
    """List the keys: prefix, user, created, revoked, label (never the key)."""
    load_app()
    with db.session() as s:
        for row in apikeys.listing(s, email):
            revoked = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            created = f"{row.created_at:%Y-%m-%d}"
            click.echo("\t".join([row.prefix, row.user.email, created, revoked, row.label]))


COMMANDS = [apikey_group]
