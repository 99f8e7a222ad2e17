"""Request kinds are data: one file per kind in ``bot/data/kinds/<kind>.toml``.

Each gives the kind's name in the six languages, its form (pages of fields, or
``form = "cycle"`` for the questionnaire of a reporting cycle, read from
``bot/data/cycles/``), its email texts (the folder under ``templates/email/``
and the receipt's) and its ladder (a name in the policy file). The secretariat
adds a kind by adding a file, its email folder and its ladder; no code.

A kind may open as a purpose of another (``opens_as``): the appointment of a
focal point is a ``directory_update`` request with the purpose ``appoint``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import DATA_DIR, LANGUAGES

FOLDER = DATA_DIR / "kinds"
# What an emailed reply answers a kind with: its text, corrected directory lines or CONFIRM,
# attached files; "" when a reply never answers it by itself (it goes to review).
REPLIES = ("text", "directory", "attachments", "")


class KindError(ValueError):
    """A kind file does not describe a usable kind."""


@dataclass(frozen=True)
class Kind:
    name: str
    title: dict[str, str]
    ladder: str
    email: str  # templates/email/<email>/{subject,body}.txt
    receipt: str  # templates/email/<receipt>/{subject,body}.txt
    form: str  # "pages" (in this file) or "cycle" (bot/data/cycles/)
    cycle: str  # the default cycle definition when form == "cycle"
    opens_as: str | None  # the request kind it opens as, with the purpose ``name``
    reply: str  # what an emailed reply answers it with: text, directory, attachments, or ""
    raw: dict[str, Any]  # the whole file, for the form's reader


def _kind(name: str, raw: dict[str, Any]) -> Kind:
    title = raw.get("title")
    if not isinstance(title, dict) or any(not title.get(lang) for lang in LANGUAGES):
        raise KindError(f"{name}.toml: a title in each of {', '.join(LANGUAGES)} is needed")
    form = str(raw.get("form", "pages"))
    if form not in ("pages", "cycle"):
        raise KindError(f"{name}.toml: form must be 'pages' or 'cycle'")
    if raw.get("reply", "") not in REPLIES:
        raise KindError(f"{name}.toml: reply must be one of {', '.join(REPLIES)}")
    if form == "cycle" and not raw.get("cycle"):
        raise KindError(f"{name}.toml: a cycle form names its default cycle")
    return Kind(
        name=name,
        title={lang: str(title[lang]) for lang in LANGUAGES},
        ladder=str(raw.get("ladder", name)),
        email=str(raw.get("email", name)),
        receipt=str(raw.get("receipt", "receipt")),
        form=form,
        cycle=str(raw.get("cycle", "")),
        opens_as=raw.get("opens_as"),
        reply=str(raw.get("reply", "")),
        raw=raw,
    )


@lru_cache
def definitions() -> dict[str, Kind]:
    """Every kind defined in the data folder, by name."""
    found: dict[str, Kind] = {}
    for path in sorted(FOLDER.glob("*.toml")):
        name = path.stem
        if not name.isidentifier():
            raise KindError(f"{path.name}: a kind's name is a lowercase identifier")
        found[name] = _kind(name, tomllib.loads(path.read_text(encoding="utf-8")))
    for kind in found.values():
        if kind.opens_as is not None and (
            kind.opens_as not in found or found[kind.opens_as].opens_as
        ):
            raise KindError(f"{kind.name}.toml: opens_as names no kind of its own")
    return found


def names() -> list[str]:
    """The kinds a request can be opened as."""
    return list(definitions())


def get(name: str) -> Kind:
    try:
        return definitions()[name]
    except KeyError:
        raise KindError(f"unknown request kind {name!r}") from None


def opening(name: str, purpose: str | None = None) -> tuple[str, str | None]:
    """The stored (kind, purpose) of a request opened as ``name``."""
    kind = get(name)
    if kind.opens_as:
        return kind.opens_as, kind.name
    return kind.name, purpose


def of(kind: str, purpose: str | None = None) -> Kind:
    """The definition that governs a request of ``kind`` with ``purpose``."""
    found = definitions()
    if purpose and purpose in found and found[purpose].opens_as == kind:
        return found[purpose]
    return get(kind)


def for_request(request: Any) -> Kind:
    return of(request.kind, request.purpose)
