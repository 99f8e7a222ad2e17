"""WTForms built from a form's page, the values they give, and the directory's entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Field as FormField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from bot import LANGUAGES
from bot.directory.contacts import FIELDS as CONTACT_FIELDS
from bot.i18n import language_name
from bot.model import Contact

from .csrf import LinkForm

try:
    from wtforms.fields.choices import SelectChoice as choice  # type: ignore[attr-defined, unused-ignore]
except ImportError:  # WTForms before 3.3 takes (value, label) pairs

    def choice(value, label):
        return (value, label)


from . import dates
from .questionnaires import Field, Questionnaire, text

REQUIRED = _l("This field is required.")
REQUIRED_CHOICE = _l("Please choose at least one.")
BAD_EMAIL = _l("Please enter a valid email address, such as name@example.org.")
BAD_DATE = _l("Please enter the date as in this example: %(example)s.")
DATE_HINT = _l("For example: %(example)s")
BAD_YEAR = _l("Please enter a year as four figures, such as 2024.")
YES = _l("Yes")
NO = _l("No")
PARTLY = _l("Partly")
FILE_LABEL = _l("A document in support (optional)")
BAD_CHOICE = _l("Not a valid choice.")
BAD_CHOICES = _l("'%(value)s' is not a valid choice for this field.")

# The entry a directory update shows: the contact's fields, and its office hours.
DIRECTORY_FIELDS = (*CONTACT_FIELDS, "office_hours")
FIRST_YEAR = 1990


class LocalDateField(FormField):
    """A date written as the page's language writes it (see forms.dates); its value a date."""

    widget = TextInput()

    def __init__(self, *args, lang: str = "en", **kwargs):
        self.lang = lang
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if isinstance(self.data, date):
            return dates.show(self.data, self.lang)
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = dates.parse(text, self.lang)
        except ValueError:
            self.data = None
            raise ValueError(str(BAD_DATE) % {"example": dates.example(self.lang)}) from None


class YearField(IntegerField):
    """A year; anything but four figures is the application's message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(BAD_YEAR) from None


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _validators(spec: Field) -> list:
    if spec.type in ("multi", "languages"):
        checks: list = [InputRequired(REQUIRED_CHOICE) if spec.required else Optional()]
    else:
        checks = [InputRequired(REQUIRED) if spec.required else Optional()]
    if spec.type == "email":
        checks.append(Email(BAD_EMAIL))
    if spec.limit:
        too_long = _("This answer is too long: at most %(max)d characters.", max=spec.limit)
        checks.append(Length(max=spec.limit, message=too_long))
    if spec.type == "year":
        checks.append(NumberRange(FIRST_YEAR, date.today().year, message=BAD_YEAR))
    return checks


def _choices(spec: Field, lang: str) -> list:
    if spec.type == "languages":
        return [choice(code, language_name(code)) for code in LANGUAGES]
    if spec.type == "yes_no":
        return [choice("yes", YES), choice("no", NO)]
    if spec.type == "answer":
        return [choice("yes", YES), choice("no", NO), choice("partly", PARTLY)]
    return [choice(c.value, text(c.label, lang)) for c in spec.choices]


def _make_field(spec: Field, lang: str):
    kwargs: dict[str, Any] = {
        "label": text(spec.label, lang) or (FILE_LABEL if spec.type == "file" else ""),
        "validators": _validators(spec),
        "description": text(spec.help, lang),
    }
    if spec.type in ("textarea", "citation"):
        rows = 3 if spec.type == "citation" else 6
        return TextAreaField(**kwargs, render_kw={"rows": rows})
    if spec.type == "email":
        return EmailField(**kwargs)
    if spec.type == "date":
        hint = str(DATE_HINT) % {"example": dates.example(lang)}
        kwargs["description"] = f"{kwargs['description']} {hint}".strip()
        shown = {"dir": "ltr", "size": 12, "class": "date"}
        return LocalDateField(**kwargs, lang=lang, render_kw=shown)
    if spec.type == "year":
        return YearField(**kwargs, render_kw={"inputmode": "numeric", "size": 4})
    if spec.type == "file":
        return FileField(label=kwargs["label"], description=kwargs["description"])
    # (WTForms' stubs do not know invalid_choice_message yet)
    options: dict[str, Any] = {**kwargs, "choices": _choices(spec, lang)}
    if spec.type in ("yes_no", "answer", "choice"):
        return RadioField(**{**options, "invalid_choice_message": BAD_CHOICE})
    if spec.type in ("multi", "languages"):
        return CheckboxesField(**{**options, "invalid_choice_message": BAD_CHOICES})
    return StringField(**kwargs)


def form_class(questionnaire: Questionnaire, lang: str, fields: list[Field] | None = None):
    """A form with one field per question (of a page), labelled in ``lang``."""
    specs = questionnaire.fields if fields is None else fields
    attrs = {spec.name: _make_field(spec, lang) for spec in specs}
    return type(f"{questionnaire.kind.title().replace('_', '')}Form", (LinkForm,), attrs)


def form_data(fields: list[Field], data: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as the fields take them (dates as dates)."""
    values: dict[str, Any] = {}
    for spec in fields:
        value = data.get(spec.name)
        if value in (None, "") or spec.type == "file":
            continue
        if spec.type == "date":
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                continue
        values[spec.name] = value
    return values


def value_of(spec: Field, raw: Any) -> Any:
    """A field's value as stored: dates as ISO strings, text stripped, lists as lists."""
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str):
        return raw.replace("\r\n", "\n").strip()
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return "" if raw is None else raw


def prefill(contact: Contact | None) -> dict[str, Any]:
    """A contact's current details, as the directory-update form shows them."""
    if contact is None:
        return {}
    values = {name: getattr(contact, name) for name in DIRECTORY_FIELDS}
    values["emails"] = "\n".join(contact.emails or [])
    values["languages"] = list(contact.languages or [])
    return values


def directory_changes(data: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    """The entry as sent: emails as a list, the contact's id, and ``changes`` (old and new of
    each field that differs) or ``confirm`` when nothing does."""
    proposed = dict(data)
    proposed["emails"] = [
        line.strip() for line in str(data.get("emails", "")).splitlines() if line.strip()
    ]
    current = prefill(contact)
    current["emails"] = list(contact.emails or []) if contact else []
    changes = {
        n: {"old": current.get(n), "new": proposed[n]}
        for n in DIRECTORY_FIELDS
        if n in proposed and proposed[n] != current.get(n)
    }
    proposed["changed"] = list(changes)
    proposed["contact_id"] = contact.id if contact else None
    if changes:
        proposed["changes"] = changes
    else:
        proposed["confirm"] = True
    return proposed


def submitted_by(data: dict[str, Any], questionnaire: Questionnaire) -> str:
    """The first email address typed in the form, else 'form'."""
    for spec in questionnaire.fields:
        if spec.type == "email" and data.get(spec.name):
            return str(data[spec.name])
    return "form"
