"""Readable names for the codes stored in the model."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = {
    "focal_point": _l("Focal point"),
    "mla": _l("Central authority for mutual legal assistance"),
    "extradition": _l("Authority for extradition"),
    "transfer": _l("Authority for the transfer of sentenced persons"),
    "som_8_6": _l("Authority under article 8, paragraph 6, of the Smuggling of Migrants Protocol"),
    "alternate": _l("Alternate focal point"),
    "mission": _l("Permanent mission"),
}

KINDS = {
    "questionnaire": _l("Questionnaire"),
    "directory_update": _l("Update of the online directory"),
    "clarification": _l("Request for clarification"),
    "technical_assistance": _l("Technical assistance"),
}

STATUSES = {
    "open": _l("open"),
    "answered": _l("answered"),
    "closed": _l("closed"),
    "waived": _l("waived"),
}

DIRECTIONS = {"in": _l("received"), "out": _l("sent")}

ACCESS = {"public": _l("public"), "restricted": _l("restricted")}


def label(table: dict, code: str | None) -> str:
    """The readable name of ``code``, or the code itself when unknown."""
    if code is None:
        return ""
    return str(table.get(code, code))
