"""Reply as the focal point: the local mode's way to try the whole loop without a mail server."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit, tokens
from ..db import get_session
from ..folders import FolderError
from ..model import Message, OutboxItem, Request
from ..requests import recipients
from .blueprint import bp
from .deskforms import SimulatedReplyForm
from .simulate import build_reply, deliver


def _outbound(message_id: int) -> tuple[Message, list[Request]]:
    """An outgoing message and the requests it is about (one, or those a digest carried)."""
    settings = current_app.config["FOCALBOT"]
    if settings.imap is not None:
        abort(404)
    session = get_session()
    message = session.get(Message, message_id)
    if message is None or message.direction != "out":
        abort(404)
    if message.request is not None:
        return message, [message.request]
    carried = list(
        session.scalars(
            select(Request)
            .join(OutboxItem, OutboxItem.request_id == Request.id)
            .where(OutboxItem.message_id == message.id)
            .order_by(OutboxItem.id)
        ).unique()
    )
    if not carried:
        abort(404)
    return message, carried


def _sender(message: Message, about: list[Request]):
    contact = message.contact
    if contact is None or not contact.emails:
        found = recipients(about[0])
        contact = found[0] if found else None
    return contact


@bp.route("/messages/<int:message_id>/reply", methods=["GET", "POST"])
def simulated_reply(message_id: int):
    message, about = _outbound(message_id)
    contact = _sender(message, about)
    form = SimulatedReplyForm()
    if contact is None:
        flash(_("This request has no contact with an email address to reply from."), "error")
    elif form.validate_on_submit():
        settings = current_app.config["FOCALBOT"]
        try:
            reply = build_reply(
                message.raw,
                subject=message.subject,
                message_id=message.message_id,
                from_name=contact.name,
                from_addr=contact.emails[0],
                fallback_to=tokens.reply_address(
                    message.token or about[0].token, settings.reply_address
                ),
                text=form.text.data or "",
            )
            key = deliver(settings.local_maildir, reply)
        except FolderError as exc:
            flash(
                _("The reply could not be put in the local mailbox: %(reason)s", reason=str(exc)),
                "error",
            )
            return render_template(
                "desk/reply.html", message=message, about=about, contact=contact, form=form
            )
        session = get_session()
        audit.record(
            session,
            "desk.simulated_reply",
            message,
            actor=current_user.email,
            request=about[0].id,
            requests=[r.id for r in about],
            message_id=str(reply["Message-ID"]),
            maildir_key=key,
        )
        session.commit()
        flash(
            _(
                "The reply was put in the local mailbox. It appears here after the next "
                "mailbox poll."
            ),
            "info",
        )
        return redirect(url_for("desk.request_detail", request_id=about[0].id), 303)
    return render_template(
        "desk/reply.html", message=message, about=about, contact=contact, form=form
    )
