"""A step added to a copy of the policy file is planned, labelled and sent, with no code change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from bot import db, service
from bot.app import create_app
from bot.model import Message, Request
from tests import factories
from tests.conftest import DEMO_POLICY, make_settings
from tests.forms.helpers import log_in, make_user

DUE = date(2027, 2, 1)
REMINDER3 = f"""base = "{DEMO_POLICY}"

[steps]
reminder3 = {{ label = "third reminder", prefix = "Final reminder" }}

[ladders.questionnaire]
steps = [
  {{ name = "request", at = "open" }},
  {{ name = "due_soon", days = -7 }},
  {{ name = "reminder1", days = 7 }},
  {{ name = "reminder2", days = 21, cc_alternate = true }},
  {{ name = "reminder3", days = 28 }},
  {{ name = "escalation", days = 35, escalate = true }},
]
"""


def _at(day: date):
    return time_machine.travel(
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10), tick=False
    )


def test_a_reminder3_in_the_policy_file_is_planned_labelled_and_sent(
    tmp_path, settings, smtp_server
):
    policy = tmp_path / "policy.toml"
    policy.write_text(REMINDER3)
    st = make_settings(
        tmp_path,
        DATABASE_URL=settings.database_url,
        POLICY_FILE=str(policy),
        SMTP_URL=smtp_server.url,
    )
    app = create_app(st, TESTING=True, WTF_CSRF_ENABLED=False)
    with _at(DUE - timedelta(days=60)), app.app_context(), db.session() as s:
        factories.focal_point(s, "KE")
        rid = factories.request(s, "KE", due=DUE).id
        make_user(s)
    with _at(DUE + timedelta(days=22)), app.app_context():
        service.tick(st)  # the second reminder goes; the third is next
        with db.session() as s:
            assert s.get(Request, rid).next_step == "reminder3"
    with _at(DUE + timedelta(days=22)):
        client = app.test_client()
        assert log_in(client).status_code == 303
        page = client.get(f"/desk/requests/{rid}").get_data(as_text=True)
    assert "third reminder" in page
    with _at(DUE + timedelta(days=28)), app.app_context():
        result = service.tick(st)
        with db.session() as s:
            (row,) = s.scalars(
                select(Message).where(Message.request_id == rid, Message.step == "reminder3")
            )
            assert row.delivery == "sent" and s.get(Request, rid).next_step == "escalation"
    assert len(result.plan.queued) == 1 and result.sent == 1
    subject = str(smtp_server.messages[-1].message["Subject"]).strip()
    assert subject.startswith(f"[FB-{rid}] Final reminder: Questionnaire")
    assert "reminder3" not in subject

