"""Turning a person's reply into an answer to its request, the way a web form's answer is.

A clarification is answered by the text; a directory update by CONFIRM or by
corrected lines (kept as a change against the current entry, awaiting review);
a questionnaire by the filled questionnaire attached (awaiting review). The
same functions serve ingestion and the desk's triage, and a reviewer's
decision on an emailed change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .. import audit, kinds, requests
from ..directory.changes import apply_change
from ..model import Contact, Message, Request, RequestStatus, Submission, utcnow
from .answers import changes, current_entry

CLOSED = (RequestStatus.CLOSED.value, RequestStatus.WAIVED.value)


def addressee(request: Request) -> Contact | None:
    if request.contact is not None:
        return request.contact
    found = requests.recipients(request)
    return found[0] if found else None


def answered_by(request: Request) -> str:
    """What an emailed reply answers the request with (its kind's ``reply``, bot.kinds)."""
    return kinds.for_request(request).reply


def text_answered(request: Request) -> bool:
    return answered_by(request) == "text"


def answer_data(
    request: Request, text: str, answers: dict[str, Any], files: list[dict]
) -> dict[str, Any] | None:
    """What the reply answers, as Submission data, or None when it answers nothing by itself."""
    if text_answered(request):
        return {"text": text} if text else None
    if answered_by(request) == "directory":
        contact = addressee(request)
        if contact is None:
            return None
        if "fields" in answers:
            diff = changes(current_entry(contact), answers["fields"])
            if diff:
                return {"changes": diff, "contact": contact.id}
            if answers.get("quoted"):
                return None
            return {"confirm": True, "contact": contact.id}
        if answers.get("confirm"):
            return {"confirm": True, "contact": contact.id}
        return None
    if answered_by(request) == "attachments":
        kept = [f for f in files if not f.get("refused")]
        if kept:
            return {"attachments": kept, "text": text} if text else {"attachments": kept}
    return None


def record_answer(
    session: Session,
    message: Message,
    request: Request,
    text: str,
    answers: dict[str, Any],
    files: list[dict],
    *,
    actor: str,
    stands: bool,
) -> Submission | None:
    """Record the reply as an answer to ``request`` when it is one.

    With ``stands`` (see ``evidence.weigh``) the request is marked answered and a
    text answer is accepted; without, the answer waits for an officer's review
    and the request is only paused.
    """
    if request.status in CLOSED:
        return None
    data = answer_data(request, text, answers, files)
    if data is None:
        return None
    review = "accepted" if stands and text_answered(request) else "pending"
    return requests.record_submission(
        session,
        request,
        data,
        source="email",
        submitted_by=message.from_addr,
        message=message,
        language=message.language,
        actor=actor,
        review=review,
        answered=stands,
    )


def review(session: Session, submission: Submission, accept: bool, *, actor: str) -> list[str]:
    """Accept (apply a directory change) or reject an emailed answer; the fields changed."""
    if submission.review != "pending":
        raise ValueError(f"this answer was already {submission.review}")
    applied: list[str] = []
    now = utcnow()
    if accept:
        contact_id = submission.data.get("contact") or submission.data.get("contact_id")
        contact = session.get(Contact, contact_id) if contact_id else None
        if contact is not None and ("changes" in submission.data or submission.data.get("confirm")):
            applied = apply_change(
                session,
                contact,
                {
                    field: _stored(field, change["new"], submission.source)
                    for field, change in (submission.data.get("changes") or {}).items()
                },
                actor=actor,
                source=submission.source,
                by_state=True,
                submission_id=submission.id,
                message_id=submission.message_id,
                now=now,
                approved_by=actor,
            )
    submission.review = "accepted" if accept else "rejected"
    request = session.get(Request, submission.request_id)
    if accept and request is not None and request.status == RequestStatus.OPEN.value:
        requests.mark_answered(session, request, actor=actor, reason="answer accepted on review")
    submission.reviewed_by = actor
    submission.reviewed_at = now
    audit.record(
        session,
        "submission.reviewed",
        submission,
        actor=actor,
        request=submission.request_id,
        review=submission.review,
        applied=applied,
        contact=submission.data.get("contact"),
    )
    return applied


def _stored(field: str, value: Any, source: str) -> Any:
    if source == "form":  # the form's values are stored as they are
        return value
    if field == "emails":
        return list(value)
    if field == "address":
        return "\n".join(part.strip() for part in str(value).split(",") if part.strip())
    return str(value)
