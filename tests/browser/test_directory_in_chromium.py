"""The online directory in Chromium: English and Arabic (right to left), no JavaScript, a
360-pixel screen, axe-core's accessibility rules, and the authorised user's log-in."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from bot.directory.seed import demo_directory_users, seed_demo

SHOTS = os.environ.get("FOCALBOT_SCREENSHOTS")  # a folder to keep the pages' screenshots in


@pytest.fixture
def demo_user(session):
    seed_demo(session, today=date.today(), actor="test")
    [user] = demo_directory_users(session)
    session.commit()
    return user


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_directory_reads_in_english_and_arabic_right_to_left_without_javascript(
    browser, served, demo_user, lang
):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{served}/directory?lang={lang}")
    assert page.evaluate("document.documentElement.lang") == lang
    direction = page.evaluate("getComputedStyle(document.body).direction")
    assert direction == ("rtl" if lang == "ar" else "ltr")
    code = page.locator("h2 bdi").first
    assert code.evaluate("e => getComputedStyle(e).direction") == "ltr"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"
    assert "mla.ke@example.org" in page.content()
    assert "extradition.ke@example.org" not in page.content()
    if lang == "ar":  # names and dates in the page's language
        assert "السلطة المركزية المعنية بالمساعدة القانونية المتبادلة" in page.content()
        assert "آخر تحديث من كينيا" in page.content()
    _shot(page, f"directory-{lang}")
    page.select_option("#f-type", "uncac_46_13")  # the filters work as a plain form
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "uncac.ke@example.org" in page.content() and "mla.ke@example.org" not in page.content()
    context.close()


def test_the_authorised_user_logs_in_and_sees_the_restricted_entries(browser, served, demo_user):
    email, password = demo_user
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}/directory/login?lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{served}/directory/KE?lang=en")
    assert "extradition.ke@example.org" in page.content()
    assert "Authorised users only" in page.content()
    _shot(page, "directory-ke-authorised")
    assert page.goto(f"{served}/desk/").status == 403
    context.close()


@pytest.mark.parametrize("path", ["/directory", "/directory/KE", "/directory/login"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_core_finds_no_serious_or_critical_violation_on_the_directory(
    browser, served, demo_user, axe_source, path, lang
):
    context = browser.new_context(bypass_csp=True)  # the page allows no script; axe is one
    page = context.new_page()
    page.goto(f"{served}{path}?lang={lang}")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)
    context.close()
