"""Drafts: a form's answers saved at each page, resumed from the same link anywhere.

One draft per request and contact. It starts from the last answers sent (a
correction) or, for a directory update, from the contact's entry; each page
submitted merges its valid answers into it. The final submit stores what is
asked (the fields shown, given the answers) and removes the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.i18n import language_name
from bot.model import Contact, Draft, Request, Submission, utcnow

from . import build
from .questionnaires import Field, Questionnaire, text


def find(session: Session, request: Request, contact: Contact | None) -> Draft | None:
    contact_id = contact.id if contact else None
    condition = Draft.contact_id.is_(None) if contact_id is None else Draft.contact_id == contact_id
    found = select(Draft).where(Draft.request_id == request.id, condition)
    return session.scalar(found.order_by(Draft.id).limit(1))


def last_submission(session: Session, request: Request) -> Submission | None:
    return session.scalar(
        select(Submission)
        .where(Submission.request_id == request.id, Submission.source == "form")
        .order_by(Submission.version.desc(), Submission.id.desc())
        .limit(1)
    )


def initial(
    session: Session, request: Request, contact: Contact | None, q: Questionnaire
) -> dict[str, Any]:
    """What a new draft starts from: the last answers sent, over them the contact's entry."""
    data: dict[str, Any] = {}
    last = last_submission(session, request)
    if last is not None:
        data = {k: v for k, v in last.data.items() if k in q.by_name}
        if isinstance(data.get("emails"), list):
            data["emails"] = "\n".join(data["emails"])
    if q.prefill == "contact":
        data.update(build.prefill(contact))
    return data


def start(
    session: Session, request: Request, contact: Contact | None, q: Questionnaire, lang: str
) -> Draft:
    draft = Draft(
        request_id=request.id,
        contact_id=contact.id if contact else None,
        page=0,
        data=initial(session, request, contact, q),
        language=lang,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:  # another browser started it a moment ago: resume that one
        found = find(session, request, contact)
        if found is None:
            raise
        return found
    return draft


def save(draft: Draft, values: dict[str, Any], page: int, lang: str) -> None:
    draft.data = {**draft.data, **values}
    flag_modified(draft, "data")
    draft.page, draft.language, draft.updated_at = page, lang, utcnow()


def asked(q: Questionnaire, data: dict[str, Any]) -> list[Field]:
    """The fields asked, given the answers: a hidden follow-up is not."""
    return [f for f in q.fields if q.visible(f, data)]


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def final_data(q: Questionnaire, data: dict[str, Any]) -> dict[str, Any]:
    """The answers to store: those of the fields asked, empty answers left out of files only."""
    out: dict[str, Any] = {}
    for spec in asked(q, data):
        value = data.get(spec.name)
        if spec.type == "file" and _empty(value):
            continue
        out[spec.name] = "" if value is None else value
    return out


def missing(q: Questionnaire, data: dict[str, Any]) -> dict[int, list[str]]:
    """{page index: required fields asked there and not answered}."""
    found: dict[int, list[str]] = {}
    for n in range(len(q.pages)):
        names = [f.name for f in q.page_fields(n, data) if f.required and _empty(data.get(f.name))]
        if names:
            found[n] = names
    return found


@dataclass(frozen=True)
class Line:
    name: str
    label: str
    value: str
    follow_up: bool


def shown(spec: Field, value: Any, lang: str) -> str:
    """An answer as a person reads it, in ``lang``."""
    if _empty(value):
        return ""
    if spec.type == "file" and isinstance(value, dict):
        return f"{value.get('filename', '')} ({max(1, int(value.get('size', 0)) // 1024)} KB)"
    if spec.type in ("yes_no", "answer"):
        return {"yes": _("Yes"), "no": _("No"), "partly": _("Partly")}.get(str(value), str(value))
    labels = {c.value: text(c.label, lang) for c in spec.choices}
    if spec.type == "languages":
        labels = {code: language_name(code) for code in ("ar", "zh", "en", "fr", "ru", "es")}
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def summary(q: Questionnaire, data: dict[str, Any], lang: str) -> list[tuple[int, str, list[Line]]]:
    """(page index, page title, answered lines) for each page with an answer asked."""
    pages = []
    for n, page in enumerate(q.pages):
        lines = []
        for spec in q.page_fields(n, data):
            value = shown(spec, data.get(spec.name), lang)
            if value:
                label = text(spec.label, lang) or str(build.FILE_LABEL)
                lines.append(Line(spec.name, label, value, spec.follow_up))
        if lines:
            pages.append((n, text(page.title, lang) or text(q.title, lang), lines))
    return pages
