"""Reading a spreadsheet of contacts: CSV, XLSX or an exported JSON file in, numbered rows of
text out.

Row numbers are the ones a person sees in the spreadsheet: the header is row 1.
Entirely blank rows are skipped but keep their numbers.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file this importer can read."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells)


MAX_BYTES = 20 * 1024 * 1024


def read_table(path: Path) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise UnreadableFile(f"{path.name} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() == ".json":
        return _read_json(raw, path.name)
    if raw.startswith(b"PK\x03\x04"):
        return _read_xlsx(raw, path.name)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise UnreadableFile(
            f"{path.name} is not a readable XLSX workbook (save it as .xlsx or as CSV in UTF-8)"
        )
    return _read_csv(raw, path.name)


def _read_csv(raw: bytes, name: str) -> Table:
    if b"\x00" in raw[:4096]:
        raise UnreadableFile(f"{name} is neither CSV text nor an XLSX workbook")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be read): save it as CSV UTF-8"
        ) from None
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise UnreadableFile(f"{name} is not valid CSV: {exc}") from None
    return _table(((n, [c.strip() for c in rec]) for n, rec in enumerate(records, 1)), name)


def _read_xlsx(raw: bytes, name: str) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(
            f"{name} is not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = [
            (n, [_cell_text(v) for v in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    except Exception as exc:  # openpyxl raises many kinds on a damaged sheet
        raise UnreadableFile(
            f"{name}: the first sheet cannot be read ({type(exc).__name__})"
        ) from None
    finally:
        book.close()
    return _table(rows, name)


def _read_json(raw: bytes, name: str) -> Table:
    """A file as ``focalbot directory export`` writes it: {"columns": [...], "contacts": [...]},
    lists in a cell separated by "; "."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        columns = [str(c) for c in data["columns"]]
        records = data["contacts"]
        assert isinstance(records, list) and all(isinstance(r, dict) for r in records)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError):
        raise UnreadableFile(
            f'{name} is not a directory export in JSON ({{"columns": ..., "contacts": ...}})'
        ) from None
    rows = [
        (n, [_json_cell(record.get(c)) for c in columns]) for n, record in enumerate(records, 2)
    ]
    return _table([(1, columns), *rows], name)


def _json_cell(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _table(rows, name: str) -> Table:
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = cells
        else:
            body.append((number, cells))
    if header is None:
        raise UnreadableFile(f"{name} is empty: the first row must name the columns")
    while header and not header[-1]:
        header.pop()
    return Table(header, body)
