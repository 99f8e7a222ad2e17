"""The directory on the desk, for administrators: its authorised users (invited and removed)
and the resource links its pages offer. Each action is a CSRF-checked POST; ``bot.auth`` and
``bot.directory.resources`` write the audit events."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import remove_user, set_password
from ..db import get_session
from ..directory.public import resources
from ..directory.resources import add_resource, remove_resource
from ..model import DirectoryResource, User, UserRole
from .blueprint import bp
from .deskforms import DirectoryUserForm, ResourceForm


def _admin_only() -> None:
    if not current_user.is_admin:
        abort(403)


def _page(user_form=None, resource_form=None, password=None, status=200):
    _admin_only()
    session = get_session()
    users = session.scalars(
        select(User).where(User.role == UserRole.DIRECTORY.value).order_by(User.email)
    ).all()
    return render_template(
        "desk/directory.html",
        users=users,
        resources=resources(session),
        user_form=user_form or DirectoryUserForm(),
        resource_form=resource_form or ResourceForm(),
        password=password,
    ), status


@bp.get("/directory")
def directory_admin():
    return _page()


@bp.post("/directory/users")
def directory_user_invite():
    _admin_only()
    form = DirectoryUserForm()
    if not form.validate_on_submit():
        return _page(user_form=form, status=400)
    session = get_session()
    existing = session.scalar(select(User).where(User.email == (form.email.data or "").lower()))
    if existing is not None and existing.role != UserRole.DIRECTORY.value:
        flash(_("This address belongs to a member of the secretariat."), "error")
        return _page(user_form=form, status=400)
    try:
        user, password, _created = set_password(
            session,
            form.email.data or "",
            name=form.name.data or "",
            role="directory",
            actor=current_user.email,
        )
    except ValueError as exc:
        flash(str(exc), "error")
        return _page(user_form=form, status=400)
    user.active = True
    session.commit()
    return _page(password=(user.email, password))


@bp.post("/directory/users/<int:user_id>/remove")
def directory_user_remove(user_id: int):
    _admin_only()
    session = get_session()
    user = session.get(User, user_id)
    if user is None or user.role != UserRole.DIRECTORY.value:
        abort(404)
    remove_user(session, user, actor=current_user.email)
    session.commit()
    flash(_("%(email)s can no longer log in to the directory.", email=user.email))
    return redirect(url_for("desk.directory_admin"), 303)


@bp.post("/directory/resources")
def directory_resource_add():
    _admin_only()
    form = ResourceForm()
    if not form.validate_on_submit():
        return _page(resource_form=form, status=400)
    session = get_session()
    try:
        add_resource(session, form.title.data or "", form.url.data or "", actor=current_user.email)
    except ValueError:
        flash(_("A link must be an http or https address."), "error")
        return _page(resource_form=form, status=400)
    session.commit()
    return redirect(url_for("desk.directory_admin"), 303)


@bp.post("/directory/resources/<int:resource_id>/remove")
def directory_resource_remove(resource_id: int):
    _admin_only()
    session = get_session()
    resource = session.get(DirectoryResource, resource_id)
    if resource is None:
        abort(404)
    remove_resource(session, resource, actor=current_user.email)
    session.commit()
    return redirect(url_for("desk.directory_admin"), 303)
