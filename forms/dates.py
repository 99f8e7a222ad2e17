"""Dates as a person writes them in their language: shown and read in the page's locale.

A date field is a text input, not the browser's date widget (which shows its own
format, mm/dd/yyyy in an American browser, whatever the page says). Its hint is
an example written in the locale's short format with a four-figure year
(31/03/2025 in French, 2025/3/31 in Chinese, 3/31/2025 in English), and it
accepts that format, the ISO form 2025-03-31, Arabic-Indic digits and the
direction marks an Arabic keyboard adds. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from babel.dates import format_date, get_date_format

EXAMPLE = date(2025, 3, 31)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u2066\u2067\u2068\u2069"))


@lru_cache(maxsize=16)
def pattern(lang: str) -> str:
    """The locale's short date pattern, with a four-figure year and no direction marks."""
    short = get_date_format("short", locale=lang).pattern
    return re.sub(r"y+", "y", short).translate(_MARKS)


def example(lang: str) -> str:
    return format_date(EXAMPLE, pattern(lang), locale=lang).translate(_MARKS)


def show(value: date, lang: str) -> str:
    return format_date(value, pattern(lang), locale=lang).translate(_MARKS)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)


def _order(lang: str) -> str:
    """The order of day, month and year in the locale's pattern, e.g. 'dmy'."""
    seen = ""
    for ch in pattern(lang):
        letter = {"d": "d", "M": "m", "L": "m", "y": "y"}.get(ch)
        if letter and letter not in seen:
            seen += letter
    return seen if len(seen) == 3 else "ymd"


def parse(text: str, lang: str) -> date:
    """The date ``text`` names, written as the hint shows or as 2025-03-31; ValueError if none."""
    clean = _ascii_digits(text.translate(_MARKS)).strip()
    iso = _ISO.fullmatch(clean)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        return date(year, month, day)
    parts = re.findall(r"\d+", clean)
    if len(parts) != 3 or re.sub(r"[\d\s./\-年月日г]", "", clean):
        raise ValueError(f"not a date: {text!r}")
    values = dict(zip(_order(lang), (int(p) for p in parts), strict=True))
    if values["y"] < 1000:
        raise ValueError("a year has four figures")
    return date(values["y"], values["m"], values["d"])
