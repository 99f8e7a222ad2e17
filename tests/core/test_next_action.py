"""A request's next action, from what the planner stored: none once it is not open."""

from datetime import UTC, date, datetime

from bot.policy.next_action import NextAction, next_action

TODAY = date(2027, 3, 1)
AT = datetime(2027, 3, 3, 8, 0, tzinfo=UTC)


def _next(**kw):
    values = dict(
        status="open",
        paused=False,
        snoozed_until=None,
        hold_until=None,
        next_step="reminder1",
        next_action_at=AT,
        plan_note=None,
        today=TODAY,
    )
    return next_action(**{**values, **kw})


def test_it_is_none_for_a_request_that_is_not_open():
    for status in ("answered", "closed", "waived"):
        assert _next(status=status) is None


def test_it_gives_the_step_and_when():
    assert _next() == NextAction(step="reminder1", at=AT, held=None, until=None)


def test_it_says_what_holds_it():
    assert _next(paused=True).held == "paused"
    assert _next(snoozed_until=date(2027, 3, 9)) == NextAction(
        "reminder1", AT, "snoozed", "2027-03-09"
    )
    assert _next(snoozed_until=date(2027, 2, 1)).held is None  # a snooze that has ended
    assert _next(hold_until=date(2027, 4, 1)).held == "away"
    note = '{"held": "gap", "until": "2027-03-04T08:00:00+00:00"}'
    assert _next(plan_note=note).until == "2027-03-04T08:00:00+00:00"
    assert _next(paused=True, plan_note='{"held": "replied"}').held == "replied"


def test_an_unreadable_note_and_nothing_left_to_do():
    assert _next(plan_note="not json").held is None
    assert _next(next_step=None, next_action_at=None) is None
