"""Whom a letter greets, per language: the part of the name and the title that go in
the salutation, following each language's conventions (``bot/data/salutations.toml``).

Pure: a contact's name and title in, the text for the catalog's "Dear %(name)s,"
out, or None for the generic "Dear Sir or Madam,". A title is used only when it is
written in the letter's script, and only where that language puts it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import DATA_DIR

CONVENTIONS_FILE = DATA_DIR / "salutations.toml"
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "cyrillic": re.compile(r"[\u0400-\u052f]"),
}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Convention:
    script: str
    honorifics: frozenset[str]
    honorific_name: str = "family"  # family or full
    honorific_after: bool = False
    post: str = "none"  # none, before, after, after_family
    article: str = ""
    family: str = "last"  # last or first_char
    patronymic: tuple[str, ...] = ()
    title_alone: bool = False


@cache
def conventions(path: Path = CONVENTIONS_FILE) -> dict[str, Convention]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        lang: Convention(
            script=body["script"],
            honorifics=frozenset(h.casefold() for h in body.get("honorifics", [])),
            honorific_name=body.get("honorific_name", "family"),
            honorific_after=bool(body.get("honorific_after", False)),
            post=body.get("post", "none"),
            article=body.get("article", ""),
            family=body.get("family", "last"),
            patronymic=tuple(body.get("patronymic", [])),
            title_alone=bool(body.get("title_alone", False)),
        )
        for lang, body in data.items()
    }


def clean(text: str | None) -> str:
    """``text`` as one line without control characters: a line break or a vertical tab
    (a spreadsheet's line break in a cell) is a space, other controls and bidi
    overrides are dropped, runs of white space are one space."""
    if not text:
        return ""
    kept = "".join(
        " "
        if ch.isspace()
        else ""
        if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS
        else ch
        for ch in text
    )
    return " ".join(kept.split())


def in_script(text: str, script: str) -> bool:
    """Whether every letter of ``text`` is written in ``script``."""
    letters = [ch for ch in text if ch.isalpha()]
    pattern = _SCRIPTS[script]
    return bool(letters) and all(pattern.match(ch) for ch in letters)


def addressee(
    language: str, name: str | None, title: str | None, table: dict[str, Convention] | None = None
) -> str | None:
    """What a letter in ``language`` puts in "Dear %(name)s,", or None: greet generically."""
    conv = (table or conventions()).get(language) or (table or conventions())["en"]
    name, title = clean(name), clean(title)
    if title and not in_script(title, conv.script):
        title = ""  # never a title in one script inside a letter in another
    honorific = title if title.casefold() in conv.honorifics else ""
    post = "" if honorific else title
    if not name:
        return post if post and conv.title_alone else None
    if honorific:
        part = _family(name, conv) if conv.honorific_name == "family" else name
        return f"{part}{honorific}" if conv.honorific_after else f"{honorific} {part}"
    called = _called(name, conv)
    if not post or conv.post == "none":
        return called
    if conv.post == "after_family":
        return f"{_family(name, conv)}{post}" if in_script(name, conv.script) else called
    if conv.post == "before":
        if conv.article and " " not in post and not post.startswith(conv.article):
            post = conv.article + post
        return f"{post} {called}"
    return f"{called}, {post}"


def _family(name: str, conv: Convention) -> str:
    if conv.family == "first_char" and in_script(name, "han"):
        return name.replace(" ", "")[0]
    return name.split()[-1]


def _called(name: str, conv: Convention) -> str:
    """The name as the salutation uses it: given name and patronymic where there is one."""
    words = name.split()
    if conv.patronymic and len(words) == 3:
        for n in (1, 2):
            if words[n].casefold().endswith(conv.patronymic):
                return " ".join(words[n - 1 : n + 1])
    return name
