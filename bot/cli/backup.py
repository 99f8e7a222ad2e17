"""backup and restore: the database, the attachment store and the settings' fingerprint in
one archive."""

from __future__ import annotations

from pathlib import Path

import click

from .. import audit, db
from ..backup import BackupError, restore, write_backup
from ..model import utcnow
from .base import CliError, load_app, missing_file, schema_state_of


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the database, the attachment store and the settings' fingerprint to FILE
    (.tar.gz), readable by its owner only."""
    app = load_app()
    settings = app.config["FOCALBOT"]
    try:
        manifest = write_backup(db.engine(), settings, file, utcnow())
    except BackupError as exc:
        raise CliError(str(exc)) from None
    rows = sum(manifest.counts.values())
    with db.session() as s:
        audit.record(
            s,
            "backup.created",
            actor="cli",
            subject_type="backup",
            subject_id=file.name[:64],
            revision=manifest.revision,
            counts=manifest.counts,
            attachments=manifest.attachments,
        )
    click.echo(
        f"wrote {file}: {rows} rows in {len(manifest.tables)} tables, "
        f"{manifest.attachments} attachments, schema {manifest.revision}"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Drop what the database and the attachment folder hold and restore FILE instead.",
)
def restore_command(file: Path, replace: bool) -> None:
    """Restore a backup into an empty database and attachment folder.

    Every member of FILE is checked against its SHA-256 before anything changes; a database
    or folder holding data is refused unless --replace is given.
    """
    app = load_app(database="any")
    settings = app.config["FOCALBOT"]
    if not missing_file(db.engine()):  # a missing SQLite file is made by the restore
        schema_state_of(db.engine())  # stops when the database cannot be reached
    try:
        done = restore(db.engine(), settings, file, replace=replace)
    except BackupError as exc:
        raise CliError(f"{file}: {exc}") from None
    for warning in done.warnings:
        click.echo(f"focalbot: warning: {warning}", err=True)
    click.echo(
        f"restored {file} (made {done.manifest.created_at} on {done.manifest.database}): "
        f"{done.rows} rows in {len(done.manifest.tables)} tables, {done.attachments} "
        f"attachments, schema {done.manifest.revision}"
        + ("; the data held before was replaced" if done.replaced else "")
    )


COMMANDS = [backup_command, restore_command]
