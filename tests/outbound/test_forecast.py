import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import db
from bot.cli import main
from bot.model import Message
from tests import factories

pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_plan_dry_run_lists_the_coming_emails_and_sends_nothing(app, cli_env):
    with db.session() as s:
        factories.focal_point(s, "FR")
        factories.focal_point(s, "CN")
        factories.request(s, "FR", due=date.today() + timedelta(days=5))
        factories.request(s, "CN", due=date.today() + timedelta(days=60))
    result = CliRunner().invoke(main, ["plan", "--dry-run", "--days", "30", "--json"], env=cli_env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    steps = [(r["state"], r["step"], r["to"]) for r in rows]
    assert ("FR", "request", "fp.fr@example.org") in steps and (
        "CN",
        "request",
        "fp.cn@example.org",
    ) in steps
    # the notice before the deadline fell before the request was opened: it is never sent
    assert not [r for r in rows if r["state"] == "FR" and r["step"] == "due_soon"]
    [reminder] = [r for r in rows if r["state"] == "FR" and r["step"] == "reminder1"]
    assert reminder["on"] == (date.today() + timedelta(days=5 + 7)).isoformat()
    assert all(r["on"] <= (date.today() + timedelta(days=30)).isoformat() for r in rows)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_plan_writes_to_the_outbox(app, cli_env):
    with db.session() as s:
        factories.focal_point(s, "RU")
        factories.request(s, "RU")
    result = CliRunner().invoke(main, ["plan"], env=cli_env)
    assert result.exit_code == 0 and "planned 1 emails" in result.output
