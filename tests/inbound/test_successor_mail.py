"""A successor named by email, in any of the six languages, becomes a proposal for the desk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import db
from bot.inbound.ingest import ingest
from bot.inbound.successor import find_successor
from bot.model import Contact, SuccessorProposal

from .factories import france_with_request, reply

NAMED = {
    "en": (
        "Dear colleagues,\n\nI have left this post; my successor is Ms. Jane Doe "
        "<jane.doe@justice.example.org>.\n\nBest regards",
        "Ms. Jane Doe",
        "jane.doe@justice.example.org",
    ),
    "fr": (
        "Bonjour,\n\nJ'ai quitté ce poste le 1er mars. Mon successeur est M. Paul Durand "
        "(paul.durand@justice.gouv.fr).\n\nCordialement,\nJean Dupont",
        "M. Paul Durand",
        "paul.durand@justice.gouv.fr",
    ),
    "es": (
        "Estimados colegas:\nHe dejado este puesto; mi sucesora es Ana López, "
        "ana.lopez@mj.gob.mx\nAtentamente",
        "Ana López",
        "ana.lopez@mj.gob.mx",
    ),
    "ru": (
        "Уважаемые коллеги!\nЯ покинул эту должность; мой преемник — Иван Петров "
        "<i.petrov@mvd.example.ru>.\nС уважением",
        "Иван Петров",
        "i.petrov@mvd.example.ru",
    ),
    "zh": (
        "您好：\n我已离任。我的继任者是王芳（wang.fang@mps.example.cn）。\n此致",
        "王芳",
        "wang.fang@mps.example.cn",
    ),
    "ar": (
        "السادة الزملاء،\nلقد تركت هذا المنصب؛ "
        "خلفي هو أحمد علي <ahmed.ali@moj.example.eg>\nمع التحية",
        "أحمد علي",
        "ahmed.ali@moj.example.eg",
    ),
}


@pytest.mark.parametrize("lang", sorted(NAMED))
def test_it_finds_the_successor_named_in_each_language(lang):
    body, name, email = NAMED[lang]
    assert find_successor(body) == {"name": name, "email": email}


@pytest.mark.parametrize(
    "body",
    [
        "The law was replaced by a new one in 2020. Contact: registry@justice.example.org",
        "Mon adresse reste jean.dupont@justice.gouv.fr; la loi a été remplacée.",
        "My successor will be appointed next month.",  # no address: nothing to propose
    ],
)
def test_it_proposes_nothing_from_an_ordinary_reply(body):
    assert find_successor(body) is None


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_successor_named_by_email_waits_for_approval(app, settings, lang):
    fr = france_with_request()
    body, name, email = NAMED[lang]
    result = ingest(reply(token=fr["token"], body=body), source="test", settings=settings)
    assert result.outcome == "processed"
    with db.session() as s:
        (proposal,) = s.scalars(select(SuccessorProposal)).all()
        assert (proposal.name, proposal.email, proposal.source) == (name, email, "email")
        assert proposal.status == "pending" and proposal.contact_id == fr["contact_id"]
        assert proposal.request_id == fr["request_id"] and proposal.message_id == result.message_pk
        assert s.get(Contact, fr["contact_id"]).left_at is None  # only a proposal


def test_a_stranger_naming_a_successor_proposes_nothing(app, settings):
    fr = france_with_request()
    body = NAMED["en"][0]
    ingest(
        reply(token=fr["token"], body=body, sender="someone@elsewhere.example.com"),
        source="test",
        settings=settings,
    )
    with db.session() as s:
        assert s.scalars(select(SuccessorProposal)).all() == []
