from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.policy.ladder import load_policy
from bot.policy.plan import RequestState, after_sending, decide, pending

LADDER = load_policy().ladder("questionnaire")
OPENED, DUE = date(2026, 1, 1), date(2026, 3, 1)


def req(**kw):
    base = dict(id=1, kind="questionnaire", status="open", opened=OPENED, due=DUE)
    base.update(kw)
    return RequestState(**base)


def test_the_first_step_goes_on_the_day_of_opening():
    d = decide(req(), LADDER, OPENED)
    assert d.send.name == "request" and d.step_date == OPENED


def test_nothing_due_says_when_to_look_again():
    d = decide(req(done=frozenset({"request"})), LADDER, OPENED + timedelta(days=1))
    assert (
        d.send is None
        and d.next_step.name == "due_soon"
        and d.look_again == DUE - timedelta(days=7)
    )


def test_only_the_latest_fallen_step_is_sent_and_the_others_are_named():
    d = decide(req(done=frozenset({"request"})), LADDER, DUE + timedelta(days=22))
    assert d.send.name == "reminder2" and d.superseded == ("due_soon", "reminder1")


def test_a_pause_holds_everything():
    d = decide(req(paused=True), LADDER, DUE + timedelta(days=50))
    assert d.send is None and d.held == "paused" and d.look_again is None


def test_a_ladder_paused_by_a_reply_says_so_and_resumed_goes_on():
    sent = datetime(2026, 1, 1, 10, tzinfo=UTC)
    replied = req(
        done=frozenset({"request"}), last_sent_at=sent, replied_at=sent + timedelta(days=2)
    )
    d = decide(replace(replied, paused=True), LADDER, DUE + timedelta(days=8))
    assert d.send is None and d.held == "replied" and d.look_again is None
    # resumed by an officer after the reply: the ladder goes on, it is not paused again
    assert decide(replied, LADDER, DUE + timedelta(days=8)).send.name == "reminder1"
    d = decide(
        req(done=frozenset({"request"}), last_sent_at=sent + timedelta(days=3), replied_at=sent),
        LADDER,
        DUE + timedelta(days=8),
    )
    assert d.send.name == "reminder1"


def test_snooze_and_absence_push_the_next_step_past_their_end():
    today = DUE + timedelta(days=8)
    d = decide(
        req(done=frozenset({"request", "due_soon"}), snoozed_until=today + timedelta(days=5)),
        LADDER,
        today,
    )
    assert d.send is None and d.held == "snoozed" and d.look_again == today + timedelta(days=6)
    d = decide(
        req(done=frozenset({"request", "due_soon"}), hold_until=today - timedelta(days=1)),
        LADDER,
        today,
    )
    assert d.send.name == "reminder1"


def test_after_sending_names_the_following_step():
    nxt = after_sending(req(done=frozenset({"request"})), LADDER.steps[2], LADDER)
    assert nxt[0].name == "reminder2" and nxt[1] == DUE + timedelta(days=21)
    assert after_sending(req(done=frozenset({"request"})), LADDER.steps[-1], LADDER) is None


def test_closed_requests_need_nothing():
    for status in ("answered", "closed", "waived"):
        assert decide(req(status=status), LADDER, DUE) == decide(
            req(status=status), LADDER, DUE + timedelta(days=99)
        )
        assert decide(req(status=status), LADDER, DUE).send is None


def test_pending_starts_after_the_last_done_step():
    names = [s.name for _, s in pending(req(done=frozenset({"reminder1"})), LADDER)]
    assert names == ["reminder2", "escalation"]


def test_an_escalation_is_marked_to_escalate():
    d = decide(req(done=frozenset({"request"})), LADDER, DUE + timedelta(days=40))
    assert d.send.name == "escalation" and d.send.escalate and d.send.letter == "escalation"


def test_a_request_opened_late_gets_only_the_first_request():
    late = DUE + timedelta(days=10)
    d = decide(req(opened=late), LADDER, late)
    assert d.send.name == "request"


def test_an_officers_escalation_sends_the_ladders_escalation_at_once():
    early = OPENED + timedelta(days=1)  # nothing of the ladder is due yet
    assert decide(req(done=frozenset({"request"})), LADDER, early).send is None
    d = decide(req(done=frozenset({"request"}), escalated=True), LADDER, early)
    assert d.send.name == "escalation" and d.send.escalate and d.step_date == early
    assert "reminder1" in d.superseded
    # once the escalation went out, the ladder goes on by its dates
    after = decide(req(done=frozenset({"request", "escalation"}), escalated=True), LADDER, early)
    assert after.send is None
    # a paused request stays paused
    assert decide(req(escalated=True, paused=True), LADDER, early).send is None
