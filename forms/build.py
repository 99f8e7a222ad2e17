"""WTForms built from a questionnaire, and the answers they give."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from bot.model import Contact

try:
    from wtforms.fields.choices import SelectChoice as choice  # type: ignore[attr-defined, unused-ignore]
except ImportError:  # WTForms before 3.3 takes (value, label) pairs

    def choice(value, label):
        return (value, label)


from .questionnaires import Field, Questionnaire, text

REQUIRED = _l("This field is required.")
BAD_EMAIL = _l("Please enter a valid email address, such as name@example.org.")
BAD_DATE = _l("Please enter the date as year-month-day, such as 2025-03-31.")
YES = _l("Yes")
NO = _l("No")
TOO_LONG = _l("This answer is too long.")
# WTForms' own messages, shown through the application's catalogs.
WTFORMS_MESSAGES = (_l("Not a valid choice."),)

DIRECTORY_FIELDS = ("name", "title", "organisation", "emails", "phone", "fax", "address")


class IsoDateField(DateField):
    """A year-month-day date whose parse error is the application's message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(BAD_DATE) from None


def _validators(spec: Field) -> list:
    checks: list = [InputRequired(REQUIRED) if spec.required else Optional()]
    if spec.type == "email":
        checks.append(Email(BAD_EMAIL))
    if spec.type in ("text", "email"):
        checks.append(Length(max=1000, message=TOO_LONG))
    if spec.type == "textarea":
        checks.append(Length(max=20000, message=TOO_LONG))
    return checks


def _make_field(spec: Field, lang: str):
    label = text(spec.label, lang)
    kwargs: dict[str, Any] = {
        "label": label,
        "validators": _validators(spec),
        "description": text(spec.help, lang),
    }
    if spec.type == "textarea":
        return TextAreaField(**kwargs)
    if spec.type == "email":
        return EmailField(**kwargs)
    if spec.type == "date":
        return IsoDateField(**kwargs, format="%Y-%m-%d", render_kw={"placeholder": "2025-03-31"})
    if spec.type == "yes_no":
        return RadioField(**kwargs, choices=[choice("yes", YES), choice("no", NO)])
    if spec.type == "choice":
        return RadioField(
            **kwargs, choices=[choice(c.value, text(c.label, lang)) for c in spec.choices]
        )
    return StringField(**kwargs)


def form_class(questionnaire: Questionnaire, lang: str) -> type[FlaskForm]:
    """A FlaskForm with one field per question, labelled in ``lang``."""
    attrs = {spec.name: _make_field(spec, lang) for spec in questionnaire.fields}
    return type(f"{questionnaire.kind.title().replace('_', '')}Form", (FlaskForm,), attrs)


def prefill(contact: Contact | None) -> dict[str, Any]:
    """A contact's current details, as the directory-update form shows them."""
    if contact is None:
        return {}
    values = {name: getattr(contact, name) for name in DIRECTORY_FIELDS}
    values["emails"] = "\n".join(contact.emails or [])
    return values


def answers(form: FlaskForm, questionnaire: Questionnaire) -> dict[str, Any]:
    """The submitted values by field name: dates as ISO strings, text stripped."""
    data: dict[str, Any] = {}
    for spec in questionnaire.fields:
        value = form[spec.name].data
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, str):
            value = value.replace("\r\n", "\n").strip()
        data[spec.name] = value if value is not None else ""
    return data


def directory_changes(data: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    """Proposed changes to a contact: emails as a list, the fields that differ, the contact's id."""
    proposed = dict(data)
    proposed["emails"] = [
        line.strip() for line in str(data.get("emails", "")).splitlines() if line.strip()
    ]
    current = prefill(contact)
    current["emails"] = list(contact.emails or []) if contact else []
    proposed["changed"] = [
        n for n in DIRECTORY_FIELDS if n in proposed and proposed[n] != current.get(n)
    ]
    proposed["contact_id"] = contact.id if contact else None
    return proposed


def submitted_by(form: FlaskForm, questionnaire: Questionnaire) -> str:
    """The first email address typed in the form, else 'form'."""
    for spec in questionnaire.fields:
        if spec.type == "email" and form[spec.name].data:
            return form[spec.name].data.strip()
    return "form"
