"""Reply as the focal point: the local mode's way to try the whole loop without a mail server."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, tokens
from ..db import get_session
from ..model import Message
from ..outbound.salutation import clean
from ..requests import recipients
from .blueprint import bp
from .deskforms import SimulatedReplyForm
from .simulate import build_reply, deliver


def _outbound(message_id: int) -> Message:
    settings = current_app.config["FOCALBOT"]
    if settings.imap is not None:
        abort(404)
    message = get_session().get(Message, message_id)
    if message is None or message.direction != "out" or message.request is None:
        abort(404)
    return message


def _sender(message: Message):
    contact = message.contact
    if contact is None or not contact.emails:
        found = recipients(message.request)
        contact = found[0] if found else None
    return contact


@bp.route("/messages/<int:message_id>/reply", methods=["GET", "POST"])
def simulated_reply(message_id: int):
    message = _outbound(message_id)
    contact = _sender(message)
    form = SimulatedReplyForm()
    if contact is None:
        flash(_("This request has no contact with an email address to reply from."), "error")
    elif form.validate_on_submit():
        settings = current_app.config["FOCALBOT"]
        reply = build_reply(
            message.raw,
            subject=message.subject,
            message_id=message.message_id,
            from_name=clean(contact.name),  # a control character in a name is no header's end
            from_addr=contact.emails[0],
            fallback_to=tokens.reply_address(message.request.token, settings.reply_address),
            text=form.text.data,
        )
        key = deliver(settings.local_maildir, reply)
        session = get_session()
        audit.record(
            session, "desk.simulated_reply", message, actor=current_user.email,
            request=message.request_id, message_id=str(reply["Message-ID"]), maildir_key=key,
        )
        session.commit()
        flash(_("The reply was put in the local mailbox. It appears here after the next mailbox poll."), "info")
        return redirect(url_for("desk.request_detail", request_id=message.request_id), 303)
    return render_template("desk/reply.html", message=message, contact=contact, form=form)
