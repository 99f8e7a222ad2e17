"""Campaigns on the desk: the list, a new campaign with its preview, one campaign's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from .. import report
from ..campaign import CampaignError, create_campaign
from ..db import get_session
from ..model import Campaign, Instrument, Request, State
from .blueprint import bp
from .deskforms import CampaignForm, choice
from .report_views import report_context


@bp.get("/campaigns")
def campaigns():
    session = get_session()
    answered = func.sum(case((Request.status == report.ANSWERED, 1), else_=0))
    rows = session.execute(
        select(Campaign, func.count(Request.id), func.coalesce(answered, 0))
        .outerjoin(Request, Request.campaign_id == Campaign.id)
        .group_by(Campaign.id)
        .order_by(Campaign.id.desc())
    ).all()
    return render_template(
        "desk/campaigns.html",
        rows=[(c, report.Rate(n, a)) for c, n, a in rows],
        instruments=_instrument_names(),
    )


def _instrument_names() -> dict[str, str]:
    lang = str(get_locale())
    return {i.code: i.name(lang) for i in get_session().scalars(select(Instrument))}


def _choices(form: CampaignForm) -> None:
    lang = str(get_locale())
    instruments = get_session().scalars(
        select(Instrument).order_by(Instrument.position, Instrument.code)
    )
    form.instrument.choices = [choice("", "—")] + [
        choice(i.code, i.name(lang)) for i in instruments
    ]
    form.parties_to.choices = list(form.instrument.choices)


def _selection(form: CampaignForm) -> dict:
    codes = form.states.data or ""
    return {
        "states": [c for c in codes.replace(" ", ",").split(",") if c.strip()] or None,
        "parties_to": form.parties_to.data or None,
        "group": form.group.data or None,
    }


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    form = CampaignForm()
    _choices(form)
    if not form.validate_on_submit():
        return render_template("desk/campaign_new.html", form=form)
    selection = _selection(form)
    if not any(selection.values()):
        form.states.errors = [
            _("Choose the States: the parties to an instrument, a regional group or a list.")
        ]
        return render_template("desk/campaign_new.html", form=form)
    start = "start" in request.form
    session = get_session()
    assert form.due_date.data is not None  # the form checked it
    try:
        result = create_campaign(
            session,
            kind=form.kind.data,
            due=form.due_date.data,
            instrument=form.instrument.data or None,
            cycle=form.cycle.data or "",
            subject=form.subject.data or "",
            include_open=bool(form.include_open.data),
            preview=not start,
            actor=current_user.email,
            **selection,
        )
    except CampaignError:
        session.rollback()
        flash(_("The campaign cannot be created as asked."), "error")
        return render_template("desk/campaign_new.html", form=form)
    if not start:
        session.rollback()
        lang = str(get_locale())
        names = {s.code: s.name(lang) for s in session.scalars(select(State))}
        return render_template(
            "desk/campaign_preview.html",
            form=form,
            result=result,
            names=names,
            others=[code for code, _r in result.skipped if code not in result.already_open],
        )
    session.commit()
    flash(
        _(
            "Campaign %(id)s started: %(n)s requests opened.",
            id=result.campaign_id,
            n=len(result.opened),
        ),
        "info",
    )
    return redirect(url_for("desk.campaign_detail", campaign_id=result.campaign_id), 303)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int):
    session = get_session()
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    context = report_context(session, campaign=campaign_id, cycle=None)
    return render_template("desk/campaign.html", campaign=campaign, **context)
