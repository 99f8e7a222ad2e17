"""The questionnaire of a reporting cycle: its definition file, its pages and their weight."""

from __future__ import annotations

import re

import pytest

from bot import LANGUAGES
from forms import questionnaires
from forms.questionnaires import ANSWERS
from tests.forms.helpers import SAMPLES, make_request

pytestmark = pytest.mark.usefixtures("fixed_clock")

ARTICLES = {
    "5",
    "6",
    "8",
    "10",
    "15",
    "16",
    "18",
    "19",
    "20",
    "23",
    "24",
    "25",
    "26",
    "27",
    "29",
    "30",
    "31",
    "32",
    "34",
}


@pytest.mark.parametrize("name", questionnaires.cycle_names())
def test_every_cycle_question_is_in_the_six_languages_and_follow_ups_point_to_questions(name):
    q = questionnaires.cycle(name)
    questions = [
        f
        for f in q.fields
        if f.type in ("answer", "textarea", "text", "citation")
        and not f.follow_up
        and f.name.startswith("a")
    ]
    for spec in q.fields:
        if spec.label:
            assert set(spec.label) == set(LANGUAGES) and all(spec.label.values()), spec.name
        if spec.show_if:
            parent, values = spec.show_if
            parent_spec = q.by_name[parent]
            assert list(q.by_name).index(parent) < list(q.by_name).index(spec.name)
            if parent_spec.type == "answer":
                assert set(values) <= set(ANSWERS), spec.name
    if name == "untoc-2027":
        assert len(questions) >= 40
        cited = {n for page in q.pages for n in re.findall(r"\d+", page.title.get("en", ""))}
        assert ARTICLES <= cited, ARTICLES - cited
        assert sum(1 for f in q.fields if f.type == "file") >= 40  # a file per question


def test_the_request_takes_its_own_cycle_or_the_default():
    class Req:
        kind, purpose, instrument_code, cycle = "questionnaire", None, "UNTOC", "2027"

    assert questionnaires.for_request(Req()).source == "untoc-2027.toml"
    Req.cycle = "1999"
    assert questionnaires.for_request(Req()).source == "untoc-2027.toml"


def _every_field_shown(q) -> dict:
    data: dict = {}
    for spec in q.fields:
        if spec.type == "answer":
            data[spec.name] = "partly"
        elif spec.type in ("multi",):
            data[spec.name] = [c.value for c in spec.choices]
    return data


@pytest.mark.parametrize("lang", ["ar", "ru", "en"])
def test_the_largest_questionnaire_page_is_under_30_kb(session, web_client, lang):
    req = make_request(session, code="EG" if lang == "ar" else "FR", language=lang)
    session.commit()
    token = req.token
    q = questionnaires.for_request(req)
    web_client.post(f"/f/{token}?lang={lang}", data=SAMPLES["questionnaire"])
    sizes = {}
    for n in range(1, len(q.pages)):  # every follow-up opened: each page at its largest
        fields = q.pages[n].fields
        answers = {f.name: "partly" for f in fields if f.type == "answer"}
        for _twice in (1, 2):  # the second time, the follow-ups of follow-ups
            web_client.post(f"/f/{token}?lang={lang}&page={n}", data={**answers, "go": "save"})
        resp = web_client.get(f"/f/{token}?lang={lang}&page={n}")
        html = resp.get_data(as_text=True)
        for spec in fields:
            assert f'name="{spec.name}"' in html, spec.name
        assert "<script" not in html
        sizes[q.pages[n].id] = len(resp.data)
    assert max(sizes.values()) < 30 * 1024, sizes
    summary = web_client.get(f"/f/{token}/review?lang={lang}")
    assert summary.status_code == 200 and len(summary.data) < 30 * 1024
