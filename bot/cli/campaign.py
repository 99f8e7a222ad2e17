"""``focalbot campaign``: open one kind of request for a set of States."""

from __future__ import annotations

import click

from .. import db, kinds
from ..campaign import CampaignError, create_campaign
from .base import load_app


@click.group("campaign")
def campaign_group() -> None:
    """Requests to many States at once."""


@campaign_group.command("create")
@click.option("--kind", required=True, type=click.Choice(kinds.names()))
@click.option(
    "--due", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Due date, YYYY-MM-DD."
)
@click.option("--instrument", help="Instrument the requests are about, e.g. UNTOC or TIP.")
@click.option("--cycle", default="", help="Reporting cycle, for questionnaires.")
@click.option("--subject", default="", help="What is asked, for clarification requests.")
@click.option("--states", "codes", help="ISO codes of the States, comma-separated, e.g. FR,DE.")
@click.option("--parties-to", help="Only the States parties to this instrument, e.g. TIP.")
@click.option(
    "--group", help="Only the States of this regional group: AFR, APG, EEG, GRULAC or WEOG."
)
@click.option(
    "--include-open",
    is_flag=True,
    help="Also open a request for the States that already have an open one of this kind.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be opened without opening anything.")
def campaign_create(
    kind: str,
    due,
    instrument: str | None,
    cycle: str,
    subject: str,
    codes: str | None,
    parties_to: str | None,
    group: str | None,
    include_open: bool,
    dry_run: bool,
) -> None:
    """Open one request per selected State; the next planning pass sends the first emails."""
    load_app()
    states = [c for c in codes.split(",") if c.strip()] if codes is not None else None
    session = db.SessionFactory()
    try:
        result = create_campaign(
            session,
            kind=kind,
            due=due.date(),
            instrument=instrument,
            cycle=cycle,
            subject=subject,
            states=states,
            parties_to=parties_to,
            group=group,
            include_open=include_open,
            preview=dry_run,
            actor="cli",
        )
        session.commit()
    except CampaignError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    verb = "would open" if dry_run else f"campaign {result.campaign_id}: opened"
    click.echo(f"{verb} {len(result.chosen)} requests ({kind}, due {due.date().isoformat()})")
    click.echo(f"first emails planned: {result.first_emails}")
    if result.unreachable:
        click.echo(
            f"no contact with an email address: {len(result.unreachable)} "
            f"({', '.join(result.unreachable)})"
        )
    if result.skipped:
        click.echo(f"skipped: {len(result.skipped)}")
        for code, reason in result.skipped:
            click.echo(f"  {code}: {reason}")
    if dry_run:
        click.echo("dry run: nothing was opened")


COMMANDS = [campaign_group]
