"""Files sent with a form: capped, their type told by their content, kept outside the web root.

The types accepted are PDF, Word (DOC, DOCX), Excel (XLSX), OpenDocument text
(ODT) and plain text. A file's content must be what its name says: a ``.pdf``
starts ``%PDF-``, a ``.doc`` is an OLE compound file, a ``.docx``/``.xlsx``/
``.odt`` is a ZIP archive holding that format's parts, a ``.txt`` is UTF-8 (or
UTF-16 with its byte-order mark) without control characters. Archives are only
listed, never unpacked. ``check`` is pure; ``keep`` writes the bytes by SHA-256
(``bot.inbound.store``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.inbound.attachments import safe_filename
from bot.inbound.store import write

ALLOWED = ("pdf", "doc", "docx", "xlsx", "odt", "txt")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
ZIP_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DEFAULT_CAP = 10 * 1024 * 1024


@dataclass(frozen=True)
class Checked:
    filename: str
    extension: str
    data: bytes
    problem: str | None  # None, "too_large", "refused_type", "mismatch", "empty"

    def describe(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": CONTENT_TYPES.get(self.extension, "application/octet-stream"),
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


def _is_text(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            decoded = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        try:
            decoded = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in decoded)


def _zip_holds(data: bytes, extension: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if extension == "odt":
                return "mimetype" in names and archive.read("mimetype").strip() == ODT_MIMETYPE
            return ZIP_PARTS[extension] in names
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return False


def matches(extension: str, data: bytes) -> bool:
    """Whether ``data`` is a file of the type its extension names."""
    if extension == "pdf":
        return data.startswith(b"%PDF-")
    if extension == "doc":
        return data.startswith(OLE)
    if extension in ("docx", "xlsx", "odt"):
        return data.startswith(ZIP) and _zip_holds(data, extension)
    if extension == "txt":
        return _is_text(data)
    return False


def check(filename: str | None, data: bytes, cap: int = DEFAULT_CAP) -> Checked:
    """The file as sent, and why it cannot be kept, if so."""
    name = safe_filename(filename, "document")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if not data:
        problem: str | None = "empty"
    elif len(data) > cap:
        problem = "too_large"
    elif extension not in ALLOWED:
        problem = "refused_type"
    elif not matches(extension, data):
        problem = "mismatch"
    else:
        problem = None
    return Checked(name, extension, data if problem is None else b"", problem)


def read_capped(stream, cap: int) -> bytes:
    """At most ``cap`` + 1 bytes of an upload: enough to tell it is over the cap."""
    return stream.read(cap + 1)


def keep(root: Path, checked: Checked) -> dict:
    """Store an accepted file by its SHA-256 under ``root``; what a draft records of it."""
    described = checked.describe()
    write(root, described["sha256"], checked.data)
    return described
