"""Importing contacts from a spreadsheet (CSV in UTF-8, or XLSX).

The first row names the columns, in any order and any case:

  state         ISO 3166-1 alpha-2 code, or the State's name (required)
  role          focal_point, mla, extradition, transfer, som_8_6, alternate or
                mission; also "focal point", "mutual legal assistance",
                "art. 18", "art. 16", "transfer of sentenced persons",
                "art. 17", "art. 8(6)", "alternate focal point",
                "permanent mission" (required)
  instrument    instrument code, e.g. UNTOC, TIP, SOM, FIR (optional)
  emails        one or more addresses separated by ; or , (required; at least
                one for a focal point or an alternate)
  name, title, organisation, phone, fax, address, info
  languages     language codes among ar, zh, en, fr, ru, es, separated by ; or ,
  access        public or restricted (default public)

A row is the same contact as one already in the directory when State, role,
instrument and first email agree; it is then updated, else created. Every row
is checked first: if any is wrong, nothing is imported and every problem is
reported with its row number (the header is row 1).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import LANGUAGES
from ..model import Access, Instrument, Role, State, utcnow
from .contacts import ContactIndex, contact_key, upsert_contact
from .data import cldr_names
from .tables import UnreadableFile, read_table

COLUMNS = (
    "state",
    "role",
    "instrument",
    "name",
    "title",
    "organisation",
    "emails",
    "phone",
    "fax",
    "address",
    "languages",
    "info",
    "office_hours",
    "access",
    "state_last_updated",
)
REQUIRED = ("state", "role", "emails")
HEADER_ALIASES = {
    "email": "emails",
    "e-mail": "emails",
    "e-mails": "emails",
    "organization": "organisation",
    "language": "languages",
    "country": "state",
    "authority type": "role",
    "authority_type": "role",
}
MULTILINE = {"address", "info"}
MAX_LENGTH = {
    "name": 200,
    "title": 200,
    "organisation": 300,
    "phone": 100,
    "fax": 100,
    "office_hours": 200,
}
NEEDS_EMAIL = {Role.FOCAL_POINT.value, Role.ALTERNATE.value}

ROLE_ALIASES = {
    Role.FOCAL_POINT: ("focal point", "reporting focal point", "focal point for reporting"),
    Role.MLA: ("mla", "mutual legal assistance", "central authority", "art. 18", "article 18"),
    Role.EXTRADITION: ("extradition", "art. 16", "article 16"),
    Role.TRANSFER: ("transfer", "transfer of sentenced persons", "art. 17", "article 17"),
    Role.SOM_8_6: (
        "som 8(6)",
        "art. 8(6)",
        "article 8(6)",
        "art. 8, para. 6",
        "smuggling of migrants art. 8(6)",
    ),
    Role.ALTERNATE: ("alternate", "alternate focal point"),
    Role.MISSION: ("mission", "permanent mission"),
    Role.UNCAC_46_13: ("uncac 46(13)", "art. 46(13)", "article 46(13)", "art. 46, para. 13"),
    Role.C1988_7_8: ("1988 7(8)", "art. 7(8)", "article 7(8)", "art. 7, para. 8"),
}


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9()]", "", text.lower().replace("article", "art").replace("para", ""))


ROLES = {
    _fold(alias): role.value
    for role, aliases in ROLE_ALIASES.items()
    for alias in (role.value, *aliases)
}


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    number: int
    state: State
    role: str
    instrument: str | None
    values: dict[str, Any]
    state_updated: datetime | None = None  # the State's last update, as an export gives it


def import_file(
    session: Session, path: Path, *, actor: str, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Check every row of ``path``; if all are good, upsert them in the caller's transaction."""
    result = ImportResult()
    try:
        table = read_table(Path(path))
    except UnreadableFile as exc:
        result.errors.append(RowError(0, str(exc)))
        return result
    columns, header_errors = _columns(table.header)
    if header_errors:
        result.errors = header_errors
        return result
    checker = _Checker(session)
    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    for number, cells in table.rows:
        cells = cells + [""] * (len(columns) - len(cells))
        extra = [c for c in cells[len(columns) :] if c]
        if extra:
            result.errors.append(RowError(number, "has values beyond the named columns"))
        record = {col: cells[i] for i, col in enumerate(columns) if col}
        row = checker.check(number, record, result.errors)
        if row is None:
            continue
        key = contact_key(row.state.code, row.role, row.instrument, row.values["emails"])
        if key in seen:
            result.errors.append(RowError(number, f"repeats the contact in row {seen[key]}"))
        seen.setdefault(key, number)
        rows.append(row)
    if result.errors:
        return result
    if not rows:
        result.errors.append(RowError(0, f"{Path(path).name} has a header but no rows"))
        return result
    index = ContactIndex(session, {r.state.code for r in rows})
    now = utcnow()
    for done, row in enumerate(rows, 1):
        outcome = upsert_contact(
            session,
            index,
            row.state,
            row.role,
            row.instrument,
            row.values,
            actor=actor,
            now=now,
            file=Path(path).name,
            row=row.number,
        )
        setattr(result, outcome, getattr(result, outcome) + 1)
        if progress:
            progress(done, len(rows))
    for row in rows:  # a file exported from a directory restores its States' last updates
        if row.state_updated is not None:
            row.state.directory_updated_at = row.state_updated
    session.flush()
    return result


