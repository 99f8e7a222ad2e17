"""Each State's weekend: in the data file, checked on loading, and stored by the seed."""

from __future__ import annotations

import pytest

from bot.directory import data
from bot.directory.seed import seed
from bot.model import State
from bot.policy.calendar import parse_weekend


@pytest.fixture(scope="module")
def weekends() -> dict[str, str]:
    return {row.code: row.weekend for row in data.load_states()}


@pytest.mark.parametrize(
    ("code", "weekend"),
    [
        ("SA", "fri,sat"),
        ("EG", "fri,sat"),
        ("JO", "fri,sat"),
        ("IQ", "fri,sat"),
        ("KW", "fri,sat"),
        ("QA", "fri,sat"),
        ("BH", "fri,sat"),
        ("OM", "fri,sat"),
        ("DZ", "fri,sat"),
        ("LY", "fri,sat"),
        ("SD", "fri,sat"),
        ("YE", "fri,sat"),
        ("IL", "fri,sat"),
        ("AE", "sat,sun"),
        ("IR", "fri"),
        ("AF", "thu,fri"),
        ("NP", "sat"),
        ("BN", "fri,sun"),
        ("FR", "sat,sun"),
        ("CN", "sat,sun"),
        ("MA", "sat,sun"),
        ("TN", "sat,sun"),
        ("LB", "sat,sun"),
    ],
)
def test_weekends_of_states(weekends, code, weekend):
    assert weekends[code] == weekend


def test_every_weekend_is_valid_and_leaves_working_days(weekends):
    for code, weekend in weekends.items():
        days = parse_weekend(weekend)
        assert 1 <= len(days) <= 2, code
        assert data.weekend_text(weekend) == weekend, code


def test_most_states_rest_on_saturday_and_sunday(weekends):
    assert sum(w == "sat,sun" for w in weekends.values()) > 160


def _states_file(
    tmp_path, row: str, header: str = "code,un_group,language,timezone,weekend,member"
):
    path = tmp_path / "states.csv"
    path.write_text(f"# comment\n{header}\n{row}\n", encoding="utf-8")
    return path


def test_the_weekend_is_normalised_and_defaults_to_saturday_and_sunday(tmp_path):
    [row] = data.load_states(_states_file(tmp_path, 'OM,APG,ar,Asia/Muscat,"Sat, Fri",yes'))
    assert row.weekend == "fri,sat"
    [row] = data.load_states(_states_file(tmp_path, "KE,AFR,en,Africa/Nairobi,,yes"))
    assert row.weekend == "sat,sun"
    [row] = data.load_states(
        _states_file(
            tmp_path,
            "KE,AFR,en,Africa/Nairobi,yes",
            header="code,un_group,language,timezone,member",
        )
    )
    assert row.weekend == "sat,sun"


@pytest.mark.parametrize("weekend", ["fri,caturday", "mon,tue,wed,thu,fri,sat,sun"])
def test_a_bad_weekend_names_the_line(tmp_path, weekend):
    with pytest.raises(data.DataError, match="line 3: weekend"):
        data.load_states(_states_file(tmp_path, f'KE,AFR,en,Africa/Nairobi,"{weekend}",yes'))


def test_the_seed_stores_and_corrects_weekends(session):
    seed(session, actor="test", participation=None)
    assert session.get(State, "SA").weekend == "fri,sat"
    assert session.get(State, "BN").weekend == "fri,sun"
    session.get(State, "SA").weekend = "sat,sun"
    session.flush()
    again = seed(session, actor="test", participation=None)
    assert again.states_updated == 1
    assert session.get(State, "SA").weekend == "fri,sat"
