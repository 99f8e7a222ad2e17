"""The desk's log-in, users page and a refusal in Chromium, in English and in Arabic (right to
left), without JavaScript."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import auth
from tests.forms.helpers import PASSWORD

SHOTS = os.environ.get("FOCALBOT_SCREENSHOTS")  # a folder to keep the pages' screenshots in


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def staff(session):
    auth.set_password(
        session, "chief@secretariat.example.org", PASSWORD, name="Chief", role="admin", actor="test"
    )
    auth.set_password(
        session,
        "reader@secretariat.example.org",
        PASSWORD,
        name="Reader",
        role="viewer",
        actor="test",
    )
    session.commit()


def _log_in(page, served, email, lang):
    page.goto(f"{served}/lang/{lang}?next=/desk/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_log_in_users_page_and_a_refusal_read_in_english_and_arabic(browser, served, staff, lang):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(f"{served}/lang/{lang}?next=/desk/login")
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("getComputedStyle(document.body).direction") == (
        "rtl" if lang == "ar" else "ltr"
    )
    _shot(page, f"desk-login-{lang}")
    _log_in(page, served, "chief@secretariat.example.org", lang)
    page.goto(f"{served}/desk/users")
    text = page.inner_text("main")
    assert "reader@secretariat.example.org" in text
    assert ("مستخدمو المكتب" if lang == "ar" else "Users of the desk") in text
    assert ("قارئ" if lang == "ar" else "viewer") in text
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the users page is {overflow} px wider than the window"
    _shot(page, f"desk-users-{lang}")
    page.goto(f"{served}/desk/second-factor")
    assert "otpauth://totp/" in page.content()
    _shot(page, f"desk-second-factor-{lang}")
    context.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, served, "reader@secretariat.example.org", lang)
    assert page.url.endswith("/desk/")
    assert page.locator("form[action$='/desk/logout']").count() == 1
    refused = page.goto(f"{served}/desk/users")
    assert refused.status == 403
    _shot(page, f"desk-403-{lang}")
    context.close()
