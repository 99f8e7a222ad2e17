from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot import LANGUAGES, audit
from bot.directory import data
from bot.directory.seed import seed, seed_demo
from bot.model import AuditEvent, Contact, Instrument, Request, State, StateInstrument

TODAY = date(2025, 3, 10)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _events(session, action: str) -> list[AuditEvent]:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_it_seeds_instruments_and_states_with_counts(session):
    result = seed(session, actor="test", participation=None)
    assert (result.instruments_created, result.states_created) == (6, 195)
    assert _count(session, State) == 195
    assert session.get(Instrument, "TIP").parent_code == "UNTOC"
    [event] = _events(session, "directory.seeded")
    assert audit.data_of(event)["states_created"] == 195


def test_it_is_idempotent(session):
    seed(session, actor="test", participation=None)
    session.commit()
    again = seed(session, actor="test", participation=None)
    assert not again.changed
    assert len(_events(session, "directory.seeded")) == 1


def test_it_updates_a_changed_state_with_one_event(session):
    seed(session, actor="test", participation=None)
    session.get(State, "KE").timezone = "UTC"
    result = seed(session, actor="test", participation=None)
    assert (result.states_updated, result.states_created) == (1, 0)
    assert session.get(State, "KE").timezone == "Africa/Nairobi"
    assert len(_events(session, "directory.seeded")) == 2


def test_states_carry_names_in_six_languages(session):
    seed(session, actor="test", participation=None)
    egypt, china = session.get(State, "EG"), session.get(State, "CN")
    assert set(egypt.names) == set(LANGUAGES)
    assert egypt.name("ar") == "مصر" and china.name("zh") == "中国"
    assert egypt.name("ru") == "Египет" and china.name("fr") == "Chine"
    assert session.get(State, "PS").name("es") == "Estado de Palestina"


def test_it_loads_a_participation_file_when_present(session, tmp_path):
    path = tmp_path / "participation.csv"
    path.write_text("code,instrument,status\nKE,UNTOC,party\nKE,FIR,signatory\n")
    assert seed(session, actor="test", participation=path).participation_set == 2
    statuses = {
        (p.state_code, p.instrument_code): p.status
        for p in session.scalars(select(StateInstrument))
    }
    assert statuses == {("KE", "UNTOC"): "party", ("KE", "FIR"): "signatory"}
    assert seed(session, actor="test", participation=path).participation_set == 0


def test_a_bad_participation_file_is_refused(session, tmp_path):
    path = tmp_path / "participation.csv"
    path.write_text("code,instrument,status\nKE,UNTOC,ratified\n")
    with pytest.raises(data.DataError, match="line 2"):
        seed(session, actor="test", participation=path)


def test_no_participation_data_is_shipped():
    assert not data.PARTICIPATION_FILE.exists()


def test_demo_writes_in_all_six_languages_with_requests_due_now(session):
    result = seed_demo(session, today=TODAY, actor="test")
    assert sorted(result.languages) == sorted(LANGUAGES)
    focal_points = session.scalars(select(Contact).where(Contact.role == "focal_point")).all()
    assert sorted(c.language for c in focal_points) == sorted(LANGUAGES)
    assert all(
        c.email.endswith(("@example.org", "@example.net")) for c in session.scalars(select(Contact))
    )
    roles = {c.role for c in session.scalars(select(Contact))}
    assert {"mla", "extradition", "mission"} <= roles
    assert session.scalar(select(func.count()).where(Contact.access == "restricted")) >= 3
    due_now = session.scalars(select(Request).where(Request.due_date <= TODAY)).all()
    assert sorted(r.state.language for r in due_now) == sorted(LANGUAGES)
    later = session.scalars(select(Request).where(Request.due_date > TODAY)).all()
    assert later and min(r.due_date for r in later) <= date(2025, 3, 20)
    parties = session.scalars(select(StateInstrument)).all()
    assert {p.status for p in parties} == {"party"} and len(parties) == 24
    assert audit.verify(session).ok


def test_demo_is_idempotent(session):
    first = seed_demo(session, today=TODAY, actor="test")
    session.commit()
    events = _count(session, AuditEvent)
    second = seed_demo(session, today=date(2025, 4, 1), actor="test")
    assert first.changed and not second.changed
    assert (second.contacts_created, second.requests_opened) == (0, 0)
    assert _count(session, AuditEvent) == events
    assert _count(session, Request) == first.requests_opened


def test_a_demo_request_for_an_authority_is_addressed_to_it(session):
    seed_demo(session, today=TODAY, actor="test")
    request = session.scalar(select(Request).where(Request.kind == "clarification"))
    assert request.contact is not None and request.contact.role == "mla"
