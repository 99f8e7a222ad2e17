import pytest

from tests.forms.helpers import csrf_web, log_in, make_user, web, web_client  # noqa: F401


@pytest.fixture
def desk(web_client, session):  # noqa: F811  (the fixture imported above)
    """A test client logged in as a secretariat officer."""
    make_user(session)
    session.commit()
    assert log_in(web_client).status_code == 303
    return web_client
