"""A small OAuth 2.0 provider for tests: a token endpoint and a token introspection endpoint.

The token endpoint (HTTPS, with the session's test CA) answers both flows focalbot uses:
``client_credentials`` (the client id and secret, as HTTP Basic or in the form) and
``refresh_token``. Each answer is a fresh random access token. The introspection endpoint
(RFC 7662, plain HTTP on the loopback, as Dovecot's oauth2 passdb asks it) says a token is
active only if this endpoint issued it, it has not expired and it was not revoked: so a
mail server that asks it accepts only the tokens focalbot really fetched.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

import pytest

from tests import secretlog
from tests.tlsca import TestCA

CLIENT_ID = "focalbot-test-client"


@dataclass
class OAuthProvider:
    token_port: int = 0
    introspection_port: int = 0
    client_id: str = CLIENT_ID
    client_secret: str = ""
    refresh_token: str = ""
    username: str = ""  # the mailbox the introspection endpoint names for a valid token
    lifetime: int = 3600  # expires_in of the tokens issued
    refuse_all: bool = False  # the introspection endpoint calls every token inactive
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time())
    issued: list[str] = field(default_factory=list)  # grant type of each token issued
    introspected: list[bool] = field(default_factory=list)  # each answer's "active"
    lock: threading.Lock = field(default_factory=threading.Lock)
    servers: list[ThreadingHTTPServer] = field(default_factory=list)

    @property
    def token_url(self) -> str:
        return f"https://127.0.0.1:{self.token_port}/oauth2/v2.0/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.introspection_port}/introspect"

    def reset(self, username: str = "") -> None:
        with self.lock:
            self.client_secret = "cs-" + secrets.token_urlsafe(16)
            self.refresh_token = "rt-" + secrets.token_urlsafe(16)
            secretlog.register(self.client_secret, self.refresh_token)
            self.username, self.lifetime, self.refuse_all = username, 3600, False
            self.tokens.clear()
            self.issued.clear()
            self.introspected.clear()

    def is_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.tokens.get(token)
            return not self.refuse_all and expiry is not None and time.time() < expiry

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    def issue(self, grant: str) -> dict:
        token = "at-" + secrets.token_urlsafe(24)
        secretlog.register(token)
        with self.lock:
            self.tokens[token] = time.time() + self.lifetime
            self.issued.append(grant)
            lifetime = self.lifetime
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def env(self, **extra: str) -> dict[str, str]:
        """The focalbot settings of a log-in through this provider."""
        base = {
            "MAIL_AUTH": "xoauth2",
            "OAUTH_TOKEN_URL": self.token_url,
            "OAUTH_CLIENT_ID": self.client_id,
            "OAUTH_CLIENT_SECRET": self.client_secret,
            "OAUTH_SCOPE": "https://outlook.office365.com/.default",
        }
        base.update(extra)
        return base

    def secrets(self) -> list[str]:
        """Everything that must never be logged: the secret, the refresh token, the tokens."""
        with self.lock:
            return [self.client_secret, self.refresh_token, *self.tokens]


def _handler(provider: OAuthProvider, kind: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if kind == "introspection":
                active = provider.is_valid(form.get("token", ""))
                provider.introspected.append(active)
                if active:
                    self._answer(200, {"active": True, "username": provider.username})
                else:
                    self._answer(200, {"active": False})
                return
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                pair = base64.b64decode(basic[6:]).decode()
                client_id, secret = (unquote(p) for p in pair.split(":", 1))
            if client_id != provider.client_id or secret != provider.client_secret:
                self._answer(401, {"error": "invalid_client"})
                return
            grant = form.get("grant_type", "")
            if grant == "client_credentials":
                self._answer(200, provider.issue(grant))
            elif grant == "refresh_token" and form.get("refresh_token") == provider.refresh_token:
                self._answer(200, provider.issue(grant))
            elif grant == "refresh_token":
                self._answer(400, {"error": "invalid_grant"})
            else:
                self._answer(400, {"error": "unsupported_grant_type"})

    return Handler


def start_provider(ca: TestCA) -> OAuthProvider:
    provider = OAuthProvider()
    provider.reset()
    token = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider, "token"))
    token.socket = ca.server_context().wrap_socket(token.socket, server_side=True)
    introspection = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider, "introspection"))
    provider.token_port = token.server_address[1]
    provider.introspection_port = introspection.server_address[1]
    for server in (token, introspection):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        provider.servers.append(server)
    return provider


@pytest.fixture(scope="session")
def oauth_provider(test_ca):
    provider = start_provider(test_ca)
    yield provider
    for server in provider.servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def oauth(oauth_provider, test_ca, monkeypatch):
    """The session's provider, with a new client secret and refresh token and no tokens;
    the token endpoint's certificate is trusted through requests' REQUESTS_CA_BUNDLE."""
    from bot import mailauth

    oauth_provider.reset()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(test_ca.ca_file))
    mailauth.clear()
    yield oauth_provider
    mailauth.clear()
