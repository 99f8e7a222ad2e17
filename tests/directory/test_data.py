from __future__ import annotations

import csv
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from bot import LANGUAGES
from bot.directory import data


def _rows():
    with open(data.STATES_FILE, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_it_lists_193_members_and_two_observers():
    rows = _rows()
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 195
    assert sum(r["member"] == "yes" for r in rows) == 193
    assert sorted(r["code"] for r in rows if r["member"] == "no") == ["PS", "VA"]


def test_every_row_is_valid():
    for row in _rows():
        assert len(row["code"]) == 2 and row["code"].isupper(), row
        assert row["un_group"] in {"", *data.UN_GROUPS}, row
        assert row["language"] in LANGUAGES, row
        assert ZoneInfo(row["timezone"]), row
        for lang in LANGUAGES:
            assert Locale.parse(lang).territories.get(row["code"]), (row["code"], lang)


def test_regional_groups_have_their_sizes():
    counts: dict[str, int] = {}
    for row in _rows():
        if row["member"] == "yes":
            counts[row["un_group"]] = counts.get(row["un_group"], 0) + 1
    assert counts == {"AFR": 54, "APG": 54, "EEG": 23, "GRULAC": 33, "WEOG": 29}


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("FR", "fr"),
        ("SN", "fr"),
        ("CI", "fr"),
        ("ES", "es"),
        ("MX", "es"),
        ("RU", "ru"),
        ("KZ", "ru"),
        ("EG", "ar"),
        ("SA", "ar"),
        ("CN", "zh"),
        ("KE", "en"),
        ("JP", "en"),
    ],
)
def test_preferred_languages(code, language):
    assert {r["code"]: r["language"] for r in _rows()}[code] == language


def test_loaded_states_have_names_in_six_languages_with_un_designations():
    states = {s.code: s for s in data.load_states()}
    assert all(set(s.names) == set(LANGUAGES) for s in states.values())
    assert states["PS"].names["en"] == "State of Palestine"
    assert states["VA"].names["fr"] == "Saint-Siège"
    assert states["EG"].names["ar"] == "مصر"
    assert states["CN"].names["zh"] == "中国"


def test_instruments_have_names_in_six_languages_and_protocols_a_parent():
    rows = {r.code: r for r in data.load_instruments()}
    assert list(rows) == ["UNTOC", "TIP", "SOM", "FIR", "C1988", "UNCAC"]
    assert {r.parent for r in rows.values()} == {None, "UNTOC"}
    assert rows["UNTOC"].names["ar"] == "اتفاقية الأمم المتحدة لمكافحة الجريمة المنظمة عبر الوطنية"
    assert rows["SOM"].names["zh"] == "偷运移民议定书"


def test_a_bad_states_file_names_the_line(tmp_path):
    path = tmp_path / "states.csv"
    path.write_text(
        "# comment\ncode,un_group,language,timezone,member\nKE,AFR,sw,Africa/Nairobi,yes\n"
    )
    with pytest.raises(data.DataError, match="line 3: language"):
        data.load_states(path)


def test_un_designations_replace_cldr_names_in_english():
    states = {s.code: s for s in data.load_states()}
    assert states["RU"].names["en"] == "Russian Federation"
    assert states["RU"].names["ru"] == "Россия"
    assert states["KN"].names["en"] == "Saint Kitts and Nevis"


def test_every_name_identifies_one_state():
    from bot.directory.importer import _name_key

    owners: dict[str, set[str]] = {}
    for state in data.load_states():
        for name in (*state.names.values(), *data.cldr_names(state.code).values()):
            owners.setdefault(_name_key(name), set()).add(state.code)
    assert not {name: codes for name, codes in owners.items() if len(codes) > 1}


def test_authority_types_name_their_instrument_and_article_in_six_languages():
    types = {t.code: t for t in data.load_authority_types()}
    assert [(t.instrument, t.article) for t in types.values()] == [
        ("UNTOC", "18(13)"),
        ("UNTOC", "16"),
        ("UNTOC", "17"),
        ("SOM", "8(6)"),
        ("C1988", "7(8)"),
        ("UNCAC", "46(13)"),
    ]
    assert all(set(t.names) == set(LANGUAGES) for t in types.values())


def test_an_authority_type_of_an_unknown_instrument_is_refused(tmp_path):
    bad = tmp_path / "authorities.toml"
    bad.write_text(
        '[[authority]]\ncode = "x"\ninstrument = "NOPE"\narticle = "1"\n'
        '[authority.names]\n' + "".join(f'{lang} = "X"\n' for lang in LANGUAGES),
        encoding="utf-8",
    )
    with pytest.raises(data.DataError, match="NOPE"):
        data.load_authority_types(bad)
