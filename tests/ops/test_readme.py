"""The README's configuration table names every setting focalbot reads."""

from __future__ import annotations

import re

from bot.config import ROOT, SETTINGS


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split(" | ")[0])}
    assert {name for name, _default, _text in SETTINGS} - named == set()
    assert {"FOCALBOT_ENV", "LOG_FORMAT"} <= named
