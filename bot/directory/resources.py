"""The links the directory's pages offer (the request writer tool, model laws, manuals):
added and removed by the secretariat, each change audited."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..model import DirectoryResource


def checked_url(url: str) -> str:
    """The address when it is an http(s) one with a host; ValueError otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() for c in url)
    ):
        raise ValueError("a link must be an http or https address")
    return url


def add_resource(
    session: Session, title: str, url: str, *, actor: str, position: int | None = None
) -> DirectoryResource:
    title = " ".join(title.split())[:300]
    if not title:
        raise ValueError("a link needs a title")
    if position is None:
        position = (session.scalar(select(func.max(DirectoryResource.position))) or 0) + 1
    resource = DirectoryResource(title=title, url=checked_url(url)[:1000], position=position)
    session.add(resource)
    session.flush()
    audit.record(session, "directory.resource_added", resource, actor=actor, title=title, url=url)
    return resource


def remove_resource(session: Session, resource: DirectoryResource, *, actor: str) -> None:
    audit.record(
        session,
        "directory.resource_removed",
        resource,
        actor=actor,
        title=resource.title,
        url=resource.url,
    )
    session.delete(resource)
    session.flush()
