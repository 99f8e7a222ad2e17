"""The audit log page."""

from __future__ import annotations

import json

from flask import render_template
from sqlalchemy import select

from .. import audit
from ..db import get_session
from ..model import AuditEvent
from .blueprint import bp

LATEST = 200


@bp.get("/audit")
def audit_log():
    session = get_session()
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(LATEST)))
    rows = [
        (ev, json.dumps(audit.data_of(ev), ensure_ascii=False, sort_keys=True)) for ev in events
    ]
    result = audit.verify(session)
    return render_template("desk/audit.html", rows=rows, result=result)
