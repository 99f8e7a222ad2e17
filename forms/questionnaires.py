"""The form of each request kind, read from data files, in pages of fields.

A kind's file (``bot/data/kinds/<kind>.toml``, see ``bot.kinds``) gives its
fields, as ``[[fields]]`` (one page) or ``[[pages]]`` each with its title and
``[[pages.fields]]``. The questionnaire of a reporting cycle is read from
``bot/data/cycles/<instrument>-<cycle>.toml``: pages by article, each with its
questions (``[[pages.questions]]``), whose texts are in the file in the six
languages. A question is answered yes, no or partly; an answer of yes or partly
opens its follow-up (the legislation that implements it), and each question may
take a file. Any field may be shown only when another has one of some values
(``show_if``); the server decides, no script.

A page may be repeated (``repeat = "field"``): once for each value chosen in a
multiple-choice field of an earlier page, its fields named ``<value>__<name>``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot import DATA_DIR, LANGUAGES, kinds

CYCLES = DATA_DIR / "cycles"
TYPES = {
    "text",
    "textarea",
    "choice",
    "date",
    "email",
    "yes_no",
    "answer",
    "citation",
    "file",
    "multi",
    "year",
    "languages",
}
RESERVED = {
    "csrf_token",
    "data",
    "errors",
    "meta",
    "process",
    "validate",
    "populate_obj",
    "hidden_tag",
    "go",
}
MAX_LENGTH = {"text": 1000, "email": 320, "citation": 2000, "textarea": 20000}
ANSWERS = ("yes", "no", "partly")
OPENS_FOLLOW_UP = ("yes", "partly")


class QuestionnaireError(ValueError):
    """A form's data file does not describe a usable form."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    label: dict[str, str]
    help: dict[str, str]
    choices: tuple[Choice, ...] = ()
    show_if: tuple[str, tuple[str, ...]] | None = None  # (field, values that show this one)
    max_length: int = 0
    follow_up: bool = False  # shown beneath the question it follows

    @property
    def limit(self) -> int:
        return self.max_length or MAX_LENGTH.get(self.type, 0)


@dataclass(frozen=True)
class Page:
    id: str
    title: dict[str, str]
    intro: dict[str, str]
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    title: dict[str, str]
    intro: dict[str, str]
    pages: tuple[Page, ...]
    prefill: str = ""  # "contact": the form opens with the contact's entry
    shows_subject: bool = False  # the request's subject (the question asked) is shown
    source: str = ""  # the data file it was read from
    by_name: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for page in self.pages for f in page.fields)

    def visible(self, spec: Field, data: dict[str, Any]) -> bool:
        """Whether ``spec`` is asked, given the answers so far (its parents' included)."""
        seen: set[str] = set()
        while spec.show_if is not None and spec.name not in seen:
            seen.add(spec.name)
            parent, values = spec.show_if
            answer = data.get(parent)
            chosen = answer if isinstance(answer, list) else [answer]
            if not any(v in values for v in chosen):
                return False
            spec = self.by_name[parent]
        return True

    def page_fields(self, index: int, data: dict[str, Any]) -> list[Field]:
        return [f for f in self.pages[index].fields if self.visible(f, data)]

    def asked_pages(self, data: dict[str, Any]) -> list[int]:
        """The pages with at least one question to ask, given the answers so far."""
        return [n for n in range(len(self.pages)) if self.page_fields(n, data)]


def text(texts: dict[str, str], lang: str) -> str:
    """The text in ``lang``, else in English."""
    return texts.get(lang) or texts.get("en", "")


