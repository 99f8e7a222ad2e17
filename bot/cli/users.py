"""``focalbot user``: desk accounts."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from .. import db
from ..auth import set_password
from ..model import User
from .base import load_app


@click.group("user")
def user_group() -> None:
    """Accounts of the secretariat's desk."""


@user_group.command("create")
@click.argument("email")
@click.option("--name", default=None, help="The person's name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
def user_create(email: str, name: str | None, admin: bool, password_stdin: bool) -> None:
    """Create a user, or reset the password of an existing one.

    Without --password-stdin a strong password is generated and printed once.
    """
    load_app()
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    try:
        with db.session() as s:
            user, password, created = set_password(s, email, password, name=name, admin=admin)
            email = user.email
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'created' if created else 'password reset for'} {email}")
    if not password_stdin:
        click.echo(f"password: {password}")
        click.echo("It is shown only this once.")


@user_group.command("list")
def user_list() -> None:
    """List the desk's users."""
    load_app()
    with db.session() as s:
        for user in s.scalars(select(User).order_by(User.email)):
            flags = [f for f, on in (("admin", user.is_admin), ("inactive", not user.active)) if on]
            click.echo("\t".join([user.email, user.name, ",".join(flags)]))


COMMANDS = [user_group]
