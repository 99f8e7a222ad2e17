"""``focalbot plan``: run one planning pass, or show what would be sent."""

from __future__ import annotations

import json

import click

from .. import service
from ..outbound.forecast import forecast
from ..outbound.planner import policy_for
from .base import load_app


@click.command("plan")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be sent, to whom, without writing or sending anything.",
)
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(0, 3660),
    help="With --dry-run: how many days ahead.",
)
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print a JSON array.")
def plan_command(dry_run: bool, days: int, as_json: bool) -> None:
    """One planning pass (write what is due to the outbox), or --dry-run to look ahead."""
    app = load_app()
    settings = app.config["FOCALBOT"]
    with app.app_context():
        if not dry_run:
            result = service.plan(settings)
            click.echo(
                f"planned {len(result.queued)} emails ({result.looked_at} requests looked at)"
            )
            for problem in result.problems:
                click.echo(f"  problem: {problem}", err=True)
            return
        policy = policy_for(settings)  # a broken policy file is one line, exit 2
        planned, problems = forecast(policy, days=days)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in planned], ensure_ascii=False, indent=1))
    else:
        for p in planned:
            when = p.at.strftime("%Y-%m-%d %H:%M UTC") if p.at else p.on.isoformat()
            copy = f" cc {', '.join(p.cc)}" if p.cc else ""
            digest = " (digest)" if p.digest else ""
            click.echo(
                f"{when}  {p.tag:<9} {p.state}  {p.kind:<20} {p.step:<11} {p.to} "
                f"({p.language}){copy}{digest}"
            )
        letters = len({(p.at, p.requests) for p in planned})
        click.echo(f"{letters} emails in the next {days} days (nothing was sent)")
    for problem in problems:
        click.echo(f"  problem: {problem}", err=True)


COMMANDS = [plan_command]