def _columns(header: list[str]) -> tuple[list[str | None], list[RowError]]:
    errors, columns = [], []
    for cell in header:
        name = re.sub(r"\s+", " ", cell.strip().lower())
        name = HEADER_ALIASES.get(name, name)
        if name not in COLUMNS:
            errors.append(RowError(1, f"unknown column {cell!r} (columns: {', '.join(COLUMNS)})"))
        elif name in columns:
            errors.append(RowError(1, f"column {name!r} appears twice"))
        columns.append(name if name in COLUMNS else None)
    for name in REQUIRED:
        if name not in columns:
            errors.append(RowError(1, f"the required column {name!r} is missing"))
    return columns, errors


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"[;,\s]+", text) if p]


class _Checker:
    def __init__(self, session: Session) -> None:
        self.states: dict[str, State] = {}
        for state in session.scalars(select(State)):
            self.states[state.code.lower()] = state
            for name in (*state.names.values(), *cldr_names(state.code).values()):
                self.states.setdefault(_name_key(name), state)
        self.instruments = {code.upper() for code in session.scalars(select(Instrument.code))}

    def check(self, number: int, record: dict[str, str], errors: list[RowError]) -> _Row | None:
        problems: list[str] = []
        for col, value in record.items():
            if col not in MULTILINE and ("\r" in value or "\n" in value):
                problems.append(f"{col}: line breaks are not allowed")
            if col in MAX_LENGTH and len(value) > MAX_LENGTH[col]:
                problems.append(f"{col}: longer than {MAX_LENGTH[col]} characters")
        state = self.states.get(record["state"].lower()) or self.states.get(
            _name_key(record["state"])
        )
        if state is None:
            problems.append(
                f"state: unknown State {record['state']!r}" if record["state"] else "state: missing"
            )
        role = ROLES.get(_fold(record["role"]))
        if role is None:
            problems.append(
                f"role: unknown role {record['role']!r}" if record["role"] else "role: missing"
            )
        instrument = record.get("instrument", "").upper() or None
        if instrument is not None and instrument not in self.instruments:
            problems.append(f"instrument: unknown instrument {record['instrument']!r}")
        emails = self._emails(record["emails"], problems)
        if not emails and role in NEEDS_EMAIL:
            problems.append("emails: a focal point or alternate needs at least one email address")
        languages = [x.lower() for x in _split(record.get("languages", ""))]
        bad = [x for x in languages if x not in LANGUAGES]
        if bad:
            problems.append(f"languages: {', '.join(bad)} not among {', '.join(LANGUAGES)}")
        access = (record.get("access") or Access.PUBLIC.value).lower()
        if access not in {a.value for a in Access}:
            problems.append(f"access: {record['access']!r} is neither public nor restricted")
        if problems:
            errors.extend(RowError(number, p) for p in problems)
            return None
        assert state is not None and role is not None
        state_updated = _moment(record.get("state_last_updated", ""), problems)
        if problems:
            errors.extend(RowError(number, p) for p in problems)
            return None
        values: dict[str, Any] = {
            k: v
            for k, v in record.items()
            if k not in ("state", "role", "instrument", "state_last_updated")
        }
        values["emails"] = emails
        if "access" in record:
            values["access"] = access
        if "languages" in record:
            values["languages"] = list(dict.fromkeys(languages))
        return _Row(number, state, role, instrument, values, state_updated)

    @staticmethod
    def _emails(text: str, problems: list[str]) -> list[str]:
        out: list[str] = []
        for part in _split(text):
            try:
                address = validate_email(part, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                problems.append(f"emails: {part!r} is not a valid address ({exc})")
                continue
            if address.lower() not in {a.lower() for a in out}:
                out.append(address)
        return out


def _moment(text: str, problems: list[str]) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"state_last_updated: {text!r} is not a date and time (ISO 8601)")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _name_key(name: str) -> str:
    """Fold a State's name so that case, accents, "&" and "St." do not matter."""
    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\bst\.\s*", "saint ", text.replace("&", " and "))
    return " ".join(text.split())
