"""The desk in Chromium at 1,280 pixels, in English and Arabic: nothing wider than the
window, and axe-core finds no serious or critical violation on the home, a State page and a
request page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import requests
from bot.model import Message
from tests.forms.helpers import PASSWORD, make_request, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")

PAGES = ["/desk/", "/desk/states/EG", "/desk/requests/1", "/desk/requests", "/desk/audit",
         "/desk/search?q=%D8%A7%D9%84%D9%82%D8%A7%D9%86%D9%88%D9%86", "/desk/nowhere"]
SHOTS = os.environ.get("DESK_SCREENSHOTS")  # a folder to keep the screenshots in


def _data(session) -> None:
    make_user(session)
    req = make_request(session, code="EG", language="ar")
    session.add(
        Message(
            direction="in", request_id=req.id, state_code="EG",
            subject="رد على الاستبيان [FB-1]", delivery="processed", from_addr="fp@example.eg",
            raw="From: أحمد <fp@example.eg>\nSubject: x\n\nنص".encode(),
            text="نعم، اعتمد القانون رقم 12 لسنة 2024 بشأن مكافحة غسل الأموال " * 4,
        )
    )
    requests.record_submission(
        session, req, {"respondent_name": "أحمد علي", "a5_offence": "yes"},
        source="form", submitted_by="fp@example.eg", actor="test",
    )
    session.commit()


def _log_in(context, served: str):
    page = context.new_page()
    page.goto(f"{served}/desk/login")
    page.fill("input[name=email]", "officer@secretariat.example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_desk_pages_fit_1280_pixels(browser, served, session, lang):
    _data(session)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = _log_in(context, served)
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        page.goto(f"{served}{path}{sep}lang={lang}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, (path, width)
        direction = page.evaluate("document.documentElement.dir")
        assert direction == ("rtl" if lang == "ar" else "ltr"), (path, direction)
        if SHOTS:
            name = path.strip("/").split("?")[0].replace("/", "_") or "home"
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{lang}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_serious_violation_on_the_desk(browser, served, session, axe_source, lang):
    _data(session)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = _log_in(context, served)
    for path in ["/desk/", "/desk/states/EG", "/desk/requests/1"]:
        page.goto(f"{served}{path}?lang={lang}")
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document)")
        bad = [
            (v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], (path, bad)
    context.close()
