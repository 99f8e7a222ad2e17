"""``focalbot report``: the reports for the Conference, written to a file."""

from __future__ import annotations

from pathlib import Path

import click

from .. import db, report
from ..policy.ladder import cached_policy
from .base import CliError, load_app

FORMATS = (".csv", ".xlsx", ".json")


@click.group("report")
def report_group() -> None:
    """Reports for the Conference."""


@report_group.command("responses")
@click.option("--campaign", type=int, help="Only the requests of this campaign (its number).")
@click.option("--cycle", help="Only the requests of this reporting cycle.")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .csv, .xlsx or .json.",
)
def report_responses(campaign: int | None, cycle: str | None, output: Path) -> None:
    """One line per request: its State, status, when it was answered and the reminders sent."""
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise CliError(f"{output}: the file name ends in {', '.join(FORMATS)}")
    app = load_app()
    with db.session() as s:
        rows = report.load_rows(
            s, cached_policy(app.config["FOCALBOT"].policy_file), campaign=campaign, cycle=cycle
        )
    if suffix == ".csv":
        output.write_text(report.to_csv(rows), encoding="utf-8")
    elif suffix == ".json":
        output.write_text(report.to_json(rows) + "\n", encoding="utf-8")
    else:
        output.write_bytes(report.to_xlsx(rows, report.responses(rows)))
    summary = report.rate(report.tally(rows))
    click.echo(
        f"{output}: {summary.requests} requests, {summary.answered} answered ({summary.percent} %)"
    )


COMMANDS = [report_group]
