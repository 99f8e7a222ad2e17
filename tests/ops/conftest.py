"""The log handlers a test's app installs (JSON in production mode) go with the test."""

from __future__ import annotations

import logging

import pytest

from bot import logs


@pytest.fixture(autouse=True)
def _own_log_handlers():
    before = set(logs.installed())
    yield
    for handler in set(logs.installed()) - before:
        logging.getLogger().removeHandler(handler)
