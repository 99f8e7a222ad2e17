"""The reports for the Conference: the computations on plain rows, the queries, the exports."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot import report
from bot.campaign import create_campaign
from bot.cli import main
from bot.directory.seed import seed, set_participation
from bot.model import AuditEvent, Message, OutboxItem, Request
from bot.policy.ladder import load_policy
from bot.report import ReportRow, TagRow

T0 = datetime(2027, 1, 1, 9, tzinfo=UTC)


def row(
    id,
    state="FR",
    status="open",
    group="WEOG",
    instrument="TIP",
    days=None,
    reminders=0,
    cycle="2027",
    campaign=1,
):
    return ReportRow(
        id=id,
        state=state,
        group=group,
        instrument=instrument,
        kind="questionnaire",
        cycle=cycle,
        campaign=campaign,
        status=status,
        due=date(2027, 3, 1),
        opened_at=T0,
        answered_at=T0 + timedelta(days=days) if days is not None else None,
        reminders=reminders,
    )


ROWS = [
    row(1, "FR", "answered", days=10, reminders=1),
    row(2, "DE", "answered", days=30, reminders=3),
    row(3, "KE", "open", group="AFR", reminders=2),
    row(4, "NG", "answered", group="AFR", instrument="UNTOC", days=4),
    row(5, "MX", "waived", group="GRULAC", instrument="UNTOC"),
    row(6, "BR", "open", group="GRULAC", cycle="2025", campaign=2),
]


def test_rates_overall_and_by_group_and_instrument():
    r = report.responses(report.select_rows(ROWS, cycle="2027"))
    assert (r.overall.requests, r.overall.answered, r.overall.percent) == (5, 3, 60.0)
    assert {k: (v.requests, v.answered) for k, v in r.by_group.items()} == {
        "AFR": (2, 1),
        "GRULAC": (1, 0),
        "WEOG": (2, 2),
    }
    assert {k: v.percent for k, v in r.by_instrument.items()} == {"TIP": 66.7, "UNTOC": 50.0}
    assert [x.state for x in r.not_answered] == ["KE"]


def test_time_to_answer_and_reminders_per_answer():
    t = report.timing(report.answers(ROWS))
    assert (t.answers, t.median_days, t.fastest_days, t.slowest_days) == (3, 10.0, 4.0, 30.0)
    assert t.mean_days == pytest.approx(14.7)
    # the open request's two reminders do not count: they brought no answer
    assert (t.reminders, t.reminders_per_answer) == (4, 1.33)
    assert report.timing(report.answers([row(9)])) == report.Timing(
        0, None, None, None, None, 0, None
    )


def test_selection_by_campaign_and_cycle():
    assert [r.id for r in report.select_rows(ROWS, campaign=2)] == [6]
    assert [r.id for r in report.select_rows(ROWS, campaign=1, cycle="2025")] == []
    assert report.rate([]).percent == 0.0
    assert report.rate(report.tally(ROWS)) == report.Rate(6, 3)


def test_tags_are_grouped_by_provision():
    tags = [
        TagRow("UNTOC art. 5", "compliance_issue", "KE", 3, ""),
        TagRow("UNTOC art. 5", "difficulty", "FR", 1, ""),
        TagRow("UNTOC art. 5", "difficulty", "KE", 3, ""),
        TagRow("TIP art. 6", "difficulty", "DE", 2, ""),
    ]
    grouped = report.by_provision(tags)
    assert [(g.provision, g.compliance_issues, g.difficulties, g.states) for g in grouped] == [
        ("TIP art. 6", 0, 1, ["DE"]),
        ("UNTOC art. 5", 1, 2, ["FR", "KE"]),
    ]


def test_the_chart_bars_follow_the_rates():
    bars = report.bars(report.rates_by(report.tally(ROWS), "group"), {"AFR": "Africa"}, width=200)
    assert [(b.label, b.percent, b.width) for b in bars] == [
        ("Africa", 50.0, 100.0),
        ("GRULAC", 0.0, 0.0),
        ("WEOG", 100.0, 200.0),
    ]


def test_exports_carry_one_record_per_request():
    records = json.loads(report.to_json(ROWS))
    assert [r["state"] for r in records] == ["FR", "DE", "KE", "NG", "MX", "BR"]
    assert records[0]["answered_at"] == "2027-01-11T09:00:00+00:00"
    assert records[0]["reminders"] == 1 and records[2]["answered_at"] is None
    lines = report.to_csv(ROWS).splitlines()
    assert lines[0].startswith("id,state,group,") and len(lines) == 7
    book = load_workbook(io.BytesIO(report.to_xlsx(ROWS, report.responses(ROWS))))
    assert book.sheetnames == ["requests", "rates"]
    assert book["requests"].max_row == 7
    assert list(book["rates"].iter_rows(min_row=2, max_row=2, values_only=True))[0][:4] == (
        "overall",
        None,
        6,
        3,
    )


# -- on a database ---------------------------------------------------------------------


@pytest.fixture
def campaign_data(session):
    """A campaign to the parties to TIP: FR answered after two reminders, KE open with one."""
    seed(session, actor="test", participation=None)
    set_participation(session, [(c, "TIP", "party") for c in ("FR", "DE", "KE", "NG")])
    result = create_campaign(
        session,
        kind="questionnaire",
        due=date(2027, 6, 30),
        instrument="TIP",
        cycle="2027",
        parties_to="TIP",
        actor="test",
    )
    requests = {r.state_code: r for r in session.query(Request).all()}
    for code, steps in (("FR", ["request", "reminder1", "reminder2"]), ("KE", ["reminder1"])):
        for step in steps:
            m = Message(
                direction="out", raw=b"", delivery="sent", step=step, request_id=requests[code].id
            )
            session.add(m)
            session.flush()
            session.add(OutboxItem(message_id=m.id, request_id=requests[code].id, step=step))
    # a reminder that failed is not one sent
    failed = Message(direction="out", raw=b"", delivery="failed", request_id=requests["DE"].id)
    session.add(failed)
    session.flush()
    session.add(OutboxItem(message_id=failed.id, request_id=requests["DE"].id, step="reminder1"))
    for code in ("FR", "NG"):
        requests[code].status = "answered"
        requests[code].answered_at = requests[code].created_at + timedelta(days=12)
    requests["DE"].status = "waived"
    report.tag_answer(
        session, requests["FR"], provision=" TIP  art. 6 ", finding="difficulty", actor="o@x"
    )
    session.commit()
    return result.campaign_id


def test_rows_from_the_database(campaign_data, session, settings):
    rows = report.load_rows(session, load_policy(settings.policy_file), campaign=campaign_data)
    by_state = {r.state: r for r in rows}
    assert sorted(by_state) == ["DE", "FR", "KE", "NG"]
    assert (by_state["FR"].reminders, by_state["KE"].reminders, by_state["DE"].reminders) == (
        2,
        1,
        0,
    )
    assert by_state["KE"].group == "AFR" and by_state["FR"].instrument == "TIP"
    assert report.load_rows(session, load_policy(settings.policy_file), cycle="1999") == []
    # the page's figures, counted by the database, are the exports' figures
    for scope in ({"campaign": campaign_data}, {"cycle": "2027"}, {}):
        page = report.load_summary(session, load_policy(settings.policy_file), **scope)
        full = report.responses(
            report.load_rows(session, load_policy(settings.policy_file), **scope)
        )
        assert page == full
    limited = report.load_summary(session, load_policy(settings.policy_file), open_limit=1)
    assert [r.state for r in limited.not_answered] == ["KE"] and limited.open == 1
    tags = report.load_tags(session, campaign=campaign_data)
    assert [(t.provision, t.state) for t in tags] == [("TIP art. 6", "FR")]
    event = session.query(AuditEvent).filter_by(action="answer.tagged").one()
    assert json.loads(event.payload)["actor"] == "o@x"
    with pytest.raises(report.TagError):
        report.tag_answer(
            session, by_state_request(session, "FR"), provision="x", finding="other", actor="o@x"
        )


def by_state_request(session, code):
    return session.query(Request).filter_by(state_code=code).one()


@pytest.mark.parametrize("suffix", ["json", "csv", "xlsx"])
def test_the_report_agrees_with_the_request_list(campaign_data, cli_env, tmp_path, suffix):
    out = tmp_path / f"report.{suffix}"
    made = CliRunner().invoke(
        main,
        ["report", "responses", "--campaign", str(campaign_data), "--output", str(out)],
        env=cli_env,
    )
    assert made.exit_code == 0, made.output
    assert "4 requests, 2 answered (50.0 %)" in made.output
    listed = CliRunner().invoke(main, ["requests", "list", "--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    expected = {(r["id"], r["state"], r["status"]) for r in json.loads(listed.output)}
    if suffix == "json":
        records = json.loads(out.read_text())
        assert {"state", "status", "answered_at", "reminders"} <= set(records[0])
    elif suffix == "csv":
        import csv

        records = list(csv.DictReader(out.read_text().splitlines()))
    else:
        sheet = load_workbook(out)["requests"]
        head, *body = sheet.iter_rows(values_only=True)
        records = [dict(zip(head, values, strict=True)) for values in body]
    got = {(int(r["id"]), r["state"], r["status"]) for r in records}
    assert got == expected
    answered = sum(1 for r in json.loads(listed.output) if r["status"] == "answered")
    assert sum(1 for r in records if r["status"] == "answered") == answered == 2


def test_the_command_refuses_an_unknown_format(cli_env, tmp_path):
    made = CliRunner().invoke(
        main, ["report", "responses", "--output", str(tmp_path / "r.pdf")], env=cli_env
    )
    assert made.exit_code == 2 and "ends in .csv, .xlsx, .json" in made.output
