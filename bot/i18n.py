"""Languages: the six UN languages, text direction, locale choice."""

from __future__ import annotations

from babel import Locale
from flask import g, request

from . import LANGUAGES

DEFAULT = "en"


def normalise_language(value: str | None) -> str | None:
    """'fr-CA' -> 'fr'; None when not one of the six."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def direction(lang: str) -> str:
    return Locale.parse(lang).text_direction == "rtl" and "rtl" or "ltr"


def language_name(lang: str) -> str:
    """The language's name in itself, e.g. 'français'."""
    return Locale.parse(lang).get_display_name(lang) or lang


def select_locale() -> str:
    """Flask-Babel's locale selector: explicit choice, then the page's subject, then the browser."""
    forced = getattr(g, "language", None)
    if forced:
        return forced
    chosen = normalise_language(request.args.get("lang")) or normalise_language(
        request.cookies.get("lang")
    )
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT
