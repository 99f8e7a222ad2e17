"""The ``focalbot`` command: the ``main`` group, with every command registered on it.

Each module of this package holds one area's commands; ``load_app`` (from
``base``) builds the application they run in.
"""

from __future__ import annotations

import click

from . import apikeys, backup, campaign, core, directory, inbound, plan, report, users
from .base import CliError, Group, load_app

__all__ = ["CliError", "load_app", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--debug",
    is_flag=True,
    help="On an unexpected error, print its traceback (as LOG_LEVEL=DEBUG).",
)
def main(debug: bool) -> None:
    """focalbot: a secretariat's correspondence with the focal points of States.

    A problem with the settings, the database or what a command is given is reported in one
    line with exit status 2.
    """


for _module in (core, plan, campaign, directory, inbound, report, users, apikeys, backup):
    for _command in _module.COMMANDS:
        main.add_command(_command)