def _texts(where: str, value: object, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise QuestionnaireError(f"{where}: expected a table of texts by language")
    missing = [lang for lang in LANGUAGES if not value.get(lang)]
    if missing:
        raise QuestionnaireError(f"{where}: missing in {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def _show_if(where: str, raw: object, prefix: str = "") -> tuple[str, tuple[str, ...]] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw.get("field") or not raw.get("values"):
        raise QuestionnaireError(f"{where}: show_if needs a field and its values")
    return prefix + str(raw["field"]), tuple(str(v) for v in raw["values"])


def _field(where: str, raw: dict, *, prefix: str = "", show_if=None) -> Field:
    name = prefix + str(raw.get("name", ""))
    where = f"{where} field {name or '?'}"
    if not name.isidentifier() or name in RESERVED or name.startswith("_"):
        raise QuestionnaireError(f"{where}: unusable field name")
    if raw.get("type") not in TYPES:
        raise QuestionnaireError(f"{where}: type must be one of {', '.join(sorted(TYPES))}")
    choices = tuple(
        Choice(
            str(c["value"]),
            _texts(f"{where} choice {c.get('value')}", c.get("label"), required=True),
        )
        for c in raw.get("choices", [])
    )
    if raw["type"] in ("choice", "multi") and not choices:
        raise QuestionnaireError(f"{where}: a choice field needs choices")
    return Field(
        name=name,
        type=raw["type"],
        required=bool(raw.get("required", False)),
        label=_texts(f"{where} label", raw.get("label"), required=True),
        help=_texts(f"{where} help", raw.get("help"), required=False),
        choices=choices,
        show_if=show_if or _show_if(where, raw.get("show_if")),
        max_length=int(raw.get("max_length", 0)),
        follow_up=bool(raw.get("follow_up", False)),
    )


def _question(where: str, raw: dict, follow_up: dict[str, str]) -> list[Field]:
    """A cycle's question: its answer, its follow-up, its file."""
    qid = str(raw.get("id", ""))
    where = f"{where} question {qid or '?'}"
    qtype = str(raw.get("type", "answer"))
    if qtype not in ("answer", "textarea", "citation", "text"):
        raise QuestionnaireError(f"{where}: a question is answer, text, textarea or citation")
    label = {lang: raw.get(lang) for lang in LANGUAGES}
    spec = _field(
        where, {"name": qid, "type": qtype, "label": label, "required": raw.get("required")}
    )
    spec = Field(**{**spec.__dict__, "show_if": _show_if(where, raw.get("show_if"))})
    found = [spec]
    if qtype == "answer" and raw.get("follow_up", True) is not False:
        texts = raw.get("follow_up") if isinstance(raw.get("follow_up"), dict) else follow_up
        found.append(
            Field(
                name=f"{qid}_law",
                type="citation",
                required=False,
                label=_texts(f"{where} follow_up", texts, required=True),
                help={},
                show_if=(qid, OPENS_FOLLOW_UP),
                follow_up=True,
            )
        )
    if raw.get("file", qtype == "answer"):
        found.append(Field(f"{qid}_file", "file", False, {}, {}, follow_up=True))
    return found


def _repeat(where: str, raw: dict, by_name: dict[str, Field]) -> list[Page]:
    """One page per choice of the field named by ``repeat``, shown when it is chosen."""
    source = by_name.get(str(raw["repeat"]))
    if source is None or source.type != "multi":
        raise QuestionnaireError(f"{where}: repeat names no multiple-choice field before it")
    pages = []
    for choice in source.choices:
        show = (source.name, (choice.value,))
        fields = tuple(
            _field(where, f, prefix=f"{choice.value}__", show_if=show) for f in raw["fields"]
        )
        pages.append(Page(f"{raw.get('id', 'page')}-{choice.value}", choice.label, {}, fields))
    return pages


def _pages(where: str, raw: dict[str, Any]) -> tuple[Page, ...]:
    follow_up = _texts(f"{where} follow_up", raw.get("follow_up"), required=False)
    by_name: dict[str, Field] = {}
    pages: list[Page] = []
    listed = raw.get("pages") or (
        [{"id": "answers", "fields": raw["fields"]}] if raw.get("fields") else []
    )
    for n, page in enumerate(listed):
        pwhere = f"{where} page {page.get('id', n + 1)}"
        if page.get("repeat"):
            found = _repeat(pwhere, page, by_name)
        else:
            fields = [_field(pwhere, f) for f in page.get("fields", [])]
            for q in page.get("questions", []):
                fields += _question(pwhere, q, follow_up)
            title = _texts(f"{pwhere} title", page.get("title"), required=False)
            intro = _texts(f"{pwhere} intro", page.get("intro"), required=False)
            found = [Page(str(page.get("id", n + 1)), title, intro, tuple(fields))]
        for p in found:
            for f in p.fields:
                if f.name in by_name:
                    raise QuestionnaireError(f"{where}: {f.name} is named twice")
                by_name[f.name] = f
        pages += found
    if not by_name:
        raise QuestionnaireError(f"{where}: no fields")
    for f in by_name.values():
        if f.show_if and f.show_if[0] not in by_name:
            raise QuestionnaireError(f"{where}: {f.name} is shown by a field that is not there")
    return tuple(pages)


def _questionnaire(kind: str, where: str, raw: dict[str, Any], **extra) -> Questionnaire:
    pages = _pages(where, raw)
    return Questionnaire(
        kind=kind,
        title=_texts(f"{where} title", raw.get("title"), required=True),
        intro=_texts(f"{where} intro", raw.get("intro"), required=False),
        pages=pages,
        prefill=str(raw.get("prefill", "")),
        shows_subject=bool(raw.get("shows_subject", False)),
        source=where,
        by_name={f.name: f for page in pages for f in page.fields},
        **extra,
    )


@lru_cache
def cycle(name: str) -> Questionnaire:
    """The questionnaire of a reporting cycle, e.g. ``untoc-2027``."""
    path = CYCLES / f"{name}.toml"
    if not name.replace("-", "_").isidentifier() or not path.is_file():
        raise QuestionnaireError(f"no cycle definition {name!r}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return _questionnaire("questionnaire", path.name, raw)


def cycle_names() -> list[str]:
    return sorted(p.stem for p in CYCLES.glob("*.toml"))


@lru_cache
def load(kind: str) -> Questionnaire:
    """The form of ``kind`` (for a questionnaire, its default cycle)."""
    try:
        definition = kinds.get(kind)
    except kinds.KindError as error:
        raise QuestionnaireError(str(error)) from None
    if definition.form == "cycle":
        return cycle(definition.cycle)
    return _questionnaire(kind, f"{kind}.toml", definition.raw)


def for_request(request: Any) -> Questionnaire:
    """The form a request asks to be filled: its kind's, or its own cycle's."""
    definition = kinds.for_request(request)
    if definition.form == "cycle":
        own = f"{(request.instrument_code or '').lower()}-{request.cycle}".strip("-")
        if own in cycle_names():
            return cycle(own)
    return load(definition.name)
