"""Every string a person reads is translated into the six UN languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import LANGUAGES, PROJECT_DIR, TRANSLATIONS_DIR

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
METHODS = [
    ("bot/**.py", "python"),
    ("forms/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*(\w+)\s*\}\}")


def source_messages() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR), METHODS, keywords=KEYWORDS, options_map={"templates/**": {"extensions": "jinja2.ext.i18n"}}
    ):
        for m in message if isinstance(message, tuple) else (message,):
            if m:
                found.add(m)
    return found


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = source_messages()
    assert len(found) > 20, "string extraction found almost nothing; is babel.cfg right?"
    return found


def catalog(lang: str):
    path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {lang}: {path.relative_to(PROJECT_DIR)}"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated(lang, messages):
    cat = catalog(lang)
    missing = sorted(m for m in messages if not (cat.get(m) and cat.get(m).string and not cat.get(m).fuzzy))
    assert not missing, f"{lang}: {len(missing)} untranslated: " + " | ".join(missing[:15])


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_keep_their_placeholders(lang, messages):
    cat = catalog(lang)
    wrong = []
    for m in messages:
        entry = cat.get(m)
        if not entry or not entry.string:
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        want = {a or b for a, b in PLACEHOLDER.findall(m if isinstance(m, str) else m[0])}
        for s in strings:
            have = {a or b for a, b in PLACEHOLDER.findall(s)}
            if have != want:
                wrong.append(f"{m!r} -> {s!r}")
    assert not wrong, f"{lang}: placeholders differ: " + " | ".join(wrong[:10])


def test_english_catalog_exists():
    catalog("en")


def test_compiled_catalogs_are_current():
    for lang in LANGUAGES:
        po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, f"run `make catalogs` ({lang})"


def test_data_files_carry_six_languages():
    """Questionnaire and instrument names are data translated in the data files."""
    import tomllib

    files = list(Path(PROJECT_DIR / "bot" / "data").rglob("*.toml"))
    problems = []
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for where, table in _language_tables(data, path.name):
            absent = [lang for lang in LANGUAGES if not str(table.get(lang, "")).strip()]
            if absent:
                problems.append(f"{where}: missing {','.join(absent)}")
    assert not problems, problems[:10]


def _language_tables(node, where):
    if isinstance(node, dict):
        if "en" in node and any(lang in node for lang in ("fr", "es", "ar")):
            yield where, node
            return
        for key, value in node.items():
            yield from _language_tables(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _language_tables(value, f"{where}[{i}]")
