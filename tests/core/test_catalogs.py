"""Every string a person reads is translated into the six UN languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import LANGUAGES, PROJECT_DIR, TRANSLATIONS_DIR

KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
}
METHODS = [
    ("bot/**.py", "python"),
    ("forms/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*(\w+)\s*\}\}")


def source_messages() -> set[str | tuple[str, str]]:
    """Every message in the sources: a string, or (singular, plural) for a plural message."""
    found: set[str | tuple[str, str]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR),
        METHODS,
        keywords=KEYWORDS,
        options_map={"templates/**": {"extensions": "jinja2.ext.i18n"}},
    ):
        if isinstance(message, tuple):
            if message[0]:
                found.add((message[0], message[1]))
        elif message:
            found.add(message)
    return found


def _key(m: str | tuple[str, str]) -> str:
    return m[0] if isinstance(m, tuple) else m


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def messages() -> set[str | tuple[str, str]]:
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

    def translated(m) -> bool:
        entry = cat.get(_key(m))
        if not entry or entry.fuzzy or not entry.string:
            return False
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(m, tuple) and len(forms) != cat.num_plurals:
            return False
        return all(forms)

    missing = sorted(_key(m) for m in messages if not translated(m))
    assert not missing, f"{lang}: {len(missing)} untranslated: " + " | ".join(missing[:15])


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_keep_their_placeholders(lang, messages):
    cat = catalog(lang)
    wrong = []
    for m in messages:
        entry = cat.get(_key(m))
        if not entry or not entry.string:
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(m, tuple):  # each form may drop the count, but none may invent a name
            allowed = _placeholders(m[0]) | _placeholders(m[1])
            named = {p for p in allowed if not p.startswith("num")}
            for form in forms:
                if not (named <= _placeholders(form) <= allowed):
                    wrong.append(f"{m!r} -> {form!r}")
            continue
        for form in forms:
            if _placeholders(form) != _placeholders(m):
                wrong.append(f"{m!r} -> {form!r}")
    assert not wrong, f"{lang}: placeholders differ: " + " | ".join(wrong[:10])


def test_english_catalog_exists():
    english = catalog("en")
    ids = {m.id for m in english if m.id}
    assert len(ids) > 100 and "Yours faithfully," in ids


def test_compiled_catalogs_are_current():
    for lang in LANGUAGES:
        po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
            f"run `make catalogs` ({lang})"
        )


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
