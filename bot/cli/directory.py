"""Commands: ``focalbot seed``, ``focalbot directory import`` and ``export``."""

from __future__ import annotations

import contextlib
import getpass
import sys
from datetime import date
from pathlib import Path

import click

from .. import db
from ..directory.data import DataError
from ..directory.export import export
from ..directory.importer import import_file
from ..directory.seed import seed, seed_demo
from .base import load_app

PROGRESS_FROM = 200


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


@click.command("seed")
@click.option(
    "--demo", is_flag=True, help="Also add demonstration focal points, authorities and requests."
)
def seed_command(demo: bool) -> None:
    """Load the instruments and States from the data files (safe to run again).

    It migrates the database to the latest schema first, creating it if need be.
    """
    load_app(database="migrate")
    try:
        with db.session() as s:
            if demo:
                result = seed_demo(s, today=date.today(), actor=_actor())
                counts = result.seed
            else:
                counts = seed(s, actor=_actor())
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"instruments: {counts.instruments_created} added, {counts.instruments_updated} updated; "
        f"States: {counts.states_created} added, {counts.states_updated} updated; "
        f"participation: {counts.participation_set} set"
    )
    if demo:
        click.echo(
            f"demo: {result.contacts_created} contacts added, {result.requests_opened} "
            "requests opened "
            f"(languages: {', '.join(result.languages)})"
        )


@click.group("directory")
def directory_group() -> None:
    """The directory of States, focal points and authorities."""


IMPORT_HELP = """Import contacts from FILE: CSV (UTF-8, comma or semicolon), XLSX, or JSON as
`focalbot directory export` writes it.

\b
The first row names the columns, in any order and any case:
  state         ISO code (KE) or name of the State            required
  role          focal_point, mla, extradition, transfer,      required
                som_8_6, uncac_46_13, c1988_7_8, alternate,
                mission; or "focal point",
                "mutual legal assistance", "art. 18", "art. 16",
                "transfer of sentenced persons", "art. 17",
                "art. 8(6)", "alternate focal point",
                "permanent mission"
  emails        addresses separated by ; or ,                 required
                (at least one for focal_point and alternate)
  instrument    UNTOC, TIP, SOM, FIR ...                      optional
  name, title, organisation, phone, fax, address, info        optional
  languages     codes among ar zh en fr ru es, separated      optional
  office_hours                                                optional
  access        public or restricted (default public)         optional
  state_last_updated  the State's last update (ISO 8601), as  optional
                an export gives it

A row updates the contact with the same State, role, instrument and first
email, or else adds one. If any row is wrong nothing is imported: every bad
row is listed with its number (the header is row 1) and the command exits 1.
"""


@directory_group.command("import", help=IMPORT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and show what would change; write nothing."
)
def import_command(file: Path, dry_run: bool) -> None:
    load_app()
    with contextlib.ExitStack() as stack, db.session() as s:
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if total > PROGRESS_FROM:
                if bar is None:
                    bar = stack.enter_context(
                        click.progressbar(length=total, label="importing", file=sys.stderr)
                    )
                bar.update(1)

        result = import_file(s, file, actor=_actor(), progress=progress)
        if dry_run or not result.ok:
            s.rollback()
    if not result.ok:
        for error in result.errors:
            click.echo(str(error) if error.row else error.message, err=True)
        rows = sorted({e.row for e in result.errors if e.row})
        if rows:
            click.echo(f"{len(rows)} row(s) with problems; nothing was imported", err=True)
        else:
            click.echo("nothing was imported", err=True)
        raise SystemExit(1)
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{result.rows} rows: {result.created} contacts {verb} added, {result.updated} "
        f"{verb} updated, "
        f"{result.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )


@directory_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    """Write every contact, access level included, to FILE: CSV, XLSX or JSON by its extension.

    The columns are those `focalbot directory import` reads (with the State's last update), so
    that the file imported into an empty directory and exported again is the same file.
    """
    load_app()
    try:
        with db.session() as s:
            count = export(s, file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} contacts written to {file}")


COMMANDS = [seed_command, directory_group]
