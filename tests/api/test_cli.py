"""``focalbot apikey``: a key printed once works on the API; list never shows it; a revoked
key stops working."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bot.cli import main
from tests.api.conftest import bearer
from tests.forms.helpers import make_user


def _run(cli_env, *args):
    return CliRunner().invoke(main, list(args), env=cli_env)


def test_it_creates_lists_and_revokes_a_key(cli_env, session, api):
    make_user(session)
    session.commit()
    made = _run(cli_env, "apikey", "create", "Officer@secretariat.example.org", "--label", "bi")
    assert made.exit_code == 0, made.output
    key = re.search(r"^key: (\S+)$", made.output, re.M).group(1)
    prefix = key[:12]
    assert api.get("/api/v1/states", headers=bearer(key)).status_code == 200
    listed = _run(cli_env, "apikey", "list")
    assert prefix in listed.output and "live" in listed.output and key not in listed.output
    assert _run(cli_env, "apikey", "revoke", prefix).exit_code == 0
    assert "revoked" in _run(cli_env, "apikey", "list").output
    assert api.get("/api/v1/states", headers=bearer(key)).status_code == 401
    again = _run(cli_env, "apikey", "revoke", prefix)
    assert again.exit_code != 0 and "already revoked" in again.output


def test_it_refuses_an_unknown_user(cli_env):
    result = _run(cli_env, "apikey", "create", "nobody@example.org")
    assert result.exit_code != 0 and "no user" in result.output
