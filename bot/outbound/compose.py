"""Composing outgoing email: templates under the recipient's locale, then a
plain-text part (first) and a small HTML part derived from the same text.

Each request kind has a folder ``templates/email/<kind>/`` with ``subject.txt``
and ``body.txt``; the step of the ladder is passed to the template, which words
the letter for it. Rendering needs the Flask application context (for the
Jinja environment and Flask-Babel); building the message does not.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import Environment
from markupsafe import escape

from ..i18n import direction
from . import mime
from .salutation import addressee, clean

WIDTH = 76
_URL = re.compile(r"https?://\S+")
_WIDE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # controls but the tab
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")  # printable ASCII but < and >


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@dataclass
class Envelope:
    """Who an email goes to and how it threads."""

    mail_from: str
    to: list[tuple[str, str]]  # (display name, address)
    reply_to: str
    message_id: str
    cc: list[tuple[str, str]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def _render_one(
    kind: str, step: str, context: dict[str, Any], language: str, second: bool = False
) -> tuple[str, list[str]]:
    """Subject and paragraphs in ``language``; ``second``: the shorter second part of a
    letter in two languages (what the first part has in full, such as links, is left out)."""
    env = _mail_env(language)
    ctx = dict(context, step=step, language=language, dir=direction(language), second=second)
    with force_locale(language):
        subject = env.get_template(f"email/{kind}/subject.txt").render(ctx)
        body = env.get_template(f"email/{kind}/body.txt").render(ctx)
    return " ".join(subject.split()), split_paragraphs(body)


def _mail_env(language: str) -> Environment:
    """The app's Jinja environment for mail in ``language``: no block trimming (text mail
    keeps its blank lines) and that language's catalog bound in, made once per app and
    language, so that its templates are compiled once and a message is looked up directly."""
    envs = current_app.extensions.setdefault("focalbot.mail_jinja", {})
    env = envs.get(language)
    if env is None:
        env = current_app.jinja_env.overlay(trim_blocks=False, lstrip_blocks=False)
        env.globals = dict(env.globals, addressee=addressee)  # an overlay shares its parent's
        # the overlay's own binding of the i18n extension (``env.install_gettext_translations``
        # is the parent's, and would change the web pages' globals)
        i18n = env.extensions["jinja2.ext.InternationalizationExtension"]
        with force_locale(language):
            i18n._install(get_translations(), newstyle=True)  # type: ignore[attr-defined]
        envs[language] = env
    return env


def render_letter(
    kind: str, step: str, context: Callable[[str], dict[str, Any]], languages: Sequence[str]
) -> Rendered:
    """Render ``kind`` for ``step`` in the first language, or in two (the State's
    language, then English, for a contact who has not said which they use)."""
    langs = list(dict.fromkeys(languages))[:2] or ["en"]
    parts = [
        (lang, *_render_one(kind, step, context(lang), lang, n > 0)) for n, lang in enumerate(langs)
    ]
    subject = parts[0][1]
    if len(parts) > 1:
        tag = subject.split(" ", 1)[0] if subject.startswith("[") else ""
        subject = f"{subject} / {parts[1][1].removeprefix(tag).strip()}"
    sections = [
        {"lang": lang, "dir": direction(lang), "paragraphs": [_html_paragraph(p) for p in paras]}
        for lang, _subject, paras in parts
    ]
    html = (
        _mail_env(langs[0])
        .get_template("email/layout.html")
        .render(sections=sections, subject=subject, language=langs[0], dir=direction(langs[0]))
    )
    text = ("\n" + "-" * 40 + "\n\n").join(wrap_text(paras) for _lang, _subject, paras in parts)
    return Rendered(subject, text, html, ", ".join(langs))


def render(kind: str, step: str, context: dict[str, Any], language: str) -> Rendered:
    """Render ``kind`` for ``step`` in one language."""
    return render_letter(kind, step, lambda _lang: context, [language])


def split_paragraphs(text: str) -> list[str]:
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            paragraphs.append("\n".join(lines))
    return paragraphs


def wrap_text(paragraphs: list[str]) -> str:
    """Wrap each paragraph at WIDTH; a line holding a link stays whole and alone."""
    out = []
    for para in paragraphs:
        lines: list[str] = []
        for line in para.split("\n"):
            wide = _WIDE.search(line) is not None
            width = WIDTH // 2 if wide else WIDTH  # Chinese characters take two columns
            if _URL.search(line) or len(line) <= width:
                lines.append(line)
            else:
                lines.extend(
                    textwrap.wrap(line, width, break_long_words=wide, break_on_hyphens=False)
                )
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _html_paragraph(para: str) -> str:
    parts = []
    for line in para.split("\n"):
        safe = str(escape(line))
        safe = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', safe)
        parts.append(safe)
    return "<br>\n".join(parts)


def _header_value(value: str) -> str:
    if _HEADER_UNSAFE.search(value):
        raise ValueError("a header value contains a control character")
    return value


def literal(text: str) -> str:
    """``text`` to be read as it is, never as encoded words: the email package decodes an
    ``=?charset?q?...?=`` in the text it is given (a name could so carry a line break, or
    another header, into its header), so a word joiner (U+2060, not shown) parts ``=?``."""
    return text.replace("=?", "=\u2060?")


def _pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(display name, address) pairs for a header: a display name loses its control
    characters (it is a person's name, never a header's end) and reads as written, an
    address must have none."""
    return [(literal(clean(n)), _header_value(a)) for n, a in pairs]


