"""Campaigns and reports on the desk: preview, start, the campaign's page, exports, tags."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.directory.seed import seed, set_participation
from bot.model import AuditEvent, Campaign, Contact, Request, Submission
from bot.requests import open_request
from tests.forms.helpers import PASSWORD, csrf_token_in, make_user

FORM = {
    "kind": "questionnaire",
    "instrument": "TIP",
    "cycle": "2027",
    "subject": "",
    "due_date": "2027-06-30",
    "parties_to": "TIP",
    "group": "",
    "states": "",
}


@pytest.fixture
def parties(session):
    seed(session, actor="test", participation=None)
    set_participation(session, [(c, "TIP", "party") for c in ("FR", "DE", "KE")])
    session.add(
        Contact(
            state_code="FR",
            role="focal_point",
            name="Claire Martin",
            emails=["fp@interieur.example.fr"],
        )
    )
    session.flush()
    from bot.model import State

    earlier = open_request(
        session,
        session.get(State, "KE"),
        "questionnaire",
        FORM_DUE,
        instrument_code="TIP",
        cycle="2027",
        actor="test",
    )
    session.commit()
    return earlier.id


FORM_DUE = __import__("datetime").date(2027, 6, 30)


def _count(session) -> int:
    n = len(session.scalars(select(Request)).all())
    session.rollback()  # the web requests take SQLite's write lock
    return n


def test_the_preview_counts_and_opens_nothing(desk, session, parties):
    page = desk.post("/desk/campaigns/new", data=dict(FORM, preview="1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Requests it will open</th><td>2</td>" in html
    assert "First emails it will send</th><td>1</td>" in html
    assert f"[FB-{parties}]" in html and "Kenya" in html
    assert session.scalars(select(Campaign)).all() == [] and _count(session) == 1
    included = desk.post("/desk/campaigns/new", data=dict(FORM, preview="1", include_open="y"))
    assert "Requests it will open</th><td>3</td>" in included.get_data(as_text=True)


def test_starting_opens_the_requests_and_is_audited(desk, session, parties):
    started = desk.post("/desk/campaigns/new", data=dict(FORM, start="1"))
    assert started.status_code == 303
    campaign = session.scalars(select(Campaign)).one()
    cid = campaign.id
    assert started.headers["Location"].endswith(f"/desk/campaigns/{campaign.id}")
    opened = session.scalars(select(Request).where(Request.campaign_id == campaign.id)).all()
    assert sorted(r.state_code for r in opened) == ["DE", "FR"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.created")).one()
    assert json.loads(event.payload)["actor"] == "officer@secretariat.example.org"
    session.rollback()
    page = desk.get(f"/desk/campaigns/{cid}").get_data(as_text=True)
    assert "0 of 2 requests answered" in page and "<svg" in page
    listed = desk.get("/desk/campaigns").get_data(as_text=True)
    assert f"/desk/campaigns/{cid}" in listed


def test_a_campaign_needs_a_choice_of_states(desk, session, parties):
    page = desk.post("/desk/campaigns/new", data=dict(FORM, parties_to="", start="1"))
    assert "Choose the States" in page.get_data(as_text=True)
    assert _count(session) == 1


def test_starting_needs_the_csrf_token(csrf_web, session, parties):
    make_user(session)
    session.commit()
    client = csrf_web.test_client()
    login = client.get("/desk/login").get_data(as_text=True)
    client.post(
        "/desk/login",
        data={
            "email": "officer@secretariat.example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token_in(login),
        },
    )
    assert client.post("/desk/campaigns/new", data=dict(FORM, start="1")).status_code == 400
    assert _count(session) == 1
    token = csrf_token_in(client.get("/desk/campaigns/new").get_data(as_text=True))
    preview = client.post("/desk/campaigns/new", data=dict(FORM, preview="1", csrf_token=token))
    token = csrf_token_in(preview.get_data(as_text=True))
    assert (
        client.post("/desk/campaigns/new", data=dict(FORM, start="1", csrf_token=token)).status_code
        == 303
    )
    assert _count(session) == 3


def test_the_report_page_and_its_exports(desk, session, parties):
    desk.post("/desk/campaigns/new", data=dict(FORM, start="1"))
    fr = session.scalars(select(Request).where(Request.state_code == "FR")).one()
    fr.status = "answered"
    fr.answered_at = fr.created_at + timedelta(days=5)
    session.add(Submission(request_id=fr.id, source="form", data={"x": "y"}))
    session.commit()
    page = desk.get("/desk/reports?cycle=2027").get_data(as_text=True)
    assert "1 of 3 requests answered (33.3 %)" in page
    assert "Western European and other States" in page and '<title id="chart-title">' in page
    xlsx = desk.get("/desk/reports/responses.xlsx?cycle=2027")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data))["requests"]
    assert sheet.max_row == 4
    csv_text = desk.get("/desk/reports/responses.csv").get_data(as_text=True)
    assert len(csv_text.splitlines()) == 4
    assert desk.get("/desk/reports/responses.pdf").status_code == 404
    fr_id = fr.id
    tagged = desk.post(
        f"/desk/requests/{fr_id}/tags",
        data={"provision": "TIP art. 6", "finding": "difficulty", "note": ""},
    )
    assert tagged.status_code == 303
    page = desk.get("/desk/reports").get_data(as_text=True)
    assert "TIP art. 6" in page and "a difficulty" not in page
    tags_page = desk.get(f"/desk/requests/{fr_id}/tags").get_data(as_text=True)
    assert "a difficulty" in tags_page
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "answer.tagged")).one()


def test_the_report_shows_a_tag_and_names_inert(desk, session, parties):
    desk.post(
        f"/desk/requests/{parties}/tags",
        data={"provision": "<script>alert(1)</script>", "finding": "compliance_issue"},
    )
    page = desk.get("/desk/reports").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
