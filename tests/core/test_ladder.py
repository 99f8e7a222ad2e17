"""The policy file: ladders, their steps' labels and prefixes, sending and recurrence, checked
at load."""

import os
from pathlib import Path

import pytest

from bot.policy.ladder import (
    DEFAULT_POLICY,
    PolicyError,
    ladder_names,
    load_policy,
    parse_policy,
)

POLICY = load_policy()
BASE = f'base = "{DEFAULT_POLICY}"\n'


def test_every_request_kind_has_a_ladder():
    from bot import kinds

    names = ladder_names()
    assert {k.ladder for k in kinds.definitions().values()} == set(names)
    assert {"questionnaire", "directory_update", "appoint_focal_point"} <= set(names)
    for kind in names:
        assert POLICY.ladder(kind).steps


def test_every_step_has_its_label_prefix_and_wording_from_the_file():
    steps = {s.name: s for ladder in POLICY.ladders.values() for s in ladder.steps}
    assert (steps["reminder1"].label, steps["reminder1"].prefix) == ("first reminder", "Reminder")
    assert (steps["request"].prefix, steps["request"].letter) == ("", "request")
    assert steps["due_soon"].letter == "due_soon" and steps["escalation"].letter == "escalation"
    assert POLICY.label("reminder2") == "second reminder" and POLICY.label("nosuch") == "nosuch"


def test_a_new_step_needs_only_the_policy_file(tmp_path: Path):
    path = tmp_path / "p.toml"
    path.write_text(
        BASE + '[steps]\nreminder3 = { label = "third reminder", prefix = "Final reminder" }\n'
        "[ladders.directory_update]\nsteps = [\n"
        '  { name = "request", at = "open" },\n  { name = "reminder1", days = 14 },\n'
        '  { name = "reminder2", days = 42, cc_alternate = true },\n'
        '  { name = "reminder3", days = 56 },\n'
        '  { name = "escalation", days = 70, escalate = true },\n]\n'
    )
    (step,) = [
        s for s in load_policy(path).ladder("directory_update").steps if s.name == "reminder3"
    ]
    assert (step.days, step.label, step.prefix, step.letter) == (
        56,
        "third reminder",
        "Final reminder",
        "reminder",
    )


@pytest.mark.parametrize(
    "text, needle",
    [
        ("ladders = 3", "no [ladders"),
        ("[ladders.questionnaire]\nsteps = [{ name = 'request' }]", "either at"),
        (
            "[ladders.questionnaire]\n"
            "steps = [{ name = 'request', at = 'open' }, { name = 'request', days = 2 }]",
            "used twice",
        ),
        ("[ladders.x\n", "not valid TOML"),
        ("[ladders.questionnaire]\nsteps = []", "has no steps"),
        (
            "[ladders.questionnaire]\nsteps = [{ name = 'reminder3', days = 50 }]",
            "unknown step 'reminder3'",
        ),
        ("[steps]\nreminder3 = { prefix = 'Reminder' }", "steps.reminder3: 'label' is required"),
        (
            "[steps]\nreminder3 = { label = 'third reminder' }",
            "steps.reminder3: 'prefix' is required",
        ),
        (
            "[steps]\nreminder3 = { label = 'x', prefix = '', letter = 'threat' }",
            "'letter' must be one of",
        ),
        (
            "[ladders.questionaire]\nsteps = [{ name = 'request', at = 'open' }]",
            "no request kind 'questionaire'",
        ),
    ],
)
def test_a_bad_policy_names_its_error_in_one_line(text, needle, tmp_path: Path):
    path = tmp_path / "p.toml"
    path.write_text(("" if "ladders = 3" in text or "[ladders.x" in text else BASE) + text)
    with pytest.raises(PolicyError, match=needle.replace("[", r"\[")) as caught:
        load_policy(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_policy_without_steps_or_with_a_kind_left_out_is_refused():
    with pytest.raises(PolicyError, match=r"no \[steps\] table"):
        parse_policy(
            "[ladders.questionnaire]\nsteps = [{ name = 'request', at = 'open' }]", "p.toml"
        )
    text = DEFAULT_POLICY.read_text().replace(
        "[ladders.clarification]", "[ladders.clarification_old]"
    )
    with pytest.raises(PolicyError, match="no request kind 'clarification_old'"):
        parse_policy(text, "p.toml")
    start = text.index("[ladders.clarification_old]")
    cut = text[:start] + text[text.index("[ladders.technical_assistance]") :]
    with pytest.raises(PolicyError, match="no ladder for request kind 'clarification'"):
        parse_policy(cut, "p.toml")


def test_the_demo_policy_sends_at_any_time_on_the_default_ladders():
    demo = load_policy(DEFAULT_POLICY.parent / "demo.toml")
    assert demo.sending.any_time and demo.sending.min_days_between == 0
    assert demo.ladders == POLICY.ladders
    assert not POLICY.sending.any_time and POLICY.sending.min_days_between == 3


def test_sending_settings_are_checked():
    base = DEFAULT_POLICY.read_text()
    with pytest.raises(PolicyError, match="working_hours"):
        parse_policy(
            base.replace('working_hours = ["09:00", "17:00"]', 'working_hours = ["17:00", "09:00"]')
        )
    with pytest.raises(PolicyError, match="holiday"):
        parse_policy(base.replace('holidays = ["2026-12-25"', 'holidays = ["25 December"'))
    with pytest.raises(PolicyError, match="every_months"):
        parse_policy(base.replace("every_months = 12", "every_months = 0"))


def test_a_policys_fingerprint_is_the_same_in_every_process():
    """Workers and beat are separate processes, each with its own hash seed: a fingerprint
    that followed a set's order (the holidays) made each worker see a "changed" policy and
    replan every open request at each of its passes."""
    import subprocess
    import sys

    code = (
        "from bot.policy.ladder import DEFAULT_POLICY, load_policy; "
        "print(load_policy(DEFAULT_POLICY).fingerprint())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in (1, 2, 3, 4)
    }
    assert len(seen) == 1 and len(seen.pop()) == 16


def test_a_change_of_holidays_changes_the_fingerprint():
    text = DEFAULT_POLICY.read_text()
    before = parse_policy(text).fingerprint()
    after = parse_policy(text.replace("holidays = [", 'holidays = ["2027-02-16", ')).fingerprint()
    assert before != after
