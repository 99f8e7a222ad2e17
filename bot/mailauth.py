"""OAuth 2.0 access tokens for logging in to SMTP and IMAP with XOAUTH2 (MAIL_AUTH=xoauth2).

Microsoft 365 and Gmail no longer take passwords over SMTP and IMAP: the client shows an
access token from the provider's token endpoint instead. A token is fetched with the
client-credentials flow (an application's own permission, as Microsoft 365 grants it) or,
when ``OAUTH_REFRESH_TOKEN`` is set, the refresh-token flow (a user's consent, as Gmail
grants it). It is kept in memory in this process until shortly before it expires, and
fetched again then, or at once when a mail server refuses it (the caller tries once more
with the fresh token).

The token flows are Authlib's (``authlib.integrations.requests_client.OAuth2Session``):
a maintained implementation of RFC 6749's token requests and error responses over
``requests``, whose one session type does both flows, rather than own code for them.

Nothing here logs or raises the access token, the client secret or the refresh token:
an error names the token endpoint and the OAuth error code only.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .config import OAuthClient

log = logging.getLogger(__name__)

# A token this close to its expiry is fetched again rather than shown to a server.
MARGIN = 120.0
# When the endpoint gives no expires_in, a token is kept this long.
DEFAULT_LIFETIME = 3600.0
TIMEOUT = 20.0

T = TypeVar("T")


def text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class MailAuthError(Exception):
    """No access token could be had; the message names the endpoint and the OAuth error code."""


class TokenRefused(Exception):
    """A mail server refused the access token it was shown (raised by the caller's attempt)."""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: float  # time.time() at which the endpoint said it expires

    def __repr__(self) -> str:  # never the token itself
        return f"Token(expires_at={self.expires_at!r})"


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response: ``user=U^Aauth=Bearer T^A^A`` (before base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_base64(user: str, token: str) -> str:
    return base64.b64encode(xoauth2_string(user, token).encode()).decode("ascii")


def needs_refresh(token: Token | None, now: float, margin: float = MARGIN) -> bool:
    """Whether to fetch a token before the next log-in: none yet, or expiring within margin."""
    return token is None or now >= token.expires_at - margin


def expiry(response: dict, now: float) -> float:
    """When a token endpoint's answer expires: ``expires_in`` seconds from now (else an hour)."""
    try:
        seconds = float(response.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        seconds = DEFAULT_LIFETIME
    return now + max(seconds, 0.0)


def _key(client: OAuthClient) -> tuple[str, str, str, str]:
    return (client.token_url, client.client_id, client.scope, client.flow)


_lock = threading.Lock()
_cache: dict[tuple[str, str, str, str], Token] = {}
# A refresh token the endpoint replaced (Microsoft rotates them), kept for this process.
_rotated: dict[tuple[str, str, str, str], str] = {}


def _fetch(client: OAuthClient) -> tuple[Token, str | None]:
    """Ask the token endpoint; return the token and any new refresh token."""
    import requests
    from authlib.integrations.requests_client import OAuth2Session, OAuthError

    scope = client.scope or None
    session = OAuth2Session(client.client_id, client.client_secret or None, scope=scope)
    now = time.time()
    try:
        if client.refresh_token:
            refresh = _rotated.get(_key(client), client.refresh_token)
            answer = session.refresh_token(
                client.token_url, refresh_token=refresh, timeout=TIMEOUT
            )
        else:
            answer = session.fetch_token(
                client.token_url, grant_type="client_credentials", timeout=TIMEOUT
            )
    except OAuthError as exc:
        raise MailAuthError(
            f"the token endpoint {client.token_url} refused the {client.flow} request "
            f"(OAuth error {exc.error})"
        ) from None
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        raise MailAuthError(
            f"the token endpoint {client.token_url} answered HTTP {code}"
        ) from None
    except requests.RequestException as exc:
        raise MailAuthError(
            f"cannot reach the token endpoint {client.token_url} ({type(exc).__name__})"
        ) from None
    finally:
        session.close()
    access = answer.get("access_token")
    if not access:
        raise MailAuthError(f"the token endpoint {client.token_url} gave no access_token")
    new_refresh = answer.get("refresh_token")
    rotated = new_refresh if client.refresh_token and new_refresh else None
    return Token(str(access), expiry(answer, now)), rotated


def access_token(client: OAuthClient, *, fresh: bool = False) -> str:
    """A valid access token for ``client``: the cached one, or a new one from the endpoint."""
    key = _key(client)
    with _lock:
        token = _cache.get(key)
        if token is None or fresh or needs_refresh(token, time.time()):
            token, rotated = _fetch(client)
            _cache[key] = token
            if rotated:
                _rotated[key] = rotated
            log.info(
                "OAuth access token from %s (%s), valid for %.0f s",
                client.token_url,
                client.flow,
                token.expires_at - time.time(),
            )
        return token.access_token


def forget(client: OAuthClient) -> None:
    """Drop the cached token (a server refused it)."""
    with _lock:
        _cache.pop(_key(client), None)


def clear() -> None:
    """Drop every cached token in this process."""
    with _lock:
        _cache.clear()
        _rotated.clear()


def with_token(client: OAuthClient, attempt: Callable[[str], T]) -> T:
    """Run ``attempt(token)``; when it raises TokenRefused, fetch a fresh token and try once
    more. A second refusal is raised."""
    try:
        return attempt(access_token(client))
    except TokenRefused:
        log.info("the mail server refused the cached OAuth token; fetching a fresh one")
        forget(client)
    return attempt(access_token(client, fresh=True))
