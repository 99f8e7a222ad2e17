"""Readable names for the codes stored in the model."""

from __future__ import annotations

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from .. import kinds

ROLES = {
    "focal_point": _l("Focal point"),
    "mla": _l("Central authority for mutual legal assistance"),
    "extradition": _l("Authority for extradition"),
    "transfer": _l("Authority for the transfer of sentenced persons"),
    "som_8_6": _l("Authority under article 8, paragraph 6, of the Smuggling of Migrants Protocol"),
    "alternate": _l("Alternate focal point"),
    "mission": _l("Permanent mission"),
    "uncac_46_13": _l("Central authority under article 46, paragraph 13, of UNCAC"),
    "c1988_7_8": _l("Authority under article 7, paragraph 8, of the 1988 Convention"),
}

USER_ROLES = {
    "viewer": _l("viewer"),
    "officer": _l("officer"),
    "admin": _l("administrator"),
}

CHANGE_SOURCES = {
    "form": _l("web form"),
    "email": _l("email"),
    "desk": _l("desk"),
    "import": _l("import"),
}


def _kind_title(name: str) -> str:
    lang = str(get_locale() or "en")
    return kinds.get(name).title.get(lang) or kinds.get(name).title["en"]


# The request kinds, named as their definition files name them (bot/data/kinds/).
KINDS = {name: LazyString(_kind_title, name) for name in kinds.names()}

STATUSES = {
    "open": _l("open"),
    "answered": _l("answered"),
    "closed": _l("closed"),
    "waived": _l("waived"),
}

# The regional groups of the United Nations, as bot/data/states.csv names them.
GROUPS = {
    "AFR": _l("African States"),
    "APG": _l("Asia-Pacific States"),
    "EEG": _l("Eastern European States"),
    "GRULAC": _l("Latin American and Caribbean States"),
    "WEOG": _l("Western European and other States"),
}

# What an officer's tag says an answer shows (bot.report.FINDINGS).
FINDINGS = {
    "compliance_issue": _l("a compliance issue"),
    "difficulty": _l("a difficulty"),
}

DIRECTIONS = {"in": _l("received"), "out": _l("sent")}

ACCESS = {"public": _l("public"), "restricted": _l("restricted")}


MATCH_METHODS = {
    "token": _l("the reply address of our letter"),
    "verp": _l("the bounce address of our letter"),
    "in_reply_to": _l("a reply to our letter (In-Reply-To)"),
    "references": _l("our letter in its References"),
    "bounced_message": _l("the letter the notice returns"),
    "subject_tag": _l("the reference in the subject only"),
    "text_reference": _l("a reference in the reply's own text"),
    "quoted_history": _l("a reference in the quoted history"),
    "attachment_name": _l("a reference in an attachment's name"),
    "sender": _l("the sender's only open request"),
    "manual": _l("filed by an officer"),
}

DIGEST_METHODS = {
    "token": _l("the reply address of a digest"),
    "verp": _l("the bounce address of a digest"),
    "in_reply_to": _l("a reply to a digest (In-Reply-To)"),
    "references": _l("a digest in its References"),
    "bounced_message": _l("the digest the notice returns"),
}

DIGEST_SCOPES = {
    "named": _l("filed under the requests it names"),
    "answer": _l("filed under the request its answer is for"),
    "every": _l("filed under every request the digest carried"),
}


def match_label(code: str | None) -> str:
    """How a message was threaded, in words (``token:every``: a reply to a digest's address...)."""
    if not code:
        return ""
    method, _, scope = code.partition(":")
    if scope in DIGEST_SCOPES:
        return f"{label(DIGEST_METHODS, method)}; {DIGEST_SCOPES[scope]}"
    return label(MATCH_METHODS, method)


def label(table: dict, code: str | None) -> str:
    """The readable name of ``code``, or the code itself when unknown."""
    if code is None:
        return ""
    return str(table.get(code, code))
