"""The report page in Chromium: English and Arabic (right to left), without JavaScript, with
axe-core's accessibility rules, and its XLSX download."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from bot import report
from bot.campaign import create_campaign
from bot.directory.seed import seed, set_participation
from bot.model import Request, Submission
from tests.browser.conftest import axe_serious
from tests.forms.helpers import PASSWORD, make_user


@pytest.fixture
def reported(session):
    """A campaign to the parties to TIP: two answered, one tagged, and a clarification."""
    seed(session, actor="test", participation=None)
    set_participation(session, [(c, "TIP", "party") for c in ("FR", "DE", "KE", "EG", "BR")])
    make_user(session)
    create_campaign(
        session,
        kind="questionnaire",
        due=date(2027, 6, 30),
        instrument="TIP",
        cycle="2027",
        parties_to="TIP",
        actor="test",
    )
    create_campaign(
        session,
        kind="clarification",
        due=date(2027, 6, 30),
        cycle="2027",
        subject="Article 5: the offence of participation",
        states=["EG"],
        actor="test",
    )
    answered = session.query(Request).filter(Request.state_code.in_(["FR", "EG"])).all()
    for r in answered:
        r.status = "answered"
        r.answered_at = r.created_at + timedelta(days=9)
        session.add(
            Submission(
                request_id=r.id, source="form", data={"answer": "المادة 5 مجرّمة في القانون رقم 12"}
            )
        )
    session.flush()
    report.tag_answer(
        session, answered[0], provision="TIP art. 6", finding="difficulty", actor="test"
    )
    session.commit()


def _logged_in(browser, served, **options):
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}, accept_downloads=True, **options
    )
    page = context.new_page()
    page.goto(f"{served}/desk/login")
    page.fill("input[name=email]", "officer@secretariat.example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    return context, page


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_report_page_reads_and_passes_axe(
    browser, served, reported, axe_source, lang, tmp_path
):
    context, page = _logged_in(browser, served)
    page.goto(f"{served}/desk/reports?cycle=2027&lang={lang}")
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    chart = page.locator("svg[role=img]")
    assert chart.count() == 1 and chart.locator("title").count() == 1
    heading = "تقارير مقدمة إلى المؤتمر" if lang == "ar" else "Reports for the Conference"
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(tmp_path / f"report-{lang}.png"), full_page=True)
    bad = axe_serious(page, axe_source)
    assert not bad, "\n".join(bad)
    context.close()


def test_the_xlsx_downloads_without_javascript(browser, served, reported, tmp_path):
    context, page = _logged_in(browser, served, java_script_enabled=False)
    page.goto(f"{served}/desk/reports")
    with page.expect_download() as download:
        page.click("text=XLSX")
    path = tmp_path / "responses.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path)["requests"].iter_rows(values_only=True))
    assert len(rows) == 1 + 6 and {r[7] for r in rows[1:]} == {"answered", "open"}
    context.close()


def test_a_campaign_is_previewed_and_started_in_the_browser(browser, served, reported, tmp_path):
    context, page = _logged_in(browser, served, java_script_enabled=False)
    page.goto(f"{served}/desk/campaigns/new?lang=ar")
    page.select_option("select[name=kind]", "questionnaire")
    page.select_option("select[name=instrument]", "TIP")
    page.fill("input[name=cycle]", "2027")
    page.fill("input[name=due_date]", "2027-09-30")
    page.select_option("select[name=parties_to]", "TIP")
    page.click("input[name=preview]")
    page.screenshot(path=str(tmp_path / "preview-ar.png"), full_page=True)
    # three of the five parties have an open questionnaire for 2027 and are skipped
    assert page.locator("li a[href*='/desk/requests/']").count() == 3
    assert page.locator("main bdi[dir=ltr]").first.inner_text() == "2027-09-30"
    page.click("input[name=start]")
    assert "/desk/campaigns/" in page.url
    page.screenshot(path=str(tmp_path / "campaign-ar.png"), full_page=True)
    context.close()
