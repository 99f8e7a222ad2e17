"""The ``focalbot`` command."""

from __future__ import annotations

import sys

import click

from . import config as configuration


def load_app():
    """Build the application from the environment, or stop with a clear message."""
    from .app import create_app

    try:
        settings = configuration.load()
    except configuration.ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
    return create_app(settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """focalbot: a secretariat's correspondence with the focal points of States."""


def _register() -> None:
    from . import campaign_cli, cli_core, plan_cli
    from .desk import cli as desk_cli
    from .directory import cli as directory_cli
    from .inbound import cli as inbound_cli

    for module in (cli_core, plan_cli, campaign_cli, directory_cli, inbound_cli, desk_cli):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
