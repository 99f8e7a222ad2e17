"""The online directory: /directory, /directory/<ISO>, /directory.json, /directory.csv, and
the authorised users' log-in. No JavaScript; pages are cacheable and paged.

Restricted entries are shown only to a logged-in, active user (an authorised user of the
directory, or the secretariat); everything else is decided in ``bot.directory.public``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from markupsafe import Markup, escape

from .. import audit, sessions
from ..auth import end_sessions, log_in
from ..db import get_session
from ..desk.deskforms import LoginForm
from ..desk.views import LOCKED, second_factor
from ..model import State, UserRole, utcnow
from . import public

bp = Blueprint("directory", __name__)

SESSION_LENGTH = timedelta(hours=8)  # an authorised user logs in again after this
GROUPS = {
    "AFR": _l("African States"),
    "APG": _l("Asia-Pacific States"),
    "EEG": _l("Eastern European States"),
    "GRULAC": _l("Latin American and Caribbean States"),
    "WEOG": _l("Western European and other States"),
}
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@bp.app_template_filter("linked")
def linked(text: str | None) -> Markup:
    """The text escaped, its http(s) addresses as links that pass no credit and no opener."""
    out, last = [], 0
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(".,;:)")
        out.append(escape(text[last : match.start()]))  # type: ignore[index]
        out.append(Markup('<a href="{0}" rel="nofollow noopener" dir="ltr">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


def authorised() -> bool:
    return bool(current_user.is_authenticated and current_user.active)


@bp.before_request
def _expire_session():
    if current_user.is_authenticated and current_user.role == UserRole.DIRECTORY.value:
        since = session.get("directory_since")
        if not since or utcnow() - datetime.fromisoformat(since) > SESSION_LENGTH:
            logout_user()
            session.clear()


def _cached(render, *, lang: str):
    """The response, or 304 when the caller's copy is current (ETag, Last-Modified)."""
    restricted = authorised()
    tag, moment = public.version(get_session(), restricted=restricted)
    asked = hashlib.sha256(request.query_string).hexdigest()[:12]
    etag = f"{tag}-{lang}-{asked}"
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    elif moment and request.if_modified_since and not request.if_none_match:
        resp = (
            Response(status=304)
            if moment.replace(microsecond=0) <= request.if_modified_since
            else render()
        )
    else:
        resp = render()
    resp.set_etag(etag)
    if moment:
        resp.last_modified = moment
    resp.headers["Cache-Control"] = "private, no-cache" if restricted else "public, max-age=300"
    resp.vary.add("Cookie")
    resp.vary.add("Accept-Language")
    return resp


def _lang() -> str:
    return str(get_locale() or "en")


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/directory")
def index():
    lang = _lang()
    filters = public.Filters.from_args(request.args)
    number = _page_number()

    def render():
        s = get_session()
        states = public.all_states(s)
        shown, pages = public.page(
            s, filters, restricted=authorised(), number=number, lang=lang, states=states
        )
        if number > pages:
            abort(404)
        instruments = public.instruments(s)
        return Response(
            render_template(
                "directory/index.html",
                lang=lang,
                shown=shown,
                page=number,
                pages=pages,
                filters=filters,
                args=filters.as_args(),
                instruments=instruments,
                names={i.code: i.name(lang) for i in instruments},
                types=public.authority_types(),
                groups=GROUPS,
                resources=public.resources(s),
                authorised=authorised(),
            )
        )

    return _cached(render, lang=lang)


@bp.get("/directory/<string(length=2):code>")
def state_page(code: str):
    lang = _lang()
    s = get_session()
    state = s.get(State, code.upper())
    if state is None:
        abort(404)

    def render():
        return Response(
            render_template(
                "directory/state.html",
                lang=lang,
                entry=public.one_state(s, state, restricted=authorised()),
                names={i.code: i.name(lang) for i in public.instruments(s)},
                types=public.authority_types(),
                groups=GROUPS,
                authorised=authorised(),
            )
        )

    return _cached(render, lang=lang)


@bp.get("/directory.json")
def as_json():
    def render():
        rows = public.entries(get_session(), restricted=authorised())
        body: dict[str, Any] = {"schema": "focalbot-directory/1"}
        body.update(fields=list(public.PUBLIC_FIELDS), entries=rows)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return Response(text, mimetype="application/json")

    return _cached(render, lang="json")


@bp.get("/directory.csv")
def as_csv():
    def render():
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(public.PUBLIC_FIELDS)
        for row in public.entries(get_session(), restricted=authorised()):
            writer.writerow(
                "; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                for v in (row[f] for f in public.PUBLIC_FIELDS)
            )
        resp = Response(out.getvalue(), mimetype="text/csv")
        resp.headers["Content-Disposition"] = "attachment; filename=directory.csv"
        return resp

    return _cached(render, lang="csv")


@bp.route("/directory/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    lang = _lang()
    if form.validate_on_submit():
        s = get_session()
        user, outcome = log_in(
            s, form.email.data or "", form.password.data or "", request.remote_addr
        )
        s.commit()
        if outcome == "locked":
            flash(str(LOCKED), "error")
            return render_template("directory/login.html", form=form, lang=lang), 429
        if user is None:
            flash(_("The email or password is not correct."), "error")
            return render_template("directory/login.html", form=form, lang=lang), 200
        if outcome == "code":  # an administrator's second factor, on the desk's page
            return second_factor(user, url_for("directory.index", lang=lang))
        sessions.start(user)
        session["directory_since"] = utcnow().isoformat()
        return redirect(url_for("directory.index", lang=lang), 303)
    return render_template("directory/login.html", form=form, lang=lang)


@bp.post("/directory/logout")
def logout():
    if current_user.is_authenticated:  # every session of the user ends, not only this one
        s = get_session()
        user = sessions.me(s)
        end_sessions(user)
        audit.record(s, "user.logout", user, actor=user.email)
        s.commit()
    sessions.end()
    return redirect(url_for("directory.index"), 303)
