"""Every letter, digest and receipt is signed, in its own language."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from bot.outbound.compose import render

LANGUAGES = ["ar", "zh", "en", "fr", "ru", "es"]
DEFAULT = (
    "Secretariat of the Conference of the Parties to the United Nations Convention against "
    "Transnational Organized Crime"
)


class _Request:
    kind, cycle, subject = "questionnaire", "2026-2027", "Article 16"


def _context(secretariat: str) -> dict:
    item = {
        "request": _Request(),
        "tag": "[FB-1]",
        "cycle": "2026-2027",
        "due": "1 March 2027",
        "form_url": "http://bot.example.org/f/X",
    }
    return {
        **item,
        "state_name": "Kenya",
        "instrument_name": "UNTOC",
        "contact": None,
        "what": "reply",
        "files": 0,
        "secretariat": secretariat,
        "items": [item, dict(item, tag="[FB-2]")],
    }


def _signature(kind: str, step: str, language: str, secretariat: str) -> str:
    text = render(kind, step, _context(secretariat), language).text
    return " ".join(text.split("\n\n")[-1].split())  # the last paragraph, unwrapped


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "kind, step",
    [
        ("receipt", "receipt"),
        ("digest", "reminder1"),
        ("questionnaire", "reminder1"),
        ("technical_assistance", "request"),
    ],
)
def test_it_signs_with_the_secretariats_name_in_the_letters_language(app, language, kind, step):
    with force_locale(language):
        closing, name = _("Yours faithfully,"), _(DEFAULT)
    assert name != DEFAULT or language == "en"
    signed = _signature(kind, step, language, "")
    assert signed.endswith(" ".join(name.split())) and " ".join(closing.split()) in signed


@pytest.mark.parametrize("kind, step", [("receipt", "receipt"), ("digest", "reminder1")])
def test_it_signs_with_secretariat_name_when_it_is_set(app, kind, step):
    assert _signature(kind, step, "fr", "Section des traités").endswith("Section des traités")
