"""The API's JSON: one function per resource, with stable field names.

Never in it: message bodies (raw source or text), reply tokens, form links, password or key
hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..model import Attachment, Contact, Message, Request, State
from ..policy.next_action import next_action
from .campaigns import Campaign


def when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def state(s: State) -> dict[str, Any]:
    return {
        "code": s.code,
        "names": dict(s.names or {}),
        "un_group": s.un_group,
        "language": s.language,
        "timezone": s.timezone,
        "weekend": [d for d in (s.weekend or "").split(",") if d],
        "directory_updated_at": when(s.directory_updated_at),
        "instruments": [
            {"instrument": p.instrument_code, "status": p.status}
            for p in sorted(s.participation, key=lambda p: p.instrument_code)
        ],
    }


def contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "state": c.state_code,
        "role": c.role,
        "instrument": c.instrument_code,
        "name": c.name,
        "title": c.title,
        "organisation": c.organisation,
        "emails": list(c.emails or []),
        "phone": c.phone,
        "fax": c.fax,
        "address": c.address,
        "languages": list(c.languages or []),
        "office_hours": c.office_hours,
        "access": c.access,
        "email_status": c.email_status,
        "away_until": when(c.away_until),
        "left_at": when(c.left_at),
        "successor_id": c.successor_id,
        "last_updated_at": when(c.last_updated_at),
    }


def request(r: Request, counts: dict[str, int], today: date) -> dict[str, Any]:
    action = next_action(
        status=r.status,
        paused=r.paused,
        snoozed_until=r.snoozed_until,
        hold_until=r.hold_until,
        next_step=r.next_step,
        next_action_at=r.next_action_at,
        plan_note=r.plan_note,
        today=today,
    )
    return {
        "id": r.id,
        "reference": r.tag.strip("[]"),
        "state": r.state_code,
        "kind": r.kind,
        "instrument": r.instrument_code,
        "cycle": r.cycle,
        "subject": r.subject,
        "status": r.status,
        "due_date": when(r.due_date),
        "contact_id": r.contact_id,
        "officer_id": r.officer_id,
        "created_at": when(r.created_at),
        "answered_at": when(r.answered_at),
        "closed_at": when(r.closed_at),
        "escalated_at": when(r.escalated_at),
        "paused": r.paused,
        "snoozed_until": when(r.snoozed_until),
        "hold_until": when(r.hold_until),
        "next_action": None
        if action is None
        else {
            "step": action.step,
            "at": when(action.at),
            "held": action.held,
            "until": action.until,
        },
        "messages": {"in": counts.get("in", 0), "out": counts.get("out", 0)},
    }


def message(m: Message, attachments: list[Attachment]) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction,
        "message_id": m.message_id,
        "request_id": m.request_id,
        "state": m.state_code,
        "contact_id": m.contact_id,
        "step": m.step,
        "kind": m.kind,
        "subject": m.subject,
        "from": m.from_addr,
        "to": list(m.to_addrs or []),
        "language": m.language,
        "delivery": m.delivery,
        "match_method": m.match_method,
        "attempts": m.attempts,
        "sent_at": when(m.sent_at),
        "created_at": when(m.created_at),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "stored": a.stored,
            }
            for a in attachments
        ],
    }


def campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "instrument": c.instrument,
        "cycle": c.cycle,
        "due_date": c.due,
        "created_at": when(c.created_at),
        "created_by": c.created_by,
        "requests": c.total,
        "answered": c.answered,
        "by_status": dict(sorted(c.by_status.items())),
        "response_rate": c.response_rate,
    }
