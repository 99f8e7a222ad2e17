"""The ``focalbot`` command: the ``main`` group, with every command registered on it.

Each module of this package holds one area's commands; ``load_app`` (from
``base``) builds the application they run in.
"""

from __future__ import annotations

import click

from . import campaign, core, directory, inbound, plan, users
from .base import load_app

__all__ = ["load_app", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """focalbot: a secretariat's correspondence with the focal points of States."""


for _module in (core, plan, campaign, directory, inbound, users):
    for _command in _module.COMMANDS:
        main.add_command(_command)
