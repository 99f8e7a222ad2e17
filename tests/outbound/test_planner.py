"""The planner against a database: digests, the gap, the calendar, holds, fallbacks, escalation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from bot import audit, db, requests, service, tokens
from bot.app import create_app
from bot.inbound.ingest import ingest
from bot.model import (
    AuditEvent,
    Contact,
    Message,
    OutboxItem,
    Problem,
    Request,
    StateInstrument,
    User,
)
from bot.outbound.compose import _WIDE
from tests import factories
from tests.conftest import DEMO_POLICY, make_settings
from tests.inbound.factories import reply

DEFAULT_POLICY = DEMO_POLICY.parent / "default.toml"


@pytest.fixture
def world(tmp_path, settings):
    """An app whose policy file the test chooses (the demo policy unless changed)."""

    def make(policy_text: str | None = None, **env):
        path = DEMO_POLICY
        if policy_text is not None:
            path = tmp_path / "policy.toml"
            path.write_text(policy_text)
        s = make_settings(
            tmp_path, DATABASE_URL=settings.database_url, POLICY_FILE=str(path), **env
        )
        app = create_app(s)
        return app, s

    return make


def _outgoing(s):
    return s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)).all()


def test_three_due_requests_of_one_focal_point_go_in_one_digest(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "MX")
            ids = [
                factories.request(s, "MX", kind=k).id
                for k in ("questionnaire", "directory_update", "clarification")
            ]
        result = service.plan(st)
        with db.session() as s:
            (msg,) = _outgoing(s)
            items = s.scalars(
                select(OutboxItem.request_id).where(OutboxItem.message_id == msg.id)
            ).all()
    assert len(result.queued) == 1 and sorted(items) == ids
    email = message_from_bytes(msg.raw, policy=policy.default)
    text = email.get_body(("plain",)).get_content()
    for rid in ids:
        assert f"[FB-{rid}]" in text
    assert email["Content-Language"] == "es" and msg.kind == "digest"
    # the digest's own token, bound to the requests it carries, and no request's token
    assert msg.token and tokens.is_valid(msg.token)
    assert email["Reply-To"] == f"replies+{msg.token.lower()}@secretariat.example.org"
    with db.session() as s:
        assert msg.token not in s.scalars(select(Request.token)).all()
    assert len(msg.raw) < 8 * 1024


def test_no_contact_gets_two_automated_emails_within_the_gap(world):
    app, st = world(
        'base = "demo.toml"\n[sending]\nmin_days_between = 3\n'.replace(
            "demo.toml", str(DEMO_POLICY)
        )
    )
    now = datetime(2027, 2, 1, 10, tzinfo=UTC)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR")
            factories.request(s, "FR")
        assert len(service.plan(st, now=now).queued) == 1
        with db.session() as s:
            second = factories.request(s, "FR", kind="clarification")
            second.next_action_at = now
            rid = second.id
        assert service.plan(st, now=now + timedelta(days=1)).queued == []
        with db.session() as s:
            r = s.get(Request, rid)
            note = json.loads(r.plan_note)
            assert note["held"] == "gap" and r.next_action_at == now + timedelta(days=3)
        assert len(service.plan(st, now=now + timedelta(days=3)).queued) == 1


def test_mail_waits_for_working_hours_on_a_working_day(world):
    app, st = world(DEFAULT_POLICY.read_text())
    saturday = datetime(2027, 2, 6, 12, tzinfo=UTC)  # a Saturday: the weekend in France
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR")
            rid = factories.request(s, "FR", due=date(2027, 4, 1)).id
            s.get(Request, rid).created_at = saturday
        assert service.plan(st, now=saturday).queued == []
        with db.session() as s:
            r = s.get(Request, rid)
            assert r.next_action_at == datetime(2027, 2, 8, 8, tzinfo=UTC)  # Monday 09:00 in Paris
            assert "weekend" in [reason["code"] for reason in json.loads(r.plan_note)["reasons"]]
        assert service.plan(st, now=datetime(2027, 2, 8, 8, 5, tzinfo=UTC)).queued


def test_a_contact_without_a_language_gets_their_states_language_and_english(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR", languages=[])
            factories.request(s, "FR")
        service.plan(st)
        with db.session() as s:
            (msg,) = _outgoing(s)
    email = message_from_bytes(msg.raw, policy=policy.default)
    assert email["Content-Language"] == "fr, en"
    html = email.get_body(("html",)).get_content()
    assert 'lang="fr"' in html and 'lang="en"' in html


def test_a_refused_address_passes_the_step_to_the_alternate(world, smtp_server):
    app, st = world(SMTP_URL=smtp_server.url)
    with app.app_context():
        with db.session() as s:
            bad = factories.focal_point(s, "FR", email="gone@example.org")
            factories.focal_point(
                s, "FR", role="alternate", email="alt.fr@example.org", name="Alternate"
            )
            factories.request(s, "FR")
            bad_id = bad.id
        smtp_server.refuse_rcpt.add("gone@example.org")
        first = service.tick(st)
        assert first.failed == 1
        second = service.tick(st)
        assert second.sent == 1
        with db.session() as s:
            assert s.get(Contact, bad_id).email_status == "bouncing"
            assert audit.verify(s).ok
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["alt.fr@example.org"]


def test_a_reply_pauses_the_ladder(world):
    app, st = world()
    now = datetime(2027, 1, 10, 10, tzinfo=UTC)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "RU")
            r = factories.request(s, "RU", due=date(2027, 1, 20))
            r.created_at = now
            rid, token = r.id, r.token
        service.plan(st, now=now)
        raw = reply(token=token, sender="fp.ru@example.org", body="Спасибо, ответим позже.")
        assert ingest(raw, source="test", settings=st).outcome == "processed"
        with db.session() as s:  # paused when the reply is recorded
            assert s.get_one(Request, rid).paused
        assert service.plan(st, now=datetime(2027, 1, 28, 10, tzinfo=UTC)).queued == []
        with db.session() as s:
            r = s.get_one(Request, rid)
            assert r.paused and r.next_action_at is None
            assert r.plan_note and '"held": "replied"' in r.plan_note
            requests.resume(s, r, actor="officer")
        # resumed by the officer: the ladder goes on, the reply does not pause it again
        assert service.plan(st, now=datetime(2027, 1, 28, 11, tzinfo=UTC)).queued != []


def test_escalation_writes_to_the_mission_with_the_officer_in_copy(world):
    app, st = world()
    now = datetime(2027, 3, 1, 10, tzinfo=UTC)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "EG")
            factories.focal_point(
                s, "EG", role="mission", email="mission.eg@example.org", name="Mission"
            )
            s.add(User(email="officer@un.example.org", name="Officer", password_hash="x"))
            s.flush()
            r = factories.request(s, "EG", due=date(2027, 1, 1))
            r.officer_id = s.scalar(select(User.id))
            r.created_at = now - timedelta(days=90)
            s.add(OutboxItem(message_id=_stub_message(s, r.id), request_id=r.id, step="request"))
            rid = r.id
        service.plan(st, now=now)
        with db.session() as s:
            msg = _outgoing(s)[-1]
            r = s.get(Request, rid)
            assert msg.step == "escalation" and r.escalated_at is not None
    assert msg.to_addrs[0] == "mission.eg@example.org" and "officer@un.example.org" in msg.to_addrs


def test_an_officers_escalation_goes_to_the_mission_at_the_next_pass(world):
    app, st = world()
    now = datetime(2027, 1, 5, 10, tzinfo=UTC)  # long before the ladder would escalate
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "EG")
            factories.focal_point(
                s, "EG", role="mission", email="mission.eg@example.org", name="Mission"
            )
            r = factories.request(s, "EG", due=date(2027, 6, 1))
            r.created_at = now - timedelta(days=3)
            s.add(OutboxItem(message_id=_stub_message(s, r.id), request_id=r.id, step="request"))
            rid = r.id
        service.plan(st, now=now)
        with db.session() as s:
            assert [m.step for m in _outgoing(s)] == ["request"]  # nothing more due yet
            requests.escalate(
                s, s.get_one(Request, rid), actor="officer@un.example.org", step="desk"
            )
        service.plan(st, now=now + timedelta(minutes=1))
        with db.session() as s:
            msg = _outgoing(s)[-1]
    assert msg.step == "escalation" and msg.to_addrs[0] == "mission.eg@example.org"


def _stub_message(s, rid) -> int:
    m = Message(direction="out", request_id=rid, raw=b"x", delivery="sent", step="request")
    s.add(m)
    s.flush()
    return m.id


def test_a_state_party_without_a_focal_point_is_asked_to_appoint_one(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            factories.instrument(s)
            factories.focal_point(s, "KE", role="mission", email="mission.ke@example.org")
            s.add(StateInstrument(state_code="KE", instrument_code="UNTOC", status="party"))
        opened = service.housekeeping(st)
        assert service.housekeeping(st) == []  # once
        service.plan(st)
        with db.session() as s:
            (msg,) = _outgoing(s)
            assert s.get(Request, opened[0]).purpose == "appoint"
    assert msg.to_addrs == ["mission.ke@example.org"]
    text = message_from_bytes(msg.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "designat" in text
    for role in (
        "Focal point",
        "Central authority for mutual legal assistance",
        "Authority for extradition",
    ):
        assert f"- {role}" in text


def test_directory_updates_recur_after_a_year(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            fp = factories.focal_point(s, "CN")
            fp.last_updated_at = datetime.now(UTC) - timedelta(days=400)
        (rid,) = service.housekeeping(st)
        with db.session() as s:
            assert s.get(Request, rid).kind == "directory_update"
        assert service.housekeeping(st) == []


UNKNOWN_STEP = (
    f'base = "{DEMO_POLICY}"\n[ladders.questionnaire]\n'
    'steps = [{ name = "request", at = "open" }, { name = "reminder3", days = 28 }]\n'
)


@pytest.mark.parametrize(
    "text, needle",
    [("[ladders.questionnaire\n", "not valid TOML"), (UNKNOWN_STEP, "unknown step 'reminder3'")],
)
def test_a_broken_policy_is_a_problem_on_the_desk_not_a_crash(world, text, needle):
    app, st = world(text)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR")
            factories.request(s, "FR")
        result = service.tick(st)
        with db.session() as s:
            problem = s.scalars(select(Problem)).one()
            assert _outgoing(s) == []
    assert result.plan.queued == [] and needle in problem.message and "\n" not in problem.message


def test_an_invalid_address_is_marked_and_the_alternate_written_to(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            bad = factories.focal_point(s, "FR", email="not an address")
            factories.focal_point(s, "FR", role="alternate", email="alt.fr@example.org")
            factories.request(s, "FR")
            bad_id = bad.id
        service.plan(st)
        with db.session() as s:
            (msg,) = _outgoing(s)
            assert s.get(Contact, bad_id).email_status == "invalid"
            assert "not a valid address" in s.scalars(select(Problem.message)).one()
    assert msg.to_addrs == ["alt.fr@example.org"]


def test_a_new_holiday_moves_the_planned_date(world, tmp_path):
    """Changing the policy replans the requests in progress at the next pass."""
    text = DEFAULT_POLICY.read_text()
    app, st = world(text)
    monday = datetime(2027, 2, 8, 10, tzinfo=UTC)
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR")
            r = factories.request(s, "FR", due=date(2027, 2, 23))
            r.created_at = monday
            rid = r.id
        service.plan(st, now=monday)
        with db.session() as s:
            first = s.get(
                Request, rid
            ).next_action_at  # the due_soon step: 16 February, 09:00 in Paris
        assert first == datetime(2027, 2, 16, 8, tzinfo=UTC)
        (tmp_path / "policy.toml").write_text(
            text.replace("holidays = [", 'holidays = ["2027-02-16", ')
        )
        service.plan(st, now=monday + timedelta(hours=1))
        with db.session() as s:
            assert s.get(Request, rid).next_action_at == datetime(2027, 2, 17, 8, tzinfo=UTC)
            assert [
                e.action
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "policy.applied"))
            ] == ["policy.applied", "policy.applied"]


@pytest.mark.parametrize("code", ["EG", "CN", "KE", "FR", "RU", "MX"])
def test_letters_and_digests_are_small_plain_and_narrow_in_every_language(world, code):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, code)
            factories.focal_point(s, code, email=f"other.{code.lower()}@example.org", name="Other")
            factories.request(s, code)
            for kind in ("questionnaire", "directory_update", "technical_assistance"):
                other = s.scalars(select(Contact).where(Contact.name == "Other")).one()
                factories.request(s, code, kind=kind, contact=other)
        service.plan(st)
        with db.session() as s:
            rows = _outgoing(s)
    assert sorted(m.kind for m in rows) == ["digest", "reminder"]
    for m in rows:
        email = message_from_bytes(m.raw, policy=policy.default)
        text = email.get_body(("plain",)).get_content()
        for line in text.splitlines():
            assert len(line) <= (39 if _WIDE.search(line) else 78), line
            if "http" in line:
                assert line.startswith("http") and len(line) <= 78  # a link alone on its line
        assert len(m.raw) <= 8 * 1024
        assert email["Content-Language"] == factories.STATES[code][1]
        assert not {p.get_content_type() for p in email.walk()} - {
            "multipart/alternative",
            "text/plain",
            "text/html",
        }


def test_a_digest_shows_in_the_correspondence_and_counts_of_every_request_it_carries(world):
    from bot.requests import correspondence, message_counts

    app, st = world()
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "MX")
            ids = [
                factories.request(s, "MX", kind=k).id for k in ("questionnaire", "clarification")
            ]
        service.plan(st)
        with db.session() as s:
            (digest,) = _outgoing(s)
            for rid in ids:
                assert [m.id for m in correspondence(s, rid)] == [digest.id]
            assert message_counts(s, ids) == {rid: {"in": 0, "out": 1} for rid in ids}


def test_a_letter_that_cannot_be_composed_is_the_only_one_lost(world, monkeypatch):
    from bot.outbound import letters

    app, st = world()
    with app.app_context():
        with db.session() as s:
            codes = ("FR", "KE", "MX")
            for code in codes:
                factories.focal_point(s, code)
            rids = {code: factories.request(s, code).id for code in codes}
        real = letters.render_letter

        def render(kind, step, context, languages):
            if context("en")["tag"] == f"[FB-{rids['KE']}]":
                raise RuntimeError("a template fails for this one")
            return real(kind, step, context, languages)

        monkeypatch.setattr(letters, "render_letter", render)
        result = service.plan(st)
        with db.session() as s:
            written = {m.request_id for m in _outgoing(s)}
            ke = s.get(Request, rids["KE"])
            ke_items = s.scalars(select(OutboxItem).where(OutboxItem.request_id == ke.id)).all()
            assert audit.verify(s).ok
    assert written == {rids["FR"], rids["MX"]} and len(result.queued) == 2
    assert ke_items == [] and result.problems == [
        f"requests [{rids['KE']}]: a template fails for this one"
    ]


def test_a_step_another_planner_wrote_first_is_passed_over_and_the_rest_written(world):
    app, st = world()
    with app.app_context():
        with db.session() as s:
            for code in ("FR", "KE"):
                factories.focal_point(s, code)
            fr, ke = factories.request(s, "FR"), factories.request(s, "KE")
            other = Message(
                direction="out", delivery="queued", raw=b"x", request_id=fr.id, step="request"
            )
            s.add(other)
            s.flush()
            s.add(OutboxItem(message_id=other.id, request_id=fr.id, step="request"))
            ke_id, other_id = ke.id, other.id
        result = service.plan(st)
        with db.session() as s:
            written = [m.request_id for m in _outgoing(s) if m.id != other_id]
            assert audit.verify(s).ok
    assert written == [ke_id] and len(result.queued) == 1 and result.problems == []
