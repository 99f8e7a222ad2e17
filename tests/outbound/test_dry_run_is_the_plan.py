"""``plan --dry-run --days 0`` lists exactly the letters the next ``plan`` writes.

The demo database is planned at several fixed moments (the clock frozen with
time-machine), under the default policy (working hours, weekends, the gap
between letters, digests) and under the demo policy (any time, no gap).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from bot import db
from bot.cli import main
from bot.model import Message, OutboxItem, User

POLICIES = Path(__file__).resolve().parents[2] / "bot" / "data" / "policies"
START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # a Monday, inside working hours almost everywhere


def _written(after_id: int) -> set[tuple]:
    with db.session() as s:
        rows = s.execute(
            select(Message, OutboxItem.request_id, OutboxItem.step)
            .join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(Message.id > after_id, Message.direction == "out", Message.kind != "receipt")
        ).all()
        out = set()
        for msg, rid, step in rows:
            to, cc = _split(msg)
            out.add((rid, step, to, cc))
        return out


def _split(msg: Message) -> tuple[str, tuple[str, ...]]:
    from email import message_from_bytes, policy
    from email.utils import getaddresses

    parsed = message_from_bytes(msg.raw, policy=policy.default)
    to = ", ".join(a for _, a in getaddresses(parsed.get_all("To", [])))
    cc = tuple(a for _, a in getaddresses(parsed.get_all("Cc", [])))
    return to, cc


def _last_id() -> int:
    with db.session() as s:
        return s.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0


@pytest.mark.parametrize("policy_name", ["default.toml", "demo.toml"])
def test_the_dry_run_lists_what_plan_writes(app, cli_env, policy_name):
    env = dict(cli_env, POLICY_FILE=str(POLICIES / policy_name))
    runner = CliRunner()
    with time_machine.travel(START, tick=False):
        assert runner.invoke(main, ["seed", "--demo"], env=env).exit_code == 0
        with db.session() as s:  # an officer for the escalations' copy
            officer = User(email="officer@un.example.org", name="Desk Officer", password_hash="x")
            s.add(officer)
            s.flush()
            from bot.model import Request

            for r in s.scalars(select(Request)):
                r.officer_id = officer.id
    compared = 0
    escalations = 0
    for offset in (0, 1, 8, 12, 25, 40, 45, 75, 80):
        moment = START + timedelta(days=offset)
        with time_machine.travel(moment, tick=False):
            dry = runner.invoke(main, ["plan", "--dry-run", "--days", "0", "--json"], env=env)
            assert dry.exit_code == 0, dry.output
            listed = {
                (p["request_id"], p["step"], p["to"], tuple(p["cc"]))
                for p in json.loads(dry.stdout)
                if p["at"] <= moment.isoformat()
            }
            before = _last_id()
            result = runner.invoke(main, ["plan"], env=env)
            assert result.exit_code == 0, result.output
            written = _written(before)
        assert listed == written, (offset, listed ^ written)
        compared += len(written)
        escalations += sum(1 for _rid, step, _to, _cc in written if step == "escalation")
        for _rid, step, to, cc in written:
            if step == "escalation":
                assert to in _missions() and "officer@un.example.org" in cc
    assert compared > 10 and escalations > 0


def _missions() -> set[str]:
    from bot.model import Contact

    with db.session() as s:
        return {
            e for c in s.scalars(select(Contact).where(Contact.role == "mission")) for e in c.emails
        }


def test_escalations_in_the_dry_run_go_to_the_permanent_mission(app, cli_env):
    env = dict(cli_env, POLICY_FILE=str(POLICIES / "demo.toml"))
    runner = CliRunner()
    with time_machine.travel(START, tick=False):
        assert runner.invoke(main, ["seed", "--demo"], env=env).exit_code == 0
        assert runner.invoke(main, ["plan"], env=env).exit_code == 0
        dry = runner.invoke(main, ["plan", "--dry-run", "--days", "60", "--json"], env=env)
    rows = json.loads(dry.stdout)
    missions = _missions()
    escalations = [r for r in rows if r["step"] == "escalation"]
    assert escalations, "the demo questionnaire due three days ago escalates within 60 days"
    for row in escalations:
        assert row["to"] in missions, row
        assert row["to"] not in row["cc"]
    others = [r for r in rows if r["step"] != "escalation"]
    assert others and not any(r["to"] in missions for r in others)
    assert min(date.fromisoformat(r["on"]) for r in rows) >= START.date()
