"""The files that come with a message: names made safe, executables refused,
Outlook's winmail.dat opened. Pure: parts in, ``Found`` out; archives are never unpacked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message

MAX_NAME = 150
EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe",
        "bat",
        "cmd",
        "com",
        "js",
        "jse",
        "vbs",
        "vbe",
        "scr",
        "msi",
        "msp",
        "ps1",
        "psm1",
        "jar",
        "pif",
        "cpl",
        "hta",
        "wsf",
        "wsh",
        "lnk",
        "reg",
        "dll",
        "sys",
        "app",
        "apk",
        "sh",
        "gadget",
        "application",
    }
)
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
    "application/x-executable", "application/x-ms-installer", "application/x-msi",
    "application/x-bat", "application/x-sh", "application/javascript", "text/javascript",
    "application/x-javascript", "application/java-archive", "application/x-java-archive",
    "application/vnd.microsoft.portable-executable", "application/x-vbscript", "text/vbscript",
    "application/hta", "application/x-ms-shortcut",
})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE = re.compile(r'[<>:"|?*]')


@dataclass
class Found:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    refused: str | None = None
    size: int = 0
    sha256: str = ""

    def __post_init__(self) -> None:
        self.size = len(self.data)
        self.sha256 = hashlib.sha256(self.data).hexdigest()

    def describe(self) -> dict:
        out = {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }
        if self.refused:
            out["refused"] = self.refused
        return out


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A file name with no directory, no control characters and at most MAX_NAME characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", _CONTROL.sub("", name)).strip().strip(".").strip()
    if not name:
        return fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        name = name[: MAX_NAME - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name


def refusal(filename: str, content_type: str, data: bytes) -> str | None:
    """Why a file is not kept (an executable type), or None."""
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext in EXECUTABLE_EXTENSIONS:
        return f"executable type (.{ext})"
    if content_type.lower() in EXECUTABLE_TYPES:
        return f"executable type ({content_type.lower()})"
    if data[:2] == b"MZ" or data[:4] == b"\x7fELF":
        return "executable content"
    return None


def _found(filename: str | None, content_type: str, data: bytes, fallback: str) -> Found:
    name = safe_filename(filename, fallback)
    return Found(name, content_type, data, refusal(name, content_type, data))


def _payload(part: Message, attached_message: bool) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    if attached_message:
        try:
            inner = part.get_payload(0)
            return inner.as_bytes() if isinstance(inner, Message) else b""
        except Exception:
            return b""
    return b""


def collect(
    msg: Message, body: Message | None, problems: list[str]
) -> tuple[list[Found], str | None]:
    """Every attachment of ``msg``; and the body text of a winmail.dat when the message has none."""
    found: list[Found] = []
    tnef_body: str | None = None
    for part in msg.walk():
        if part is body:
            continue
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            ctype = part.get_content_type()
        except Exception as exc:
            problems.append(f"mime: unreadable part header ({exc})")
            continue
        attached_message = ctype == "message/rfc822" and disposition == "attachment"
        if part.is_multipart() and not attached_message:
            continue
        is_tnef = ctype in TNEF_TYPES or (filename or "").lower() == "winmail.dat"
        if disposition != "attachment" and not filename and not is_tnef:
            continue
        data = _payload(part, attached_message)
        if is_tnef:
            inner, text = open_tnef(data, problems)
            if inner is not None:
                found.extend(inner)
                tnef_body = tnef_body or text
                continue
        found.append(_found(filename, ctype, data, f"attachment-{len(found) + 1}"))
    return found, tnef_body


def open_tnef(data: bytes, problems: list[str]) -> tuple[list[Found] | None, str | None]:
    """The files and body text inside an Outlook winmail.dat; (None, None) if unreadable."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data)
    except ImportError:
        problems.append("attachment: winmail.dat kept unopened (tnefparse is not installed)")
        return None, None
    except Exception as exc:
        problems.append(f"attachment: winmail.dat unreadable ({type(exc).__name__}); kept as it is")
        return None, None
    files = []
    for i, item in enumerate(tnef.attachments, 1):
        try:
            name = item.long_filename() or item.name
        except Exception:
            name = getattr(item, "name", None)
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        blob = item.data if isinstance(item.data, bytes) else b""
        files.append(_found(name, "application/octet-stream", blob, f"winmail-{i}"))
    text = _tnef_text(tnef)
    return files, text


def _tnef_text(tnef) -> str | None:
    for attr in ("body", "htmlbody"):
        value = getattr(tnef, attr, None)
        if isinstance(value, bytes):
            data = value
            try:
                value = data.decode("utf-8")
            except UnicodeDecodeError:
                value = data.decode("cp1252", "replace")
        if value:
            if attr == "htmlbody":
                from .body import html_to_text

                return html_to_text(value)[0]
            return value
    return None
