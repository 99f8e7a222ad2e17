"""The secretariat's users, for administrators: list, invite with a role, change a role,
remove, and take away a lost second factor; and an administrator's own second factor. Each
action is a CSRF-checked POST; ``bot.auth`` writes the audit events with the administrator's
address as actor."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import sessions
from ..auth import (
    new_totp_secret,
    remove_user,
    set_password,
    set_role,
    set_totp,
    totp_ok,
    totp_uri,
)
from ..db import get_session
from ..model import User, UserRole
from .blueprint import bp
from .deskforms import CodeForm, RoleForm, UserInviteForm
from .labels import USER_ROLES, label

TOTP_PENDING = "_totp_secret"


def _users_page(form=None, password=None, status=200):
    users = (
        get_session()
        .scalars(select(User).where(User.role != UserRole.DIRECTORY.value).order_by(User.email))
        .all()
    )
    return render_template(
        "desk/users.html",
        users=users,
        form=form or UserInviteForm(),
        roles=USER_ROLES,
        password=password,
    ), status


def _other_user(user_id: int) -> User:
    """A secretariat user other than the administrator acting (who cannot lock themself out)."""
    user = get_session().get(User, user_id)
    if user is None or user.role == UserRole.DIRECTORY.value:
        abort(404)
    if user.id == current_user.id:
        abort(403)
    return user


@bp.get("/users")
def users():
    return _users_page()


@bp.post("/users")
def user_invite():
    form = UserInviteForm()
    if not form.validate_on_submit():
        return _users_page(form, status=400)
    session = get_session()
    email = (form.email.data or "").strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        flash(_("This address already has an account."), "error")
        return _users_page(form, status=400)
    try:
        user, password, _created = set_password(
            session, email, name=form.name.data or "", role=form.role.data, actor=current_user.email
        )
    except ValueError as exc:
        flash(str(exc), "error")
        return _users_page(form, status=400)
    session.commit()
    return _users_page(password=(user.email, password))


@bp.post("/users/<int:user_id>/role")
def user_role(user_id: int):
    user = _other_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    set_role(session, user, form.role.data or "", actor=current_user.email)
    session.commit()
    flash(_("%(email)s is now: %(role)s.", email=user.email, role=label(USER_ROLES, user.role)))
    return redirect(url_for("desk.users"), 303)


@bp.post("/users/<int:user_id>/remove")
def user_remove(user_id: int):
    user = _other_user(user_id)
    session = get_session()
    remove_user(session, user, actor=current_user.email)
    session.commit()
    flash(_("%(email)s can no longer log in to the desk.", email=user.email))
    return redirect(url_for("desk.users"), 303)


@bp.post("/users/<int:user_id>/second-factor/reset")
def user_totp_reset(user_id: int):
    user = _other_user(user_id)
    session = get_session()
    set_totp(session, user, None, actor=current_user.email)
    session.commit()
    flash(_("%(email)s logs in with the password alone until they enrol again.", email=user.email))
    return redirect(url_for("desk.users"), 303)


@bp.route("/second-factor", methods=["GET", "POST"])
def second_factor():
    """Enrol: a new secret, shown as text and as an otpauth URI to type or paste into an
    authenticator app, is kept once the app's first code matches."""
    session = get_session()
    user = sessions.me(session)
    if user.totp_secret:
        return render_template("desk/second_factor.html", enrolled=True)
    secret = cookie.get(TOTP_PENDING)
    form = CodeForm()
    if secret and form.validate_on_submit():
        if totp_ok(secret, form.code.data or ""):
            set_totp(session, user, secret, actor=user.email)
            session.commit()
            sessions.start(user)  # the change ended every session, this one too
            flash(_("Your second factor is on: log-ins now ask for a code."))
            return redirect(url_for("desk.second_factor"), 303)
        flash(_("The code is not correct."), "error")
    if not secret:
        secret = cookie[TOTP_PENDING] = new_totp_secret()
    return render_template(
        "desk/second_factor.html",
        enrolled=False,
        form=form,
        secret=secret,
        uri=totp_uri(secret, user.email),
    )
