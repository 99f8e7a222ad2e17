"""Dates in the page's locale: the hint's example is what the field accepts."""

from datetime import date

import pytest

from forms import dates

LANGS = ["ar", "zh", "en", "fr", "ru", "es"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_example_in_the_hint_is_read_back_as_the_same_date(lang):
    assert dates.parse(dates.example(lang), lang) == dates.EXAMPLE
    assert dates.parse(dates.show(date(2027, 1, 5), lang), lang) == date(2027, 1, 5)
    assert dates.parse("2025-03-31", lang) == dates.EXAMPLE  # the ISO form, always


def test_each_language_writes_its_own_order_with_a_four_figure_year():
    got = {lang: dates.example(lang) for lang in LANGS}
    assert got["fr"] == "31/03/2025" and got["ru"] == "31.03.2025"
    assert got["en"] == "3/31/2025" and got["zh"] == "2025/3/31" and got["es"] == "31/3/2025"
    assert "2025" in got["ar"] and "\u200f" not in got["ar"]


def test_arabic_digits_and_direction_marks_are_read():
    assert dates.parse("\u0663\u0661\u200f/\u0663\u200f/\u0662\u0660\u0662\u0665", "ar") == date(
        2025, 3, 31
    )


@pytest.mark.parametrize("text", ["31/13/2025", "tomorrow", "31/03", "31/03/25", "2025-02-30", ""])
def test_what_is_no_date_is_refused(text):
    with pytest.raises(ValueError):
        dates.parse(text, "fr")


@pytest.mark.parametrize(
    ("lang", "typed"), [("fr", "31/03/2025"), ("zh", "2025/3/31"), ("ar", "31/3/2025")]
)
def test_a_date_field_reads_the_date_as_its_hint_shows_it(app, lang, typed):
    from forms import build, questionnaires

    q = questionnaires.load("directory_update")
    (spec,) = [f for f in q.fields if f.type == "date"]
    with app.test_request_context(method="POST", data={spec.name: typed}):
        form = build.form_class(q, lang, [spec])(meta={"csrf": False})
        assert form.validate(), form.errors
        assert form[spec.name].data == dates.EXAMPLE
        assert dates.example(lang) in str(form[spec.name].description)
    with app.test_request_context(method="POST", data={spec.name: "2025-31-03x"}):
        form = build.form_class(q, lang, [spec])(meta={"csrf": False})
        assert not form.validate()
        assert dates.example(lang) in form.errors[spec.name][0]
