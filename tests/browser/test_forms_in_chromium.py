"""The focal points' forms in real headless Chromium: every kind filled and sent, Arabic right
to left, JavaScript off, a 360-pixel screen, and axe-core's accessibility rules."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from babel.support import Translations

from bot import TRANSLATIONS_DIR, kinds
from forms import dates, questionnaires
from tests.browser.conftest import axe_serious
from tests.forms.helpers import make_request

KINDS = kinds.names()  # every kind the data files define
LANGUAGES = [("FR", "fr"), ("EG", "ar"), ("CN", "zh"), ("RU", "ru"), ("MX", "es"), ("GB", "en")]


def translated(lang: str, message: str) -> str:
    return Translations.load(str(TRANSLATIONS_DIR), [lang]).gettext(message)


def _link(base: str, req) -> str:
    return f"{base}/f/{req.token}"


def _fill(page) -> None:
    """Answer every field a person could answer, the way a person would."""
    for field in page.locator("input:visible, textarea:visible, select:visible").all():
        kind = (field.get_attribute("type") or field.evaluate("e => e.tagName")).lower()
        if kind in ("hidden", "submit", "button", "file"):
            continue
        if kind in ("radio", "checkbox"):  # the first choice of each group
            name = field.get_attribute("name")
            if not page.locator(f'input[name="{name}"]:checked').count():
                field.check()
        elif kind == "select":
            continue  # the first choice is already selected
        elif kind == "number":
            field.fill("2024")
        elif kind == "email":
            field.fill("fp@interieur.example.fr")
        elif kind == "date" or "date" in (field.get_attribute("class") or "").split():
            # as the hint shows it, in the page's language
            field.fill(
                dates.show(date(2027, 1, 31), page.evaluate("document.documentElement.lang"))
            )
        elif not field.input_value():
            field.fill("Loi n° 2024-12, art. 3")


def _send(page, max_pages: int = 40) -> None:
    """Answer each page and go on to the summary, then send the answers from it."""
    for _ in range(max_pages):
        if "/review" in page.url:
            page.locator('form [type="submit"]').last.click()
            page.wait_for_load_state()
            return
        _fill(page)
        page.locator('input[name="go_next"]').click()
        page.wait_for_load_state()
    raise AssertionError(f"the form never reached its summary: {page.url}")


@pytest.mark.parametrize(("code", "lang"), LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_form_kind_is_filled_and_sent_in_chromium(browser, served, session, kind, code, lang):
    req = make_request(session, kind=kind, code=code, language=lang)
    session.commit()
    page = browser.new_page()
    page.goto(_link(served, req))
    assert page.locator("form").count() >= 1
    _send(page)
    page.wait_for_load_state()
    assert req.tag in page.content()
    assert page.locator("h1").first.inner_text().strip()
    session.expire_all()
    assert req.submissions, f"no submission recorded for the {kind} form"
    page.close()


@pytest.mark.parametrize(("code", "lang"), LANGUAGES)
def test_the_form_reads_in_each_language_and_arabic_right_to_left(
    browser, served, session, code, lang
):
    req = make_request(session, code=code, language=lang)
    session.commit()
    page = browser.new_page()
    page.goto(_link(served, req))
    assert page.evaluate("document.documentElement.lang") == lang
    direction = page.evaluate("getComputedStyle(document.body).direction")
    assert direction == ("rtl" if lang == "ar" else "ltr")
    page.close()


def test_the_form_works_with_javascript_disabled(browser, served, session):
    req = make_request(session, code="EG", language="ar")
    session.commit()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(_link(served, req))
    _send(page)
    page.wait_for_load_state()
    session.expire_all()
    assert req.submissions
    context.close()


def test_the_form_fits_a_360_pixel_screen(browser, served, session):
    req = make_request(session, kind="directory_update", code="EG", language="ar")
    session.commit()
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(_link(served, req))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"
    page.close()


@pytest.mark.parametrize(("code", "lang"), [("EG", "ar"), ("RU", "ru")])
def test_the_form_works_at_200_percent_zoom(browser, served, session, code, lang):
    """A 1280-pixel window at 200%: 640 CSS pixels, each drawn with two. Nothing runs off the
    side, every label and the button are on screen, and the button still sends the page."""
    req = make_request(session, kind="questionnaire", code=code, language=lang)
    session.commit()
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.goto(_link(served, req))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the window at 200%"
    for label in page.locator("label").all():
        box = label.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 640 + 1
    button = page.locator('input[name="go_next"]')
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 640 + 1
    button.click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1  # the server answered the page sent
    context.close()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_core_finds_no_serious_or_critical_violation(
    browser, served, session, axe_source, kind, lang
):
    code = "EG" if lang == "ar" else "GB"
    req = make_request(session, kind=kind, code=code, language=lang)
    session.commit()
    context = browser.new_context(bypass_csp=True)  # the page allows no script; axe is one
    page = context.new_page()
    page.goto(_link(served, req))
    bad = axe_serious(page, axe_source)
    assert not bad, "\n".join(bad)
    context.close()


def _w3m(url: str) -> str:
    w3m = shutil.which("w3m")
    if w3m is None:
        pytest.fail("w3m is not installed: `make test` installs it (apt-get install w3m)")
    return subprocess.run(
        [w3m, "-dump", "-cols", "100", url], capture_output=True, text=True, timeout=60, check=True
    ).stdout


@pytest.mark.parametrize(("code", "lang"), LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_w3m_shows_every_label_and_the_submit_control(served, session, kind, code, lang):
    """A text browser (no CSS, no script): each field of the first page is labelled, and the
    control that saves it shows as a button."""
    req = make_request(session, kind=kind, code=code, language=lang)
    session.commit()
    out = " ".join(_w3m(_link(served, req)).split())
    q = questionnaires.for_request(req)
    for spec in q.pages[0].fields:
        label = " ".join(questionnaires.text(spec.label, lang).split())
        assert label[:40] in out, f"{kind}/{lang}: no label {label!r}"
    save = translated(lang, "Save and continue")
    assert f"[{save}]" in out, f"{kind}/{lang}: no [{save}] button in {out[-400:]}"


def test_an_error_summary_at_the_top_links_to_each_field_in_error(browser, served, session):
    req = make_request(session, kind="technical_assistance", code="EG", language="ar")
    session.commit()
    page = browser.new_page()
    page.goto(_link(served, req))
    page.locator('input[name="go_next"]').click()  # nothing answered: the required ones fail
    page.wait_for_load_state()
    links = page.locator(".error-summary a")
    assert links.count() >= 1
    first = links.first
    target = (first.get_attribute("href") or "").lstrip("#")
    assert page.locator(f"#{target}").count() == 1, f"no field #{target}"
    first.click()
    assert page.evaluate("location.hash") == f"#{target}"
    page.close()
