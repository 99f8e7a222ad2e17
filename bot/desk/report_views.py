"""Reports for the Conference on the desk: the page, its exports, and officers' tags."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import report
from ..db import get_session
from ..model import AnswerTag, Campaign, Instrument, Request, State, Submission
from ..policy.ladder import cached_policy
from .blueprint import bp
from .deskforms import TagForm
from .labels import GROUPS, KINDS, label

CHART_WIDTH = 300
SHOWN = 200  # the open requests and clarifications listed on a page; the downloads have all


def _scope() -> tuple[int | None, str | None]:
    campaign = request.args.get("campaign", "")
    cycle = request.args.get("cycle")
    return (int(campaign) if campaign.isdigit() else None), (cycle or None)


def _policy():
    return cached_policy(current_app.config["FOCALBOT"].policy_file)


def report_context(session: Session, *, campaign: int | None, cycle: str | None) -> dict:
    """What the report's template shows, for the report page and a campaign's page."""
    lang = str(get_locale())
    summary = report.load_summary(
        session, _policy(), campaign=campaign, cycle=cycle, open_limit=SHOWN
    )
    groups = {k: label(GROUPS, k) for k in summary.by_group}
    return {
        "summary": summary,
        "bars": report.bars(summary.by_group, groups, CHART_WIDTH),
        "chart_width": CHART_WIDTH,
        "groups": groups,
        "instruments": {i.code: i.name(lang) for i in session.scalars(select(Instrument))},
        "names": {s.code: s.name(lang) for s in session.scalars(select(State))},
        "clarifications": report.load_clarifications(
            session, campaign=campaign, cycle=cycle, limit=SHOWN
        ),
        "shown": SHOWN,
        "kinds": {k: str(v) for k, v in KINDS.items()},
        "request_path": url_for("desk.request_detail", request_id=0).removesuffix("0"),
        "provisions": report.by_provision(
            report.load_tags(session, campaign=campaign, cycle=cycle)
        ),
        "scope": {"campaign": campaign, "cycle": cycle},
        "export_args": {k: v for k, v in (("campaign", campaign), ("cycle", cycle)) if v},
    }


@bp.get("/reports")
def report_page():
    session = get_session()
    campaign, cycle = _scope()
    cycles = session.scalars(select(Request.cycle).distinct().order_by(Request.cycle)).all()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    return render_template(
        "desk/report.html",
        cycles=[c for c in cycles if c],
        campaigns=campaigns,
        **report_context(session, campaign=campaign, cycle=cycle),
    )


@bp.get("/reports/responses.<fmt>")
def report_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    session = get_session()
    campaign, cycle = _scope()
    rows = report.load_rows(session, _policy(), campaign=campaign, cycle=cycle)
    if fmt == "csv":
        body: str | bytes = report.to_csv(rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = report.to_xlsx(rows, report.responses(rows))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = (
        "responses"
        + (f"-campaign-{campaign}" if campaign else "")
        + (f"-cycle-{cycle}" if cycle else "")
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe}.{fmt}"'
    return resp


@bp.route("/requests/<int:request_id>/tags", methods=["GET", "POST"])
def request_tags(request_id: int):
    session = get_session()
    req = session.get(Request, request_id)
    if req is None:
        abort(404)
    form = TagForm()
    if form.validate_on_submit():
        try:
            report.tag_answer(
                session,
                req,
                provision=form.provision.data or "",
                finding=form.finding.data,
                note=form.note.data or "",
                actor=current_user.email,
            )
        except report.TagError:
            session.rollback()
            form.provision.errors = [_("Name the provision the answer concerns.")]
        else:
            session.commit()
            flash(_("The answer is tagged."), "info")
            return redirect(url_for("desk.request_tags", request_id=req.id), 303)
    tags = session.scalars(
        select(AnswerTag).where(AnswerTag.request_id == req.id).order_by(AnswerTag.id)
    ).all()
    answer = session.scalars(
        select(Submission)
        .where(Submission.request_id == req.id)
        .order_by(Submission.version.desc(), Submission.id.desc())
        .limit(1)
    ).first()
    return render_template(
        "desk/request_tags.html",
        req=req,
        form=form,
        tags=tags,
        answer=answer,
        lang=str(get_locale()),
    )
