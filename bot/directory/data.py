"""The directory's data files, read and checked without touching the database.

``states.csv``
    One row per State: ``code`` (ISO 3166-1 alpha-2), ``un_group`` (AFR, APG,
    EEG, GRULAC, WEOG, or empty), ``language`` (ar, zh, en, fr, ru, es),
    ``timezone`` (IANA zone of the capital), ``weekend`` (the days off, e.g.
    ``fri,sat``; ``sat,sun`` when empty or absent) and ``member`` (yes, or no
    for an observer State). Lines starting with ``#`` are comments.
``state_names.toml``
    Names that replace the CLDR names for the States listed.
``instruments.toml``
    The instruments, their parent and their names in the six languages.
``authorities.toml``
    The types of competent authority the online directory lists: code (a
    contact's role), instrument, article and names in the six languages.
``participation.csv`` (optional)
    ``code,instrument,status`` with status ``party`` or ``signatory``. Not
    shipped: a deployment adds the file from the depositary's records.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from .. import DATA_DIR, LANGUAGES
from ..model import Participation
from ..policy.calendar import DAYS, DEFAULT_WEEKEND, parse_weekend

STATES_FILE = DATA_DIR / "states.csv"
STATE_NAMES_FILE = DATA_DIR / "state_names.toml"
INSTRUMENTS_FILE = DATA_DIR / "instruments.toml"
PARTICIPATION_FILE = DATA_DIR / "participation.csv"
AUTHORITIES_FILE = DATA_DIR / "authorities.toml"
DEMO_FILE = DATA_DIR / "demo.toml"

UN_GROUPS = {
    "AFR": "African States",
    "APG": "Asia-Pacific States",
    "EEG": "Eastern European States",
    "GRULAC": "Latin American and Caribbean States",
    "WEOG": "Western European and other States",
}


class DataError(ValueError):
    """A data file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class StateRow:
    code: str
    un_group: str
    language: str
    timezone: str
    member: bool
    names: dict[str, str]
    weekend: str = DEFAULT_WEEKEND


@dataclass(frozen=True)
class InstrumentRow:
    code: str
    parent: str | None
    position: int
    names: dict[str, str]


@dataclass(frozen=True)
class AuthorityType:
    code: str  # a contact's role
    instrument: str
    article: str
    position: int
    names: dict[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        numbered = [
            (n, line) for n, line in enumerate(f, 1) if line.strip() and not line.startswith("#")
        ]
    reader = csv.DictReader(line for _, line in numbered)
    return [
        (numbered[i + 1][0], {k: (v or "").strip() for k, v in row.items()})
        for i, row in enumerate(reader)
    ]


def cldr_names(code: str) -> dict[str, str]:
    names = {}
    for lang in LANGUAGES:
        name = Locale.parse(lang).territories.get(code)
        if name:
            names[lang] = name
    return names


def load_states(path: Path = STATES_FILE, names_path: Path = STATE_NAMES_FILE) -> list[StateRow]:
    overrides = tomllib.loads(names_path.read_text("utf-8")) if names_path.exists() else {}
    rows, seen = [], set()
    for line, row in _csv_rows(path):
        where = f"{path.name} line {line}"
        code = row.get("code", "").upper()
        if len(code) != 2 or not code.isalpha() or code in seen:
            raise DataError(f"{where}: bad or repeated code {code!r}")
        seen.add(code)
        if row.get("un_group", "") not in {"", *UN_GROUPS}:
            raise DataError(f"{where}: unknown UN group {row['un_group']!r}")
        if row.get("language") not in LANGUAGES:
            raise DataError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
        try:
            ZoneInfo(row.get("timezone", ""))
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError(f"{where}: unknown time zone {row.get('timezone')!r}") from None
        try:
            weekend = weekend_text(row.get("weekend", ""))
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        if row.get("member") not in ("yes", "no"):
            raise DataError(f"{where}: member must be yes or no")
        names = {**cldr_names(code), **overrides.get(code, {})}
        if set(names) != set(LANGUAGES):
            raise DataError(f"{where}: no name for {code} in {sorted(set(LANGUAGES) - set(names))}")
        rows.append(
            StateRow(
                code,
                row["un_group"],
                row["language"],
                row["timezone"],
                row["member"] == "yes",
                names,
                weekend,
            )
        )
    return rows


def weekend_text(text: str | None) -> str:
    """The weekend in its stored form, e.g. 'Sat, Fri' -> 'fri,sat'; at least one working day must
    be left."""
    days = parse_weekend(text)
    if len(days) >= 7:
        raise ValueError(f"weekend {text!r} leaves no working day")
    return ",".join(DAYS[d] for d in sorted(days))


def load_instruments(path: Path = INSTRUMENTS_FILE) -> list[InstrumentRow]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name}: {exc}") from None
    rows: list[InstrumentRow] = []
    for i, item in enumerate(data.get("instrument", []), 1):
        code = str(item.get("code", "")).strip().upper()
        names: dict[str, Any] = item.get("names", {})
        if not code or len(code) > 16:
            raise DataError(f"{path.name}: instrument {i} has no code, or one over 16 characters")
        if not _six_names(names):
            raise DataError(
                f"{path.name}: instrument {code} needs a name in each of {', '.join(LANGUAGES)}"
            )
        parent = item.get("parent")
        if parent is not None and parent not in {r.code for r in rows}:
            raise DataError(
                f"{path.name}: instrument {code}: parent {parent!r} must be listed before it"
            )
        rows.append(InstrumentRow(code, parent, int(item.get("position", i)), dict(names)))
    return rows


def _six_names(names: Any) -> bool:
    return (
        isinstance(names, dict)
        and set(names) == set(LANGUAGES)
        and all(isinstance(v, str) and v for v in names.values())
    )


def load_authority_types(
    path: Path = AUTHORITIES_FILE, instruments_path: Path = INSTRUMENTS_FILE
) -> list[AuthorityType]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name}: {exc}") from None
    instruments = {r.code for r in load_instruments(instruments_path)}
    out: list[AuthorityType] = []
    for i, item in enumerate(data.get("authority", []), 1):
        code = str(item.get("code", "")).strip().lower()
        if not code or len(code) > 16 or code in {t.code for t in out}:
            raise DataError(f"{path.name}: authority {i} has no code, a repeated one or a long one")
        if item.get("instrument") not in instruments:
            raise DataError(
                f"{path.name}: authority {code}: unknown instrument {item.get('instrument')!r}"
            )
        if not str(item.get("article", "")).strip():
            raise DataError(f"{path.name}: authority {code} names no article")
        if not _six_names(item.get("names")):
            raise DataError(
                f"{path.name}: authority {code} needs a name in each of {', '.join(LANGUAGES)}"
            )
        out.append(
            AuthorityType(
                code,
                item["instrument"],
                str(item["article"]).strip(),
                int(item.get("position", i)),
                dict(item["names"]),
            )
        )
    return sorted(out, key=lambda t: t.position)


def load_participation(
    path: Path, states: set[str], instruments: set[str]
) -> list[tuple[str, str, str]]:
    statuses = {p.value for p in Participation}
    out = []
    for line, row in _csv_rows(path):
        code, instrument, status = (
            row.get("code", "").upper(),
            row.get("instrument", "").upper(),
            row.get("status", ""),
        )
        if code not in states or instrument not in instruments or status not in statuses:
            raise DataError(
                f"{path.name} line {line}: need a known State code, instrument code and a "
                f"status of {' or '.join(sorted(statuses))}"
            )
        out.append((code, instrument, status))
    return out


def load_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))
