"""What every command shares: building the application from the environment."""

from __future__ import annotations

import click
from flask import Flask

from .. import config as configuration


def load_app() -> Flask:
    """Build the application from the environment, or stop with a clear message."""
    from ..app import create_app

    try:
        settings = configuration.load()
    except configuration.ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
    return create_app(settings)
