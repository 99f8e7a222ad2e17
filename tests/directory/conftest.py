from __future__ import annotations

import pytest

from bot.directory.seed import seed


@pytest.fixture
def seeded(session):
    seed(session, actor="test", participation=None)
    session.commit()
    return session


@pytest.fixture
def cli_env(settings) -> dict[str, str]:
    """Environment under which ``focalbot`` commands use the test database."""
    return {
        "FOCALBOT_VAR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
    }
