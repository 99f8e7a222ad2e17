"""``focalbot directory export FILE``: every contact, access level included, as CSV, XLSX or
JSON by the file's extension, in the columns ``focalbot directory import`` reads, so that
export, import into an empty database and export again give the same file."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Contact, State
from .importer import COLUMNS  # what an export writes is what an import reads

FORMATS = ("csv", "xlsx", "json")
LISTS = ("emails", "languages")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' time, so that the same data gives one file


def rows(session: Session) -> list[dict[str, Any]]:
    """Every active contact, in a stable order."""
    found = session.execute(select(State.code, State.directory_updated_at))
    updated = {code: moment for code, moment in found}
    contacts = session.scalars(select(Contact).where(Contact.left_at.is_(None)))
    out = []
    for c in contacts:
        moment = updated.get(c.state_code)
        out.append(
            {
                "state": c.state_code,
                "role": c.role,
                "instrument": c.instrument_code or "",
                "name": c.name,
                "title": c.title,
                "organisation": c.organisation,
                "emails": list(c.emails or []),
                "phone": c.phone,
                "fax": c.fax,
                "address": c.address,
                "languages": list(c.languages or []),
                "info": c.info,
                "office_hours": c.office_hours,
                "access": c.access,
                "state_last_updated": moment.isoformat() if moment else "",
            }
        )
    out.sort(
        key=lambda r: (r["state"], r["role"], r["instrument"], [e.lower() for e in r["emails"]])
    )
    return out


def _order(row: dict[str, Any]) -> tuple:
    return (row["state"], row["role"], row["instrument"], [e.lower() for e in row["emails"]])


def flat(row: dict[str, Any]) -> list[str]:
    """A row's cells as text: lists separated by "; "."""
    return ["; ".join(row[c]) if c in LISTS else str(row[c] or "") for c in COLUMNS]


def export(session: Session, path: Path) -> int:
    """Write the file; the number of contacts written."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path.name}: the file must end in .csv, .xlsx or .json")
    data = rows(session)
    path.write_bytes({"csv": to_csv, "xlsx": to_xlsx, "json": to_json}[fmt](data))
    return len(data)


def to_csv(data: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(flat(r) for r in data)
    return out.getvalue().encode("utf-8")


def to_json(data: list[dict[str, Any]]) -> bytes:
    text = json.dumps({"columns": list(COLUMNS), "contacts": data}, ensure_ascii=False, indent=1)
    return (text + "\n").encode("utf-8")


def to_xlsx(data: list[dict[str, Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "directory"
    sheet.append(list(COLUMNS))
    for row in data:
        sheet.append(flat(row))
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(raw: bytes) -> bytes:
    """The workbook with its times fixed: openpyxl stamps the time of saving in it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2000-01-01T00:00:00Z",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()
