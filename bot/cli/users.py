"""``focalbot user``: desk accounts."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from .. import db
from ..auth import ROLES, normalise_email, set_password, set_totp
from ..model import User
from .base import load_app


@click.group("user")
def user_group() -> None:
    """Accounts of the secretariat's desk and the directory's authorised users."""


@user_group.command("create")
@click.argument("email")
@click.option("--name", default=None, help="The person's name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator (--role admin).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="admin, officer or viewer (the desk), or directory (an authorised user of the "
    "directory's restricted entries, who sees nothing of the desk). New users: officer.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
def user_create(
    email: str, name: str | None, admin: bool, role: str | None, password_stdin: bool
) -> None:
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
            user, password, created = set_password(
                s, email, password, name=name, admin=admin, role=role
            )
            email = user.email
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'created' if created else 'password reset for'} {email} ({user.role})")
    if not password_stdin:
        click.echo(f"password: {password}")
        click.echo("It is shown only this once.")


@user_group.command("reset-totp")
@click.argument("email")
def user_reset_totp(email: str) -> None:
    """Remove an administrator's second factor (a lost authenticator app): they log in with
    the password alone until they enrol again from the desk. Ends their sessions."""
    load_app()
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no user {email}")
        if not user.totp_secret:
            raise click.ClickException(f"{user.email} has no second factor")
        set_totp(s, user, None, actor="cli")
        email = user.email
    click.echo(f"second factor removed for {email}")


@user_group.command("list")
def user_list() -> None:
    """List the desk's users."""
    load_app()
    with db.session() as s:
        for user in s.scalars(select(User).order_by(User.email)):
            flags = [user.role] + (["totp"] if user.totp_secret else [])
            flags += ["inactive"] if not user.active else []
            click.echo("\t".join([user.email, user.name, ",".join(flags)]))


COMMANDS = [user_group]