def _threading(references: list[str]) -> list[str]:
    """The Message-IDs a reply refers to that are well formed: one that came in with a
    message may be anything, and what is not ``<printable ASCII>`` threads nothing."""
    return [r for r in references if _MESSAGE_ID.fullmatch(r) and "=?" not in r]


def build_bytes(rendered: Rendered, env: Envelope) -> bytes:
    """The whole RFC 5322 message, ready to store and send as it is."""
    from_name, from_addr = getaddresses([env.mail_from])[0]
    date = env.date or datetime.now().astimezone()
    headers = [
        mime.address_header("From", _pairs([(from_name, from_addr)])),
        mime.address_header("To", _pairs(env.to)),
    ]
    if env.cc:
        headers.append(mime.address_header("Cc", _pairs(env.cc)))
    headers += [
        mime.header("Reply-To", _header_value(env.reply_to)),
        mime.header("Subject", literal(_header_value(rendered.subject))),
        mime.header("Date", format_datetime(date)),
        mime.header("Message-ID", _header_value(env.message_id)),
    ]
    references = _threading(env.references)
    if references:
        headers.append(mime.header("In-Reply-To", references[-1]))
        headers.append(mime.header("References", " ".join(references)))
    headers += [
        mime.header("Auto-Submitted", "auto-generated"),
        mime.header("X-Auto-Response-Suppress", "RN, NRN, AutoReply"),
    ]
    parts = [
        mime.text_part("plain", rendered.text, _cte(rendered.text)),
        mime.text_part("html", rendered.html, _cte(rendered.html), mime_version=True),
    ]
    return mime.alternative(headers, parts, [mime.header("Content-Language", rendered.language)])


def build(rendered: Rendered, env: Envelope) -> EmailMessage:
    """The message of ``build_bytes`` as an ``EmailMessage`` (its ``as_bytes()`` is the same)."""
    message = message_from_bytes(build_bytes(rendered, env), policy=SMTP)
    assert isinstance(message, EmailMessage)
    return message


def _cte(text: str) -> str:
    """8bit is not safe for every relay; quoted-printable keeps Latin text readable,
    base64 is smaller for Arabic, Chinese and Russian: whichever is the smaller (a
    byte outside ASCII is three in quoted-printable, every byte 4/3 in base64)."""
    ascii_chars = len(text.encode("ascii", "ignore"))
    other_bytes = len(text.encode("utf-8")) - ascii_chars
    return (
        "base64"
        if ascii_chars + 3 * other_bytes > 1.37 * (ascii_chars + other_bytes)
        else "quoted-printable"
    )
