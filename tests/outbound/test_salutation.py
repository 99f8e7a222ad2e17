"""Salutations per language: the name part and the title each language's formal letters use."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest

from bot.outbound.compose import Envelope, Rendered, build_bytes
from bot.outbound.salutation import addressee, clean, conventions


@pytest.mark.parametrize(
    "language, name, title, expected",
    [
        # English: a post is not a form of address; an honorific goes with the family name
        ("en", "Joseph Kamau", "Head, International Cooperation", "Joseph Kamau"),
        ("en", "Joseph Kamau", "Dr", "Dr Kamau"),
        ("en", "Grace Wanjiru", "Ambassador", "Ambassador Wanjiru"),
        # the English half of a bilingual letter: the Arabic title stays out
        ("en", "أحمد سامي عبد الله", "مستشار", "أحمد سامي عبد الله"),
        # Arabic: the title before the name, with its article
        ("ar", "أحمد سامي عبد الله", "مستشار", "المستشار أحمد سامي عبد الله"),
        ("ar", "منى حسن", "رئيسة إدارة التعاون الدولي", "رئيسة إدارة التعاون الدولي منى حسن"),
        ("ar", "أحمد سامي عبد الله", "Counsellor", "أحمد سامي عبد الله"),
        # Chinese: family name, then the post or the honorific
        ("zh", "王丽", "处长", "王处长"),
        ("zh", "王丽", "女士", "王女士"),
        ("zh", "Joseph Kamau", "处长", "Joseph Kamau"),
        ("zh", "王丽", "Director", "王丽"),
        # French and Spanish: the attention line carries the name, then the post
        ("fr", "Aminata Diallo", "Conseillère juridique", "Aminata Diallo, Conseillère juridique"),
        ("fr", "Aminata Diallo", "Mme", "Mme Aminata Diallo"),
        ("fr", "王丽", "处长", "王丽"),
        (
            "es",
            "María Fernanda López",
            "Directora de Asuntos Jurídicos",
            "María Fernanda López, Directora de Asuntos Jurídicos",
        ),
        ("es", "María Fernanda López", "Dra.", "Dra. María Fernanda López"),
        # Russian: given name and patronymic, whichever order the name is written in
        ("ru", "Ирина Сергеевна Петрова", "советник", "Ирина Сергеевна"),
        ("ru", "Петрова Ирина Сергеевна", "", "Ирина Сергеевна"),
        ("ru", "Ирина Петрова", "госпожа", "госпожа Петрова"),
        ("ru", "Ирина Петрова", "Counsellor", "Ирина Петрова"),
    ],
)
def test_it_follows_each_languages_conventions(language, name, title, expected):
    assert addressee(language, name, title) == expected


@pytest.mark.parametrize("language", ["ar", "zh", "en", "fr", "ru", "es"])
def test_a_contact_without_a_name_gets_the_generic_salutation(language):
    assert addressee(language, "", "") is None
    assert addressee(language, "   ", None) is None
    assert addressee(language, "\x0b\x00", "\u202e") is None


def test_a_title_alone_is_a_salutation_only_where_the_language_says_so():
    assert addressee("zh", "", "处长") == "处长"
    for language, title in [
        ("en", "Head, International Cooperation"),
        ("fr", "Directeur"),
        ("es", "Director"),
        ("ru", "советник"),
        ("ar", "مستشار"),
        ("en", "Dr"),
    ]:
        assert addressee(language, "", title) is None, language


def test_every_language_has_its_conventions():
    assert set(conventions()) == {"ar", "zh", "en", "fr", "ru", "es"}


def test_control_characters_never_reach_a_salutation():
    assert addressee("en", "Joseph\x0bKamau\x00", "") == "Joseph Kamau"
    assert addressee("en", "Joseph\r\nKamau", "Dr\x1b") == "Dr Kamau"
    assert clean("\u202euamaK hpesoJ\u202c") == "uamaK hpesoJ"
    assert clean("a\tb\n\nc\x7f") == "a b c"


def _to_header(name: str) -> tuple[str, bytes]:
    rendered = Rendered("Subject", "text\n", "<p>text</p>", "en")
    env = Envelope(
        mail_from="UNTOC secretariat <secretariat@secretariat.example.org>",
        to=[(name, "fp@example.org")],
        cc=[(name, "alt@example.org")],
        reply_to="replies@secretariat.example.org",
        message_id="<1@secretariat.example.org>",
        date=datetime(2027, 3, 1, tzinfo=UTC),
    )
    raw = build_bytes(rendered, env)
    head = raw.split(b"\r\n\r\n", 1)[0]
    return str(message_from_bytes(raw, policy=default)["To"]), head


def test_a_display_name_loses_its_control_characters_and_cannot_add_a_header():
    to, head = _to_header("Joseph\x0bKamau")
    assert to == "Joseph Kamau <fp@example.org>" and b"\x0b" not in head
    to, head = _to_header("Kamau\r\nBcc: evil@example.net")
    assert b"\r\nBcc:" not in head and b"\nBcc:" not in head
    assert to.endswith("<fp@example.org>") and "evil@example.net" in to  # kept as part of the name
    assert all(0x20 <= b < 0x7F or b in (0x0D, 0x0A, 0x09) for b in head)


def test_an_address_with_a_control_character_is_refused():
    rendered = Rendered("Subject", "text\n", "<p>text</p>", "en")
    env = Envelope(
        mail_from="s@example.org",
        to=[("X", "fp@example.org\r\nBcc: e@x.org")],
        reply_to="r@example.org",
        message_id="<1@example.org>",
    )
    with pytest.raises(ValueError, match="control character"):
        build_bytes(rendered, env)
