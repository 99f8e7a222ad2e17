"""Campaigns: one kind of request for a set of States, from Python and from the command line."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import audit, db
from bot.campaign import CampaignError, create_campaign
from bot.cli import main
from bot.directory.seed import seed, set_participation
from bot.model import AuditEvent, Contact, Request, State
from bot.requests import open_request

DUE = date(2027, 6, 30)


@pytest.fixture
def seeded(session):
    seed(session, actor="test", participation=None)
    set_participation(
        session,
        [
            ("FR", "TIP", "party"),
            ("DE", "TIP", "party"),
            ("KE", "TIP", "party"),
            ("MX", "TIP", "signatory"),
            ("FR", "UNTOC", "party"),
        ],
    )
    session.add_all(
        [
            Contact(
                state_code="FR",
                role="focal_point",
                name="Claire Martin",
                emails=["fp@interieur.example.fr"],
            ),
            Contact(
                state_code="KE",
                role="mission",
                organisation="Permanent Mission",
                emails=["mission.ke@example.org"],
            ),
            Contact(state_code="DE", role="focal_point", name="No Address", emails=[]),
        ]
    )
    session.commit()
    return session


def _requests(session) -> list[tuple[str, str, str | None, str]]:
    rows = session.execute(
        select(Request.state_code, Request.kind, Request.instrument_code, Request.cycle)
    )
    return sorted(tuple(r) for r in rows)


def test_parties_to_an_instrument(seeded):
    result = create_campaign(
        seeded,
        kind="questionnaire",
        due=DUE,
        instrument="TIP",
        cycle="2027",
        parties_to="tip",
        actor="test",
    )
    assert len(result.opened) == 3 and result.skipped == []
    assert _requests(seeded) == [(c, "questionnaire", "TIP", "2027") for c in ("DE", "FR", "KE")]
    assert result.first_emails == 2 and result.unreachable == ["DE"]
    [event] = seeded.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.created")
    ).all()
    data = audit.data_of(event)
    assert data["opened"] == result.opened and data["selection"]["parties_to"] == "TIP"
    assert (
        len(seeded.scalars(select(AuditEvent).where(AuditEvent.action == "request.opened")).all())
        == 3
    )
    assert audit.verify(seeded).ok


def test_states_with_an_open_request_of_the_same_kind_are_skipped(seeded):
    fr = seeded.get(State, "FR")
    earlier = open_request(
        seeded, fr, "questionnaire", DUE, instrument_code="TIP", cycle="2027", actor="test"
    )
    other_cycle = create_campaign(
        seeded,
        kind="questionnaire",
        due=DUE,
        instrument="TIP",
        cycle="2028",
        states=["FR"],
        actor="test",
    )
    assert len(other_cycle.opened) == 1
    result = create_campaign(
        seeded,
        kind="questionnaire",
        due=DUE,
        instrument="TIP",
        cycle="2027",
        parties_to="TIP",
        actor="test",
    )
    assert len(result.opened) == 2
    assert result.skipped == [("FR", f"already has an open request [FB-{earlier.id}]")]
    seeded.get(Request, earlier.id).status = "closed"
    again = create_campaign(
        seeded,
        kind="questionnaire",
        due=DUE,
        instrument="TIP",
        cycle="2027",
        states=["FR"],
        actor="test",
    )
    assert len(again.opened) == 1


def test_explicit_states_with_filters_say_why_each_is_left_out(seeded):
    result = create_campaign(
        seeded,
        kind="clarification",
        due=DUE,
        subject="Article 5",
        states=["fr", "MX", "ZZ", "KE", "FR"],
        parties_to="TIP",
        group="WEOG",
        actor="test",
    )
    assert [seeded.get(Request, rid).state_code for rid in result.opened] == ["FR"]
    assert sorted(result.skipped) == [
        ("KE", "not in the regional group WEOG"),
        ("MX", "not a party to TIP"),
        ("ZZ", "no State with this code"),
    ]


def test_a_regional_group(seeded):
    result = create_campaign(seeded, kind="directory_update", due=DUE, group="eeg", actor="test")
    eeg = seeded.scalar(select(func.count()).select_from(State).where(State.un_group == "EEG"))
    assert len(result.opened) == eeg == 23
    assert result.first_emails == 0 and len(result.unreachable) == 23


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "choose the States"),
        ({"group": "NATO"}, "unknown regional group"),
        ({"parties_to": "XYZ"}, "no instrument"),
        ({"instrument": "XYZ", "states": ["FR"]}, "no instrument"),
        ({"kind": "party", "states": ["FR"]}, "unknown request kind"),
    ],
)
def test_bad_campaigns_are_refused(seeded, kwargs, message):
    args = {"kind": "questionnaire", "due": DUE, "actor": "test", **kwargs}
    with pytest.raises(CampaignError, match=message):
        create_campaign(seeded, **args)
    assert _requests(seeded) == []


def _run(cli_env, *args):
    return CliRunner().invoke(
        main, ["campaign", "create", *args], env=cli_env, catch_exceptions=False
    )


def _count_requests() -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Request)) or 0


def test_the_command_opens_and_reports(seeded, cli_env):
    args = [
        "--kind",
        "questionnaire",
        "--due",
        "2027-06-30",
        "--instrument",
        "TIP",
        "--cycle",
        "2027",
        "--parties-to",
        "TIP",
    ]
    dry = _run(cli_env, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would open 3 requests" in dry.output and "nothing was opened" in dry.output
    assert _count_requests() == 0
    done = _run(cli_env, *args)
    assert done.exit_code == 0, done.output
    assert "opened 3 requests (questionnaire, due 2027-06-30)" in done.output
    assert "first emails planned: 2" in done.output
    assert "no contact with an email address: 1 (DE)" in done.output
    assert _count_requests() == 3
    again = _run(cli_env, *args)
    assert "opened 0 requests" in again.output and "skipped: 3" in again.output
    assert "  FR: already has an open request [FB-" in again.output
    with db.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.created")).all()
        assert [json.loads(e.payload)["actor"] for e in events] == ["cli", "cli"]


def test_the_command_takes_a_list_of_states_and_refuses_bad_input(seeded, cli_env):
    listed = _run(
        cli_env, "--kind", "clarification", "--due", "2027-06-30", "--states", "FR, de,ZZ"
    )
    assert listed.exit_code == 0, listed.output
    assert "opened 2 requests" in listed.output and "  ZZ: no State with this code" in listed.output
    bad = CliRunner().invoke(
        main,
        ["campaign", "create", "--kind", "questionnaire", "--due", "2027-06-30", "--group", "NATO"],
        env=cli_env,
    )
    assert bad.exit_code == 1 and "unknown regional group" in bad.output
    none = CliRunner().invoke(
        main, ["campaign", "create", "--kind", "questionnaire", "--due", "2027-06-30"], env=cli_env
    )
    assert none.exit_code == 1 and "choose the States" in none.output
