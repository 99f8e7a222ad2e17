from __future__ import annotations

import pytest

from bot.directory.seed import seed


@pytest.fixture
def seeded(session):
    seed(session, actor="test", participation=None)
    session.commit()
    return session


from tests.forms.helpers import web, web_client  # noqa: E402, F401  (fixtures)
