"""Fixtures the inbound tests share."""

import pytest

from tests.conftest import make_settings


@pytest.fixture
def imap_settings(settings, app, dovecot):
    """The settings of a poll from a real Dovecot mailbox (the test's own user)."""
    return make_settings(
        settings.var_dir.parent,
        DATABASE_URL=settings.database_url,
        IMAP_URL=dovecot.url,
        IMAP_TIMEOUT="10",
    )
