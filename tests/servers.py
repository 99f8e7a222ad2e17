"""Real servers for tests: an aiosmtpd SMTP server, a PostgreSQL database, Redis.

PostgreSQL and Redis are the machine's own (started by ``make test`` when they
are down). Each test session gets its own PostgreSQL database and Redis db index.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    # set to a (code, text) pair to refuse the next messages with it
    refuse_with: tuple[int, str] | None = None
    # addresses refused at RCPT TO with 550 (an address that does not exist)
    refuse_rcpt: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds the server takes to accept each message
    # keep the next messages, then close the connection without answering their DATA (the
    # network dropped between the server storing a message and the client hearing so)
    drop_after_data: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Any = None
    # a server-side ssl.SSLContext: offer STARTTLS with it ...
    starttls: Any = None
    # ... or speak TLS from the first byte (smtps://)
    implicit_tls: Any = None
    # a callable token -> bool: offer AUTH XOAUTH2 and accept the tokens it calls good
    check_token: Any = None
    logins: list[str] = field(default_factory=list)  # user names of accepted log-ins

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls is not None else "smtp"
        return f"{scheme}://{self.host}:{self.port}"

    def by_message_id(self) -> dict[str, list[Received]]:
        out: dict[str, list[Received]] = {}
        for m in self.messages:
            out.setdefault(m.message["Message-ID"], []).append(m)
        return out

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} messages at the SMTP server, got {len(self.messages)}"
        )

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        """Start again on the same port (a stopped aiosmtpd controller cannot be restarted)."""
        from aiosmtpd.controller import Controller

        options: dict[str, Any] = {}
        if self.starttls is not None:
            options["tls_context"] = self.starttls
        if self.implicit_tls is not None:
            options["ssl_context"] = self.implicit_tls
        handler: _Handler = _OAuthHandler(self) if self.check_token is not None else _Handler(self)
        self.controller = Controller(handler, hostname=self.host, port=self.port, **options)
        self.controller.start()


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.server.refuse_rcpt:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, _session, envelope):
        if self.server.delay:
            import asyncio

            await asyncio.sleep(self.server.delay)
        if self.server.refuse_with:
            code, text = self.server.refuse_with
            return f"{code} {text}"
        with self.server.lock:
            self.server.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or envelope.content),
                )
            )
            n = len(self.server.messages)
        if self.server.drop_after_data:
            server.transport.abort()
        return f"250 2.0.0 Ok: queued as Q{n:06d}"


class _OAuthHandler(_Handler):
    """Takes AUTH XOAUTH2 and asks ``check_token`` about the token. aiosmtpd has no XOAUTH2
    of its own: this stands in for the provider's token check only. A refusal is answered
    the way Gmail and Microsoft 365 do: a 334 challenge carrying the error in JSON, then 535
    once the client has answered it."""

    async def auth_XOAUTH2(self, server, args):
        import base64

        from aiosmtpd.smtp import AuthResult

        try:
            fields = base64.b64decode(args[1]).decode().split("\x01")
            user = fields[0].removeprefix("user=")
            token = fields[1].removeprefix("auth=Bearer ")
        except Exception:
            await server.push("501 5.5.2 Can't decode the XOAUTH2 response")
            return AuthResult(success=False, handled=True)
        if self.server.check_token(token):
            self.server.logins.append(user)
            return AuthResult(success=True, auth_data=user)
        await server.challenge_auth(b'{"status":"401","schemes":"bearer","scope":"mail"}')
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )


@pytest.fixture
def smtp_server():
    server = SMTPServer("127.0.0.1", free_port())
    server.start()
    yield server
    try:
        server.controller.stop()
    except Exception:  # already stopped by the test
        pass


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, migrated to head."""
    import psycopg

    name = f"focalbot_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # make test starts it; say so plainly otherwise
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}); run `make test`, "
            "which starts it"
        )
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    from bot import db
    from bot.migrate import upgrade

    engine = db.make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    from bot import db as _db

    if _db._engine is not None and _db._engine.url.database == name:
        _db._engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def pg_url(pg_database):
    """The session's PostgreSQL database, emptied before each test.

    The audit log's triggers refuse TRUNCATE; a superuser (the tests connect as one) turns
    triggers off for the emptying transaction, as a DBA would."""
    from sqlalchemy import text

    from bot import db
    from bot.model import Base

    engine = db.make_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg_database


@pytest.fixture(scope="session")
def _redis_db_index():
    import redis

    r = redis.Redis.from_url(REDIS_URL + "/0", socket_timeout=5)
    try:
        r.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}); run `make test`, which starts it"
        )
    # pick a db index from the pid so that parallel sessions do not share queues
    return 1 + os.getpid() % 14


@pytest.fixture
def redis_url(_redis_db_index):
    import redis

    url = f"{REDIS_URL}/{_redis_db_index}"
    redis.Redis.from_url(url).flushdb()
    return url
