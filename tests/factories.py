"""Builders for rows the tests need, named after the people they stand for."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from bot.model import Contact, Instrument, State
from bot.requests import open_request

STATES = {
    "FR": ("France", "fr", "Europe/Paris", "WEOG"),
    "EG": ("Egypt", "ar", "Africa/Cairo", "AFR"),
    "CN": ("China", "zh", "Asia/Shanghai", "APG"),
    "RU": ("Russian Federation", "ru", "Europe/Moscow", "EEG"),
    "MX": ("Mexico", "es", "America/Mexico_City", "GRULAC"),
    "KE": ("Kenya", "en", "Africa/Nairobi", "AFR"),
}


def state(s: Session, code: str = "FR") -> State:
    existing = s.get(State, code)
    if existing:
        return existing
    name, lang, tz, group = STATES[code]
    st = State(code=code, names={"en": name}, un_group=group, language=lang, timezone=tz)
    s.add(st)
    s.flush()
    return st


def instrument(s: Session, code: str = "UNTOC") -> Instrument:
    existing = s.get(Instrument, code)
    if existing:
        return existing
    inst = Instrument(
        code=code, names={"en": "United Nations Convention against Transnational Organized Crime"}
    )
    s.add(inst)
    s.flush()
    return inst


def focal_point(
    s: Session, code: str = "FR", *, email: str | None = None, role: str = "focal_point", **kw
) -> Contact:
    st = state(s, code)
    c = Contact(
        state=st,
        role=role,
        name=kw.pop("name", f"Focal point {code}"),
        emails=[email or f"fp.{code.lower()}@example.org"],
        languages=kw.pop("languages", [st.language]),
        **kw,
    )
    s.add(c)
    s.flush()
    return c


def request(
    s: Session, code: str = "FR", *, kind: str = "questionnaire", due: date | None = None, **kw
):
    st = state(s, code)
    instrument(s)
    return open_request(
        s,
        st,
        kind,
        due or date.today() + timedelta(days=30),
        instrument_code=kw.pop("instrument_code", "UNTOC"),
        cycle=kw.pop("cycle", "2026-2027"),
        **kw,
    )


def directory_updates(s: Session, code: str, n: int) -> None:
    """``n`` authorities of a State, each with an open directory update request due in 30 days."""
    st = state(s, code)
    for i in range(n):
        c = Contact(
            state=st,
            role="mla",
            name=f"Authority {code} {i}",
            emails=[f"auth{i}@{code.lower()}.example.org"],
            languages=[st.language],
        )
        s.add(c)
        s.flush()
        open_request(s, st, "directory_update", date.today() + timedelta(days=30), contact=c)
