"""Questionnaires: the fields of each request kind's form, read from TOML data files.

``bot/data/questionnaires/<kind>.toml`` holds a title, an introduction and a list
of fields; every label, help text and choice is given in the six languages.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from bot import DATA_DIR, LANGUAGES

FOLDER = DATA_DIR / "questionnaires"
TYPES = {"text", "textarea", "choice", "date", "email", "yes_no"}
RESERVED = {
    "csrf_token",
    "data",
    "errors",
    "meta",
    "process",
    "validate",
    "populate_obj",
    "hidden_tag",
}


class QuestionnaireError(ValueError):
    """A questionnaire file does not describe a usable form."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    label: dict[str, str]
    help: dict[str, str]
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    title: dict[str, str]
    intro: dict[str, str]
    fields: tuple[Field, ...]


def text(texts: dict[str, str], lang: str) -> str:
    """The text in ``lang``, else in English."""
    return texts.get(lang) or texts.get("en", "")


def _texts(where: str, value: object, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise QuestionnaireError(f"{where}: expected a table of texts by language")
    missing = [lang for lang in LANGUAGES if not value.get(lang)]
    if missing:
        raise QuestionnaireError(f"{where}: missing in {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _field(kind: str, raw: dict) -> Field:
    name = raw.get("name", "")
    where = f"{kind}.toml field {name or '?'}"
    if not name.isidentifier() or name in RESERVED or name.startswith("_"):
        raise QuestionnaireError(f"{where}: unusable field name")
    if raw.get("type") not in TYPES:
        raise QuestionnaireError(f"{where}: type must be one of {', '.join(sorted(TYPES))}")
    choices = tuple(
        Choice(
            str(c["value"]),
            _texts(f"{where} choice {c.get('value')}", c.get("label"), required=True),
        )
        for c in raw.get("choices", [])
    )
    if raw["type"] == "choice" and not choices:
        raise QuestionnaireError(f"{where}: a choice field needs choices")
    return Field(
        name=name,
        type=raw["type"],
        required=bool(raw.get("required", False)),
        label=_texts(f"{where} label", raw.get("label"), required=True),
        help=_texts(f"{where} help", raw.get("help"), required=False),
        choices=choices,
    )


@lru_cache
def load(kind: str) -> Questionnaire:
    path = FOLDER / f"{kind}.toml"
    if not kind.isidentifier() or not path.is_file():
        raise QuestionnaireError(f"no questionnaire for the request kind {kind!r}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    fields = tuple(_field(kind, f) for f in raw.get("fields", []))
    names = [f.name for f in fields]
    if not fields or len(set(names)) != len(names):
        raise QuestionnaireError(f"{kind}.toml: fields missing or named twice")
    return Questionnaire(
        kind=kind,
        title=_texts(f"{kind}.toml title", raw.get("title"), required=True),
        intro=_texts(f"{kind}.toml intro", raw.get("intro"), required=False),
        fields=fields,
    )
