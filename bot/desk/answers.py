"""An answer as an officer reads it: each question's label in the officer's language, each
choice by its label, from the kind's or the reporting cycle's definition (bot/data/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms import questionnaires
from forms.drafts import summary

from ..model import Contact, Request, Submission
from .triage_views import FIELD_LABELS

# What an emailed answer holds besides the form's own fields (bot/inbound/submit.py).
EMAIL_KEYS = {
    "text": _l("Text of the reply"),
    "confirm": _l("The directory entry is confirmed"),
    "contact": _l("Contact"),
    "changes": _l("Changes to the directory entry"),
    "attachments": _l("Files received"),
}


@dataclass(frozen=True)
class Answer:
    label: str
    value: str
    follow_up: bool = False


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return "" if value is None else str(value)


def _email_line(key: str, value: Any, contacts: dict[int, Contact]) -> Answer:
    if key == "contact":
        contact = contacts.get(value) if isinstance(value, int) else None
        return Answer(str(EMAIL_KEYS[key]), contact.name if contact else _plain(value))
    if key == "changes" and isinstance(value, dict):
        shown = [
            f"{FIELD_LABELS.get(name, name)}: {_plain(change.get('old'))} → "
            f"{_plain(change.get('new'))}"
            for name, change in value.items()
            if isinstance(change, dict)
        ]
        return Answer(str(EMAIL_KEYS[key]), "\n".join(shown))
    if key == "attachments" and isinstance(value, list):
        names = [
            f"{f.get('filename', '')} ({f.get('size', 0)} B)" for f in value if isinstance(f, dict)
        ]
        return Answer(str(EMAIL_KEYS[key]), "\n".join(names))
    return Answer(str(EMAIL_KEYS.get(key, key)), _plain(value))


def lines(
    req: Request, submission: Submission, lang: str, contacts: dict[int, Contact]
) -> list[Answer]:
    """The answered questions of ``submission``, in the order of the form."""
    data = submission.data or {}
    found: list[Answer] = []
    known: set[str] = set()
    try:
        q = questionnaires.for_request(req)
    except questionnaires.QuestionnaireError:
        q = None
    if q is not None:
        for _index, _title, page_lines in summary(q, data, lang):
            for line in page_lines:
                known.add(line.name)
                found.append(Answer(line.label, line.value, line.follow_up))
        known.update(spec.name for spec in q.fields)
    for key, value in data.items():
        if key not in known and value not in (None, "", [], {}):
            found.append(_email_line(key, value, contacts))
    return found
