"""Listening to the mailbox (``focalbot listen``): IMAP IDLE, else polling, reconnecting.

The listener holds the mailbox's lease (``bot.lease``) for as long as it runs, renewing it
every third of MAILBOX_LEASE_SECONDS; while it does, the beat's poll task finds the lease
held and skips. A second listener stands by until the first one's lease is released or
runs out.

Once connected it polls, then IDLEs: when the server reports a new message (EXISTS or
RECENT) it leaves IDLE and polls, and it leaves and re-issues IDLE every ``IDLE_SECONDS``
(RFC 2177 asks for less than 29 minutes; gateways forget a quiet connection sooner) with a
poll, which also catches a message that came in while it was not idling. A server without
IDLE (and the local Maildir) is polled every POLL_INTERVAL.

A dropped connection or any error ends the connection; the listener logs one line (no
password: ``poll.describe``), reports it on the desk as the mailbox Problem, and connects
again after ``reconnect_delay``: doubling from 1 second up to 5 minutes, with jitter so
that many listeners do not come back at once. SIGTERM sets ``stop``: it leaves IDLE, logs
out and releases the lease within about a second.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from imapclient import IMAPClient

from .. import db, lease
from ..config import Settings
from . import imap, poll
from .maildir import poll_maildir

log = logging.getLogger(__name__)
IDLE_SECONDS = 10 * 60.0
CHECK_SECONDS = 1.0  # how long one wait lasts before the stop flag and the lease are looked at
ROUNDS = 3  # polls in a row while each finds messages (more may come in meanwhile)
FIRST_DELAY = 1.0
MOST_DELAY = 300.0


def reconnect_delay(
    failures: int, jitter: float, first: float = FIRST_DELAY, most: float = MOST_DELAY
) -> float:
    """Seconds to wait before connecting again after ``failures`` failures in a row.

    The ceiling doubles from ``first`` up to ``most``; ``jitter`` (in [0, 1), drawn at
    random by the caller) takes up to half of it off, never going below ``first``.
    """
    if failures < 1:
        return 0.0
    ceiling = min(most, first * 2.0 ** min(failures - 1, 32))
    return max(first, ceiling * (1.0 - jitter / 2.0))


def closed(responses: list) -> None:
    """Raise ConnectionError when the server said BYE (it is closing the connection)."""
    for r in responses:
        if isinstance(r, tuple) and r and r[0] == b"BYE":
            words = b" ".join(x for x in r[1:] if isinstance(x, bytes))
            raise ConnectionError(
                f"the server ended the connection: {words.decode(errors='replace')}"
            )


def new_mail(responses: list) -> bool:
    """Whether IDLE responses report a message arriving (``(n, b'EXISTS')``, ``b'RECENT'``)."""
    return any(
        isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses
    )


@dataclass
class Listener:
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    holder: str = field(default_factory=lease.holder_id)
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0  # in a row, since the last poll that worked
    polls: int = 0
    connections: int = 0
    idling: bool = False  # in IDLE now (tests wait for it)

    def __post_init__(self) -> None:
        where = poll.mailbox_name(self.settings)
        self.claim = lease.Claim(
            lease.mailbox_lease(where),
            self.settings.mailbox_lease_seconds,
            self.holder,
            audit_changes=True,
        )
        self.every = self.settings.mailbox_lease_seconds / 3

    def run(self) -> None:
        """Listen until ``stop`` is set; the lease is released at the end."""
        db.init(self.settings.database_url)
        standing_by_for = ""
        try:
            while not self.stop.is_set():
                try:
                    if not self.claim.held:
                        outcome = self.claim.take()
                        if not outcome.held:
                            if outcome.holder != standing_by_for:
                                standing_by_for = outcome.holder
                                log.info(
                                    "listener %s: standing by, lease %s",
                                    self.holder,
                                    outcome.describe(),
                                )
                            self.stop.wait(min(self.every, self.settings.poll_interval))
                            continue
                        standing_by_for = ""
                        log.info("listener %s: reading %s", self.holder, self.claim.name)
                    self._connection()
                except Exception as exc:  # one line, then connect again after a while
                    self.failures += 1
                    delay = reconnect_delay(self.failures, self.rng.random())
                    message = poll.report(self.settings, exc)
                    log.warning(
                        "listener: %s (failure %d); connecting again in %.1f s",
                        message,
                        self.failures,
                        delay,
                    )
                    self.stop.wait(delay)
        finally:
            self.idling = False
            try:
                self.claim.release()
            except Exception as exc:  # it runs out by itself
                log.warning("listener: could not release the lease: %s", type(exc).__name__)
            log.info("listener %s: stopped", self.holder)

    def _connection(self) -> None:
        """One connection: poll, then IDLE or poll at intervals, until stopped or lease lost."""
        url = self.settings.imap
        if url is None:

            def poll_once() -> None:
                self._polled(poll_maildir(self.settings, self.holder))

            poll_once()
            self._at_intervals(poll_once)
            return
        with imap.connect(self.settings) as client:
            self.connections += 1
            self._poll(client)
            if client.has_capability("IDLE"):
                self._idle(client)
            else:
                log.info(
                    "listener: %s offers no IDLE; polling every %g s",
                    url.host,
                    self.settings.poll_interval,
                )
                self._at_intervals(lambda: self._poll(client))

    def _poll(self, client: IMAPClient) -> None:
        """Poll over ``client``, again while a poll finds messages (more may have come in)."""
        for _ in range(ROUNDS):
            if not self.claim.held or self.stop.is_set():
                return
            if not self._polled(imap.poll_client(self.settings, client, self.claim)).fetched:
                return

    def _polled(self, result: poll.PollResult) -> poll.PollResult:
        if not result.skipped:
            poll.succeeded(self.settings)
            self.failures = 0
            self.polls += 1
        return result

    def _renewed(self, renew_at: float) -> float:
        """Renew the lease if it is time; the next time (0 when the lease was lost)."""
        if time.monotonic() < renew_at:
            return renew_at
        return time.monotonic() + self.every if self.claim.renew() else 0.0

    def _idle(self, client: IMAPClient) -> None:
        renew_at = time.monotonic() + self.every
        while self.claim.held and not self.stop.is_set():
            client.idle()
            self.idling = True
            until = time.monotonic() + IDLE_SECONDS
            arrived = False
            try:
                quiet = 0  # checks in a row that came back at once with nothing
                while not self.stop.is_set() and time.monotonic() < until:
                    started = time.monotonic()
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    closed(responses)
                    if new_mail(responses):
                        arrived = True
                        break
                    # imapclient answers [] at once, again and again, once the server has
                    # closed the connection without a BYE
                    early = time.monotonic() - started < CHECK_SECONDS / 2
                    quiet = quiet + 1 if early and not responses else 0
                    if quiet >= 3:
                        raise ConnectionError("the server closed the connection")
                    renew_at = self._renewed(renew_at)
                    if not renew_at:
                        break
            except BaseException:
                self.idling = False  # the connection is dropped: no DONE
                raise
            self.idling = False
            _text, responses = client.idle_done()
            if self.claim.held and not self.stop.is_set():
                if arrived or new_mail(responses) or time.monotonic() >= until:
                    self._poll(client)

    def _at_intervals(self, poll_once: Callable[[], object]) -> None:
        """Poll every POLL_INTERVAL, renewing the lease meanwhile."""
        renew_at = time.monotonic() + self.every
        while self.claim.held and not self.stop.is_set():
            next_poll = time.monotonic() + self.settings.poll_interval
            while not self.stop.is_set() and time.monotonic() < next_poll:
                self.stop.wait(min(CHECK_SECONDS, max(0.0, next_poll - time.monotonic())))
                renew_at = self._renewed(renew_at)
                if not renew_at:
                    return
            if not self.stop.is_set():
                poll_once()
