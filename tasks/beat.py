"""A beat that sends the periodic tasks only while it holds the ``beat`` lease.

Run as many beats as there are machines: each one ticks, but only the holder of the
lease in the database (``bot.lease``) sends what is due; the others stand by and try to
take the lease at each tick. The leader renews it every third of BEAT_LEASE_SECONDS; when
it dies, its lease runs out and a standby takes over within BEAT_LEASE_SECONDS. A leader
that cannot renew (the database is down, or another took the lease over) stops sending.

The lease lives in the database, not in Redis, so that this works on the embedded
default (SQLite, and kombu's SQLAlchemy broker) as on PostgreSQL.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler

from bot import db, lease

from .celery_app import settings

log = logging.getLogger(__name__)


class LeaderScheduler(PersistentScheduler):
    """PersistentScheduler that sends due tasks only while it holds the ``beat`` lease."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lease_seconds = settings.beat_lease_seconds
        self.every = self.lease_seconds / 3
        self.holder = lease.holder_id()
        self.leading = False
        self._check_at = 0.0  # time.monotonic() of the next renewal
        self._standing_by_for = ""
        super().__init__(*args, **kwargs)
        self.max_interval: float = min(float(self.max_interval), self.every)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if time.monotonic() >= self._check_at:
            self._lead()
        if not self.leading:
            return self.every
        interval = super().tick(*args, **kwargs)
        return max(0.0, min(interval, self._check_at - time.monotonic()))

    def _lead(self) -> None:
        """Renew the lease if leading, else try to take it; log each change of role once."""
        try:
            db.init(settings.database_url)
            if self.leading and not lease.renew(lease.BEAT, self.holder, self.lease_seconds):
                log.warning("beat %s: the lease was taken over; standing by", self.holder)
                self.leading = False
            if not self.leading:
                outcome = lease.acquire(
                    lease.BEAT, self.holder, self.lease_seconds, audit_changes=True
                )
                if outcome.held:
                    self.leading = True
                    self._standing_by_for = ""
                    log.info("beat %s: leading, sending the periodic tasks", self.holder)
                elif outcome.holder != self._standing_by_for:
                    self._standing_by_for = outcome.holder
                    log.info("beat %s: standing by, lease %s", self.holder, outcome.describe())
        except Exception as exc:  # the database is away: send nothing until it is back
            if self.leading:
                log.warning(
                    "beat %s: cannot renew the lease (%s); standing by", self.holder, _why(exc)
                )
            else:
                log.warning("beat %s: cannot read the lease (%s)", self.holder, _why(exc))
            self.leading = False
            self._standing_by_for = ""
        self._check_at = time.monotonic() + self.every

    def close(self) -> None:
        try:
            if self.leading:
                lease.release(lease.BEAT, self.holder, audit_changes=True)
                self.leading = False
                log.info("beat %s: released the lease", self.holder)
        except Exception as exc:  # it runs out by itself
            log.warning("beat %s: could not release the lease (%s)", self.holder, _why(exc))
        super().close()


def _why(exc: BaseException) -> str:
    """The driver's first line for a database failure (no statement, no parameters)."""
    words = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {words[0] if words else ''}"
