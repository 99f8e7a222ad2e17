from datetime import date, timedelta

import pytest

from bot.policy.ladder import PolicyError, RequestView, load_policy, next_actions, parse_policy

POLICY = load_policy()
LADDER = POLICY.ladder("questionnaire")
OPENED = date(2026, 1, 1)
DUE = date(2026, 3, 1)


def view(status="open", opened=OPENED, due=DUE):
    return RequestView(1, "questionnaire", status, opened, due)


def steps(today, done=()):
    return [a.step.name for a in next_actions(view(), set(done), LADDER, today)]


def test_it_sends_the_request_on_the_day_it_is_opened():
    assert steps(OPENED) == ["request"]


def test_it_sends_nothing_before_the_next_step():
    assert steps(OPENED + timedelta(days=3), done={"request"}) == []


def test_it_sends_the_reminder_a_week_after_the_due_date():
    assert steps(DUE + timedelta(days=7), done={"request", "due_soon"}) == ["reminder1"]
    assert steps(DUE + timedelta(days=6), done={"request", "due_soon"}) == []


def test_it_sends_only_the_latest_fallen_step_when_opened_late():
    late = view(opened=DUE + timedelta(days=10))
    actions = next_actions(late, set(), LADDER, DUE + timedelta(days=10))
    assert [a.step.name for a in actions] == ["request"]


def test_a_done_later_step_supersedes_an_earlier_unsent_one():
    assert steps(DUE + timedelta(days=8), done={"reminder1"}) == []


def test_escalation_step_is_marked():
    (action,) = next_actions(view(), {"request"}, LADDER, DUE + timedelta(days=40))
    assert action.step.name == "escalation" and action.step.escalate


@pytest.mark.parametrize("status", ["answered", "closed", "waived"])
def test_it_sends_nothing_for_a_request_that_is_not_open(status):
    assert next_actions(view(status=status), set(), LADDER, DUE + timedelta(days=40)) == []


@pytest.mark.parametrize(
    "text, needle",
    [
        ("ladders = 3", "no [ladders"),
        ("[ladders.x]\nsteps = [{ name = 'a' }]", "either at"),
        ("[ladders.x]\nsteps = [{ name = 'a', days = 1 }, { name = 'a', days = 2 }]", "used twice"),
        ("[ladders.x\n", "not valid TOML"),
        ("[ladders.x]\nsteps = []", "has no steps"),
    ],
)
def test_a_bad_policy_names_its_error(text, needle):
    with pytest.raises(PolicyError, match=needle.replace("[", r"\[")):
        parse_policy(text, "p.toml")


def test_every_request_kind_has_a_ladder():
    from bot.model import RequestKind

    for kind in RequestKind:
        assert POLICY.ladder(kind.value).steps


def test_the_demo_policy_sends_at_any_time_on_the_default_ladders():
    from bot.policy.ladder import DEFAULT_POLICY

    demo = load_policy(DEFAULT_POLICY.parent / "demo.toml")
    assert demo.sending.any_time and demo.sending.min_days_between == 0
    assert demo.ladders == POLICY.ladders
    assert not POLICY.sending.any_time and POLICY.sending.min_days_between == 3


def test_sending_settings_are_checked():
    base = "[ladders.x]\nsteps = [{ name = 'a', days = 1 }]\n"
    with pytest.raises(PolicyError, match="working_hours"):
        parse_policy(base + "[sending]\nworking_hours = ['17:00', '09:00']\n")
    with pytest.raises(PolicyError, match="holiday"):
        parse_policy(base + "[sending]\nholidays = ['25 December']\n")
    with pytest.raises(PolicyError, match="every_months"):
        parse_policy(base + "[recurrence.x]\nevery_months = 0\n")
