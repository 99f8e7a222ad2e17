"""The controls on a request page, the plan's explanation, escalations and problems on the
dashboard."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot import audit
from bot.model import AuditEvent, Problem, Request, utcnow
from bot.policy.calendar import Reason, plan_note
from tests.forms.helpers import csrf_token_in, make_request, make_user

pytestmark = pytest.mark.usefixtures("fixed_clock")


class Snapshot:
    def __init__(self, **values):
        self.__dict__.update(values)


def _fresh(session, rid: int) -> Snapshot:
    """The request as stored now; the read transaction is ended so the web app can write."""
    session.expire_all()
    row = session.get(Request, rid)
    fields = ("id", "status", "paused", "snoozed_until", "next_action_at")
    snapshot = Snapshot(**{name: getattr(row, name) for name in fields})
    session.rollback()
    return snapshot


def _events(session, action: str) -> list[Snapshot]:
    found = [
        Snapshot(actor=e.actor, subject_id=e.subject_id, payload=e.payload)
        for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    ]
    session.rollback()
    return found


def test_pause_then_resume_are_audited_and_replanned(desk, session):
    req = make_request(session)
    req.snoozed_until = date.today() + timedelta(days=5)
    session.commit()
    rid = req.id
    before = utcnow()
    resp = desk.post(f"/desk/requests/{rid}/pause")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/desk/requests/{rid}")
    now = _fresh(session, rid)
    assert now.paused and now.next_action_at >= before
    [event] = _events(session, "request.paused")
    assert event.actor == "officer@secretariat.example.org" and event.subject_id == str(rid)
    html = desk.get(f"/desk/requests/{rid}").get_data(as_text=True)
    assert "Paused" in html and "Resume" in html
    assert desk.post(f"/desk/requests/{rid}/resume").status_code == 303
    now = _fresh(session, rid)
    assert not now.paused and now.snoozed_until is None
    [event] = _events(session, "request.resumed")
    assert json.loads(event.payload)["data"]["paused"] is True
    assert audit.verify(session).ok


def test_pausing_twice_is_refused_politely(desk, session):
    req = make_request(session)
    session.commit()
    desk.post(f"/desk/requests/{req.id}/pause")
    resp = desk.post(f"/desk/requests/{req.id}/pause", follow_redirects=True)
    assert "already paused" in resp.get_data(as_text=True)
    assert len(_events(session, "request.paused")) == 1


def test_snooze_until_a_date(desk, session):
    req = make_request(session)
    session.commit()
    until = date.today() + timedelta(days=10)
    resp = desk.post(
        f"/desk/requests/{req.id}/snooze", data={"until": until.isoformat()}, follow_redirects=True
    )
    assert resp.status_code == 200 and "Snoozed until" in resp.get_data(as_text=True)
    assert _fresh(session, req.id).snoozed_until == until
    [event] = _events(session, "request.snoozed")
    assert json.loads(event.payload)["data"]["until"] == until.isoformat()


@pytest.mark.parametrize("value", ["", "yesterday", (date.today() - timedelta(days=1)).isoformat()])
def test_snooze_needs_a_future_date(desk, session, value):
    req = make_request(session)
    session.commit()
    resp = desk.post(f"/desk/requests/{req.id}/snooze", data={"until": value})
    assert resp.status_code == 303
    assert _fresh(session, req.id).snoozed_until is None
    assert not _events(session, "request.snoozed")


def test_waive_and_close_are_transitions_with_their_reason(desk, session):
    first, second = make_request(session).id, make_request(session, kind="clarification").id
    session.commit()
    assert (
        desk.post(
            f"/desk/requests/{first}/waive", data={"reason": "answered at the session"}
        ).status_code
        == 303
    )
    assert desk.post(f"/desk/requests/{second}/close").status_code == 303
    assert _fresh(session, first).status == "waived" and _fresh(session, second).status == "closed"
    events = [json.loads(e.payload)["data"] for e in _events(session, "request.status")]
    assert {
        "old": "open",
        "new": "waived",
        "reason": "answered at the session",
        "transition": "waived",
    } in events
    assert {"old": "open", "new": "closed", "reason": "", "transition": "closed"} in events
    resp = desk.post(f"/desk/requests/{first}/pause", follow_redirects=True)
    assert "Only an open request" in resp.get_data(as_text=True)
    assert not _events(session, "request.paused")


def test_controls_need_the_csrf_token(csrf_web, session):
    client = csrf_web.test_client()
    make_user(session)
    rid = make_request(session).id
    session.commit()
    page = client.get("/desk/login").get_data(as_text=True)
    client.post(
        "/desk/login",
        data={
            "email": "officer@secretariat.example.org",
            "password": "correct horse battery staple",
            "csrf_token": csrf_token_in(page),
        },
    )
    assert client.post(f"/desk/requests/{rid}/pause").status_code == 400
    assert not _fresh(session, rid).paused
    html = client.get(f"/desk/requests/{rid}").get_data(as_text=True)
    assert (
        client.post(
            f"/desk/requests/{rid}/pause", data={"csrf_token": csrf_token_in(html)}
        ).status_code
        == 303
    )
    assert _fresh(session, rid).paused


def test_the_request_page_explains_the_plan(desk, session):
    req = make_request(session)
    req.next_step = "reminder1"
    req.next_action_at = datetime(2027, 3, 7, 6, 0, tzinfo=UTC)
    req.plan_note = plan_note(
        step="reminder1",
        step_date=date(2027, 3, 3),
        step_days=7,
        earliest=datetime(2027, 3, 4, 20, 0, tzinfo=UTC),
        at=datetime(2027, 3, 7, 6, 0, tzinfo=UTC),
        timezone="Asia/Riyadh",
        reasons=[
            Reason("after_hours", {"local": "2027-03-04T23:00", "end": "17:00"}),
            Reason("weekend", {"date": "2027-03-05", "weekend": ["fri", "sat"]}),
        ],
    )
    session.commit()
    html = desk.get(f"/desk/requests/{req.id}").get_data(as_text=True)
    assert "The first reminder falls due on March 3, 2027 (deadline + 7 days)." in html
    assert "Moved to Sunday, March 7, 2027, 9:00" in html and "(Asia/Riyadh time)" in html
    assert "working hours end at 5:00" in html
    assert "Friday and Saturday are the weekend in this State" in html
    french = desk.get(f"/desk/requests/{req.id}?lang=fr").get_data(as_text=True)
    assert "7 mars 2027" in french


def test_held_requests_are_explained(app):
    from bot.desk.plan_text import explain_plan

    with app.test_request_context():
        away = plan_note(
            step="reminder2", step_date=date(2027, 12, 1), held="away", until=date(2027, 12, 12)
        )
        assert explain_plan(away)[0] == "Held until December 12, 2027: the focal point is away."
        assert explain_plan(plan_note(step=None, held="paused")) == ["Paused by the secretariat."]
        assert explain_plan(plan_note(step=None, held="snoozed", until=date(2027, 1, 5))) == [
            "Snoozed until January 5, 2027."
        ]
        gap = plan_note(
            step=None,
            held="gap",
            until=datetime(2027, 1, 8, 8, tzinfo=UTC),
            days=3,
            timezone="Europe/Paris",
        )
        assert explain_plan(gap) == [
            "Not before Friday, January 8, 2027, 9:00\u202fAM: no contact gets more than "
            "one automated email every 3 days."
        ]
        anytime = plan_note(
            step="request",
            step_date=date(2027, 1, 4),
            at=datetime(2027, 1, 4, 3, tzinfo=UTC),
            timezone="UTC",
            reasons=[Reason("any_time")],
        )
        assert (
            explain_plan(anytime)[0]
            == "The first request falls due on January 4, 2027 (when the request was opened)."
        )
        assert "any hour on any day" in explain_plan(anytime)[1]
        assert explain_plan("{not json") == ["The planner's note for this request cannot be read."]
        assert explain_plan(None) == []


def test_the_dashboard_marks_escalations_and_lists_problems(desk, session):
    req = make_request(session, due=date.today() - timedelta(days=40))
    req.escalated_at = utcnow()
    session.add_all(
        [
            Problem(
                key="contact:1:email",
                area="contact",
                message="KE focal point: no email address",
                last_seen=datetime.combine(date.today(), time(8), tzinfo=UTC),
            ),
            Problem(key="policy", area="policy", message="old problem", resolved_at=utcnow()),
        ]
    )
    session.commit()
    html = desk.get("/desk/").get_data(as_text=True)
    assert "escalated" in html
    assert "Problems" in html and "KE focal point: no email address" in html
    assert "old problem" not in html


def test_a_new_deadline_is_audited_and_replanned(desk, session):
    req = make_request(session)
    session.commit()
    rid, old_due = req.id, req.due_date
    new_due = old_due + timedelta(days=30)
    before = utcnow()
    assert (
        desk.post(f"/desk/requests/{rid}/due", data={"due": new_due.isoformat()}).status_code == 303
    )
    session.expire_all()
    row = session.get(Request, rid)
    assert row.due_date == new_due and row.next_action_at >= before
    session.rollback()
    [event] = _events(session, "request.due_changed")
    assert json.loads(event.payload)["data"] == {
        "due": new_due.isoformat(),
        "previous": old_due.isoformat(),
        "reason": "",
    }
