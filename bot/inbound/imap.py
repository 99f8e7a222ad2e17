"""Reading replies from an IMAP mailbox.

New messages (by UID, above the stored watermark) are fetched with
``BODY.PEEK[]`` in small batches (some servers refuse large UID FETCHes). Each
is ingested (which commits), then moved to the processed, review or bounces
folder, then the watermark advances. A crash between these steps makes the
next poll read the message again, which the ingest's deduplication makes
harmless. A message is moved only once it is stored.

The watermark is kept with the folder's UIDVALIDITY; when that changes, the
whole folder is listed again and each message already stored (known by its
Message-ID, or else by the SHA-256 of its bytes) is only moved, not recorded
again. Without MOVE, a message is copied, flagged ``\\Deleted`` and removed
with UID EXPUNGE; a server without UIDPLUS keeps it flagged rather than
expunging every message someone else flagged.

One reader at a time: a poll holds the mailbox's lease (``bot.lease``) and renews it
between batches, so that two workers polling at once do not both read each message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import LoginError
from sqlalchemy import select

from .. import db, lease, mailauth
from ..config import ServerURL, Settings
from ..mailconn import tls_context, use_starttls
from ..model import Delivery, MailboxState, Message, utcnow
from .ingest import IngestResult, PollResult, dedup_key, ingest, not_read

log = logging.getLogger(__name__)
BATCH = 10


@contextmanager
def connect(settings: Settings, timeout: float | None = None) -> Iterator[IMAPClient]:
    """A logged-in connection to IMAP_URL: TLS (imaps://, or STARTTLS as IMAP_STARTTLS says)
    verified against the system's CAs and MAIL_CA_FILE; the URL's password, or XOAUTH2."""
    url = settings.imap
    if url is None:
        raise ValueError("IMAP_URL is not set")
    seconds = settings.imap_timeout if timeout is None else timeout
    context = tls_context(settings)
    client = IMAPClient(
        url.host,
        port=url.port,
        ssl=url.tls,
        ssl_context=context,
        timeout=SocketTimeout(connect=seconds, read=seconds),
    )
    try:
        if not url.tls and use_starttls(
            settings.imap_starttls,
            client.has_capability("STARTTLS"),
            url.redacted(),
            "IMAP_STARTTLS",
        ):
            client.starttls(ssl_context=context)
        _login(client, settings, url)
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # the connection may already be gone
            pass


def _login(client: IMAPClient, settings: Settings, url: ServerURL) -> None:
    user = url.username or ""
    if settings.mail_auth != "xoauth2" or settings.oauth is None:
        client.login(user, url.password or "")
        return

    def attempt(token: str) -> None:
        try:
            client.oauth2_login(user, token)
        except LoginError as exc:
            raise mailauth.TokenRefused(str(exc)) from None

    try:
        mailauth.with_token(settings.oauth, attempt)
    except mailauth.TokenRefused as exc:
        raise LoginError(
            f"the OAuth access token for {user} was refused (XOAUTH2): {exc}"
        ) from None


def folder_of(url: ServerURL) -> str:
    return url.path or "INBOX"


def _watermark(mailbox: str, uidvalidity: int) -> tuple[int, bool]:
    """The last UID handled in ``mailbox`` (0 when UIDVALIDITY changed); and whether it changed."""
    relisted = False
    with db.session() as s:
        state = s.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
        if state is None:
            state = MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0)
            s.add(state)
        elif state.uidvalidity != uidvalidity:
            log.warning(
                "%s: UIDVALIDITY changed from %s to %s; reading the folder again",
                mailbox, state.uidvalidity, uidvalidity,
            )
            state.uidvalidity = uidvalidity
            state.last_uid = 0
            relisted = True
        state.polled_at = utcnow()
        return state.last_uid, relisted


def _advance(mailbox: str, uidvalidity: int, uid: int) -> None:
    with db.session() as s:
        state = s.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
        if state is not None and state.uidvalidity == uidvalidity and uid > state.last_uid:
            state.last_uid = uid


def ensure_folder(client: IMAPClient, folder: str) -> None:
    if not client.folder_exists(folder):
        client.create_folder(folder)


def ensure_folders(client: IMAPClient, settings: Settings) -> set[str]:
    """Create the processed, review and bounces folders that are missing; return their names."""
    folders = {
        settings.imap_processed_folder,
        settings.imap_review_folder,
        settings.imap_bounces_folder,
    }
    for folder in sorted(folders):
        ensure_folder(client, folder)
    return folders


def move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        log.warning(
            "UID %s copied to %s and flagged \\Deleted; "
            "left for the server to expunge (no UIDPLUS)",
            uid,
            folder,
        )


def folder_for(settings: Settings, delivery: str | None, kind: str | None) -> str:
    """Where a stored message goes: bounces, review (triage or unparsable) or processed."""
    if kind == "bounce":
        return settings.imap_bounces_folder
    if delivery in (Delivery.TRIAGE.value, Delivery.UNPARSABLE.value, Delivery.RECEIVED.value):
        return settings.imap_review_folder
    return settings.imap_processed_folder


def _stored(key: str) -> tuple[str, str | None] | None:
    """(delivery, kind) of the message recorded under ``key``, or None if there is none."""
    with db.session() as s:
        row = s.execute(
            select(Message.delivery, Message.kind).where(
                Message.dedup_key == key, Message.direction == "in"
            )
        ).first()
        return (row[0], row[1]) if row is not None else None


def _destination(settings: Settings, raw: bytes, outcome: IngestResult) -> str | None:
    """The folder for a message just ingested; None if it is not stored (never move it then)."""
    if outcome.outcome != "duplicate":
        return folder_for(settings, outcome.outcome, outcome.kind)
    stored = _stored(dedup_key(raw)[0])
    return folder_for(settings, *stored) if stored is not None else None


def _known_by_message_id(client: IMAPClient, uids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Among ``uids``, those whose Message-ID is already recorded: {uid: (delivery, kind)}."""
    known: dict[int, tuple[str, str | None]] = {}
    fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    for uid in uids:
        data = fetched.get(uid, {})
        head = next((bytes(v) for k, v in data.items() if k.startswith(b"BODY[HEADER")), None)
        if not head:
            continue
        key, message_id = dedup_key(head + b"\r\n")
        if message_id is None:
            continue  # no usable Message-ID: the SHA-256 of the whole message decides
        stored = _stored(key)
        if stored is not None and stored[0] != Delivery.RECEIVED.value:
            known[uid] = stored
    return known


def new_uids(client: IMAPClient, last_uid: int) -> list[int]:
    # "UID n:*" also returns the highest UID when it is below n: filter here.
    found = client.search(["UID", f"{last_uid + 1}:*", "NOT", "DELETED"])
    return sorted(uid for uid in found if uid > last_uid)


def _move_to(client: IMAPClient, uid: int, target: str, made: set[str]) -> None:
    if target not in made:
        ensure_folder(client, target)
        made.add(target)
    move(client, uid, target)


def poll_imap(settings: Settings, holder: str | None = None) -> PollResult:
    """Read the new messages of the mailbox, holding its lease (``holder``'s, when given).

    When another process holds the lease (a poll on another worker, a listener) this
    returns at once with ``skipped`` saying so.
    """
    url = settings.imap
    if url is None:
        raise ValueError("IMAP_URL is not set")
    db.init(settings.database_url)
    mailbox = url.redacted()
    claim = lease.Claim(lease.mailbox_lease(mailbox), settings.mailbox_lease_seconds, holder)
    with lease.claimed(claim):
        if not claim.held:
            return not_read(mailbox, claim.outcome)
        with connect(settings) as client:
            return poll_client(settings, client, claim)


def poll_client(settings: Settings, client: IMAPClient, claim: lease.Claim) -> PollResult:
    """Read the new messages over ``client`` while ``claim`` holds the mailbox's lease,
    renewing it between batches (and stopping if it was lost)."""
    url = settings.imap
    assert url is not None
    result = PollResult()
    mailbox = url.redacted()
    folder = folder_of(url)
    selected = client.select_folder(folder)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    last_uid, relisted = _watermark(mailbox, uidvalidity)
    uids = new_uids(client, last_uid)
    made = ensure_folders(client, settings)
    for start in range(0, len(uids), BATCH):
        if start and not claim.renew():
            break  # another reader took the mailbox over; it reads the rest
        batch = uids[start:start + BATCH]
        known = _known_by_message_id(client, batch) if relisted else {}
        for uid, stored in known.items():
            result.add(IngestResult("duplicate", reason="already recorded (UIDVALIDITY changed)"))
            _move_to(client, uid, folder_for(settings, *stored), made)
            _advance(mailbox, uidvalidity, uid)
        rest = [uid for uid in batch if uid not in known]
        fetched = client.fetch(rest, ["BODY.PEEK[]"]) if rest else {}
        for uid in rest:
            data = fetched.get(uid, {})
            raw = data.get(b"BODY[]")
            if raw is None:
                log.warning("%s: UID %s vanished before it was read", mailbox, uid)
                continue
            raw = bytes(raw)
            outcome = ingest(
                raw, source=f"{mailbox};uidvalidity={uidvalidity};uid={uid}", settings=settings
            )
            result.add(outcome)
            target = _destination(settings, raw, outcome)
            if target is None:
                log.warning("%s: UID %s is not stored; left in %s", mailbox, uid, folder)
                continue
            _move_to(client, uid, target, made)
            _advance(mailbox, uidvalidity, uid)
    log.info(
        "%s: %d fetched, %d recorded, %d duplicates, %d unparsable, %d to triage",
        mailbox,
        result.fetched,
        result.recorded,
        result.duplicates,
        result.unparsable,
        result.triage,
    )
    return result
