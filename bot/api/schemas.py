"""The JSON Schemas of the read API's resources, as its OpenAPI document gives them."""

from __future__ import annotations

from typing import Any


def s(kind: str | list[str], **more: Any) -> dict[str, Any]:
    """A schema of one JSON type (or several, e.g. ``["string", "null"]``)."""
    return {"type": kind, **more}


STR = s("string")
NSTR = s(["string", "null"])
NINT = s(["integer", "null"])
STAMP = s(["string", "null"], format="date-time")
DAY = s(["string", "null"], format="date")


def obj(props: dict[str, Any]) -> dict[str, Any]:
    """An object that has every one of these fields and no other."""
    return {
        "type": "object",
        "required": sorted(props),
        "properties": props,
        "additionalProperties": False,
    }


SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": STR, "message": STR}),
    "Index": obj(
        {
            k: s("string", format="uri")
            for k in ("openapi", "states", "contacts", "requests", "messages", "campaigns")
        }
    ),
    "State": obj(
        {
            "code": s("string", pattern="^[A-Z]{2}$"),
            "names": s("object", additionalProperties=STR),
            "un_group": STR,
            "language": STR,
            "timezone": STR,
            "weekend": s("array", items=STR),
            "directory_updated_at": STAMP,
            "instruments": s("array", items=obj({"instrument": STR, "status": STR})),
        }
    ),
    "Contact": obj(
        {
            "id": s("integer"),
            "state": STR,
            "role": STR,
            "instrument": NSTR,
            "name": STR,
            "title": STR,
            "organisation": STR,
            "emails": s("array", items=STR),
            "phone": STR,
            "fax": STR,
            "address": STR,
            "languages": s("array", items=STR),
            "office_hours": STR,
            "access": s("string", enum=["public", "restricted"]),
            "email_status": STR,
            "away_until": DAY,
            "left_at": STAMP,
            "successor_id": NINT,
            "last_updated_at": STAMP,
        }
    ),
    "NextAction": obj(
        {
            "step": NSTR,
            "at": STAMP,
            "held": s(["string", "null"]),
            "until": NSTR,
        }
    ),
    "Request": obj(
        {
            "id": s("integer"),
            "reference": STR,
            "state": STR,
            "kind": STR,
            "instrument": NSTR,
            "cycle": STR,
            "subject": STR,
            "status": s("string", enum=["open", "answered", "closed", "waived"]),
            "due_date": s("string", format="date"),
            "contact_id": NINT,
            "officer_id": NINT,
            "created_at": STAMP,
            "answered_at": STAMP,
            "closed_at": STAMP,
            "escalated_at": STAMP,
            "paused": s("boolean"),
            "snoozed_until": DAY,
            "hold_until": DAY,
            "next_action": {"oneOf": [{"$ref": "#/components/schemas/NextAction"}, s("null")]},
            "messages": obj({"in": s("integer"), "out": s("integer")}),
        }
    ),
    "Attachment": obj(
        {"filename": STR, "content_type": STR, "size": s("integer"), "stored": s("boolean")}
    ),
    "Message": obj(
        {
            "id": s("integer"),
            "direction": s("string", enum=["in", "out"]),
            "message_id": NSTR,
            "request_id": NINT,
            "state": NSTR,
            "contact_id": NINT,
            "step": NSTR,
            "kind": NSTR,
            "subject": STR,
            "from": STR,
            "to": s("array", items=STR),
            "language": NSTR,
            "delivery": STR,
            "match_method": NSTR,
            "attempts": s("integer"),
            "sent_at": STAMP,
            "created_at": STAMP,
            "attachments": s("array", items={"$ref": "#/components/schemas/Attachment"}),
        }
    ),
    "Campaign": obj(
        {
            "id": s("integer"),
            "kind": STR,
            "instrument": NSTR,
            "cycle": STR,
            "due_date": STR,
            "created_at": STAMP,
            "created_by": STR,
            "requests": s("integer"),
            "answered": s("integer"),
            "by_status": s("object", additionalProperties=s("integer")),
            "response_rate": s(["number", "null"], minimum=0, maximum=1),
        }
    ),
}


def page_of(name: str) -> dict[str, Any]:
    return obj(
        {
            "data": s("array", items={"$ref": f"#/components/schemas/{name}"}),
            "next": s(["string", "null"], format="uri"),
        }
    )
