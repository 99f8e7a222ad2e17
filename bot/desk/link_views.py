"""Form links and successors on the desk: revoke a link; approve or refuse a successor.

Each action is a POST (CSRF-checked) with the officer's email as actor; the
functions of ``bot.links`` and ``bot.successor`` write the audit events.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import links, successor
from ..db import get_session
from ..model import FormLink, SuccessorProposal
from .blueprint import bp


@bp.post("/links/<int:link_id>/revoke")
def link_revoke(link_id: int):
    session = get_session()
    link = session.get(FormLink, link_id)
    if link is None:
        abort(404)
    if links.revoke(session, link, actor=current_user.email, reason="revoked on the desk"):
        session.commit()
        flash(_("The link has been revoked."))
    else:
        flash(_("This link was already revoked."), "error")
    return redirect(url_for("desk.request_detail", request_id=link.request_id))


@bp.get("/successors")
def successors():
    session = get_session()
    return render_template(
        "desk/successors.html",
        proposals=successor.pending(session),
        lang=str(get_locale()),
    )


def _proposal(proposal_id: int) -> SuccessorProposal:
    found = get_session().get(SuccessorProposal, proposal_id)
    if found is None:
        abort(404)
    return found


def _back(proposal: SuccessorProposal):
    target = request.form.get("back")
    if target == "request" and proposal.request_id:
        return redirect(url_for("desk.request_detail", request_id=proposal.request_id))
    return redirect(url_for("desk.successors"))


@bp.post("/successors/<int:proposal_id>/approve")
def successor_approve(proposal_id: int):
    session = get_session()
    proposal = _proposal(proposal_id)
    try:
        new = successor.approve(session, proposal, actor=current_user.email)
    except successor.SuccessorError as exc:
        flash(_("This proposal cannot be approved: %(reason)s", reason=str(exc)), "error")
        return _back(proposal)
    session.commit()
    flash(_("%(name)s now holds the post; the reminders go to them.", name=new.name or new.email))
    return _back(proposal)


@bp.post("/successors/<int:proposal_id>/reject")
def successor_reject(proposal_id: int):
    session = get_session()
    proposal = _proposal(proposal_id)
    try:
        successor.reject(session, proposal, actor=current_user.email)
    except successor.SuccessorError as exc:
        flash(_("This proposal cannot be refused: %(reason)s", reason=str(exc)), "error")
        return _back(proposal)
    session.commit()
    flash(_("The proposal has been refused; the directory is unchanged."))
    return _back(proposal)
