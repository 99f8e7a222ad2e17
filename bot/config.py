"""Settings, read once from environment variables and checked at start-up.

Every setting focalbot reads is listed in ``SETTINGS`` below (the README's
configuration table is generated from the same list). A bad value raises
``ConfigError`` with a message naming the variable, before anything starts.
"""

from __future__ import annotations

import os
import secrets
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value focalbot cannot use."""


@dataclass(frozen=True)
class ServerURL:
    """A parsed ``smtp://``, ``smtps://``, ``imap://`` or ``imaps://`` URL."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)  # never in a log line or a traceback's locals
    path: str

    @property
    def tls(self) -> bool:
        return self.scheme.endswith("s")

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        path = f"/{self.path}" if self.path else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}{path}"


@dataclass(frozen=True)
class OAuthClient:
    """The OAuth 2.0 client focalbot logs in to mail with (MAIL_AUTH=xoauth2)."""

    token_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    scope: str = ""

    @property
    def flow(self) -> str:
        return "refresh_token" if self.refresh_token else "client_credentials"


STARTTLS_MODES = ("auto", "required", "off")
MAIL_AUTHS = ("password", "xoauth2")


# (name, default, description). The default "" means unset.
SETTINGS: list[tuple[str, str, str]] = [
    (
        "FOCALBOT_ENV",
        "development",
        "development or production; in production the web app, the worker, beat and "
        "`focalbot run` refuse to start with a weak or generated SECRET_KEY, a generated audit "
        "key or mail without TLS.",
    ),
    ("FOCALBOT_VAR", "var", "Folder for the embedded database, mail folders and secret key."),
    ("DATABASE_URL", "sqlite:///{var}/focalbot.sqlite", "SQLAlchemy URL of the database."),
    (
        "CELERY_BROKER_URL",
        "sqla+sqlite:///{var}/celery.sqlite",
        "Celery broker (redis://host:6379/0 in production).",
    ),
    (
        "SMTP_URL",
        "",
        "smtp://user:password@host:port (STARTTLS as SMTP_STARTTLS says) or smtps:// for "
        "implicit TLS; unset writes .eml files to LOCAL_OUTBOX.",
    ),
    (
        "SMTP_STARTTLS",
        "auto",
        "STARTTLS on smtp://: auto (when the server offers it), required (a server that "
        "does not offer it fails the send) or off.",
    ),
    ("SMTP_TIMEOUT", "30", "Seconds before an SMTP connection or command gives up."),
    (
        "IMAP_URL",
        "",
        "imap://user:password@host:port/FOLDER or imaps:// for implicit TLS; unset reads the "
        "Maildir LOCAL_MAILDIR.",
    ),
    (
        "IMAP_STARTTLS",
        "auto",
        "STARTTLS on imap://: auto (when the server offers it), required (a server that "
        "does not offer it fails the poll) or off.",
    ),
    (
        "MAIL_CA_FILE",
        "",
        "PEM file of certificate authorities trusted for SMTP and IMAP besides the system's "
        "(a private CA); certificates and host names are always verified.",
    ),
    (
        "MAIL_AUTH",
        "password",
        "How focalbot logs in to SMTP and IMAP: password (the one in the URL) or xoauth2 "
        "(an OAuth 2.0 access token for the URL's user name).",
    ),
    (
        "OAUTH_TOKEN_URL",
        "",
        "OAuth 2.0 token endpoint (https://) for MAIL_AUTH=xoauth2.",
    ),
    ("OAUTH_CLIENT_ID", "", "OAuth 2.0 client (application) id for MAIL_AUTH=xoauth2."),
    ("OAUTH_CLIENT_SECRET", "", "OAuth 2.0 client secret for MAIL_AUTH=xoauth2."),
    (
        "OAUTH_REFRESH_TOKEN",
        "",
        "Refresh token for the refresh-token flow; unset uses the client-credentials flow.",
    ),
    ("OAUTH_SCOPE", "", "Scopes asked for with the token, separated by spaces."),
    ("IMAP_TIMEOUT", "30", "Seconds before an IMAP connection or command gives up."),
    (
        "IMAP_PROCESSED_FOLDER",
        "focalbot-processed",
        "IMAP folder that handled messages are moved to.",
    ),
    (
        "IMAP_REVIEW_FOLDER",
        "focalbot-review",
        "IMAP folder for messages that went to triage or could not be parsed.",
    ),
    ("IMAP_BOUNCES_FOLDER", "focalbot-bounces", "IMAP folder for delivery failure notices."),
    (
        "LOCAL_OUTBOX",
        "{var}/outbox",
        "Folder where outgoing mail is written as .eml files when SMTP_URL is unset.",
    ),
    ("LOCAL_MAILDIR", "{var}/maildir", "Maildir read for incoming mail when IMAP_URL is unset."),
    (
        "REPLY_ADDRESS",
        "replies@secretariat.example.org",
        "Mailbox replies come to; the request token is added as replies+TOKEN@domain.",
    ),
    (
        "MAIL_FROM",
        "UNTOC secretariat <secretariat@secretariat.example.org>",
        "From address of outgoing mail.",
    ),
    ("PUBLIC_URL", "http://127.0.0.1:5000", "Base URL of the web forms, used in links in emails."),
    (
        "SECRET_KEY",
        "",
        "Key that signs sessions and CSRF tokens; generated into FOCALBOT_VAR when unset.",
    ),
    (
        "SECRETARIAT_NAME",
        "",
        "Name that signs outgoing letters; unset: the secretariat of the Conference of the "
        "Parties, in the letter's language.",
    ),
    ("POLICY_FILE", "", "Reminder policy (TOML); unset uses bot/data/policies/default.toml."),
    ("TOKEN_VALID_DAYS", "365", "Days after its due date a request's form link keeps working."),
    ("PLAN_INTERVAL", "60", "Seconds between planning passes run by Celery beat."),
    ("POLL_INTERVAL", "60", "Seconds between mailbox polls run by Celery beat."),
    ("SWEEP_INTERVAL", "60", "Seconds between outbox sweeps run by Celery beat."),
    (
        "BEAT_LEASE_SECONDS",
        "30",
        "Seconds a Celery beat's lease on sending the periodic tasks lasts; renewed every third "
        "of it. A standby beat takes over within this time after the leader dies.",
    ),
    (
        "MAILBOX_LEASE_SECONDS",
        "120",
        "Seconds a mailbox reader's lease lasts (longer than a batch of messages takes); "
        "renewed between batches, so that one process at a time reads each mailbox. A reader "
        "that died holds the mailbox this long.",
    ),
    (
        "SEND_RETRY_SECONDS",
        "60",
        "Seconds before a letter the SMTP server did not take is tried again; the wait doubles "
        "after each failure, up to six hours.",
    ),
    (
        "SEND_CLAIM_TIMEOUT",
        "600",
        "Seconds after which a message claimed by a sender that died is sent again (same "
        "Message-ID).",
    ),
    ("LOG_LEVEL", "INFO", "Logging level."),
    (
        "LOG_FORMAT",
        "",
        "text or json (one JSON object a line, with the request or task id); unset: text in "
        "development, json in production.",
    ),
    (
        "PROXY_HOPS",
        "0",
        "Reverse proxies in front of the web app whose X-Forwarded-For and X-Forwarded-Proto "
        "are trusted (the client's address counts wrong form links).",
    ),
    (
        "AUTHSERV_ID",
        "",
        "authserv-id of our own receiving server in Authentication-Results; unset ignores "
        "those headers.",
    ),
    (
        "ATTACHMENT_DIR",
        "{var}/attachments",
        "Folder where attachments of incoming mail are stored by SHA-256.",
    ),
    (
        "ATTACHMENT_MAX_BYTES",
        "26214400",
        "Most bytes of attachments kept from one incoming message.",
    ),
    (
        "AUDIT_KEY_FILE",
        "{var}/audit_key",
        "File holding the key of the audit log's HMAC chain (generated, mode 0600, when "
        "missing); keep it and a copy away from the database and its backups.",
    ),
    (
        "AUDIT_CHECKPOINT_DIR",
        "{var}/checkpoints",
        "Folder where `focalbot audit checkpoint` writes the signed head of the audit log.",
    ),
    (
        "AUDIT_CHECKPOINT_TO",
        "",
        "Email address each audit checkpoint is also sent to; unset sends none.",
    ),
]


@dataclass(frozen=True)
class Settings:
    """Every setting, read once. Its repr leaves out what may hold a password or a key."""

    var_dir: Path
    database_url: str = field(repr=False)  # postgresql://user:password@...
    broker_url: str = field(repr=False)  # redis://:password@...
    smtp: ServerURL | None
    smtp_timeout: float
    imap: ServerURL | None
    imap_timeout: float
    imap_processed_folder: str
    local_outbox: Path
    local_maildir: Path
    reply_address: str
    mail_from: str
    public_url: str
    secret_key: str = field(repr=False)
    secretariat_name: str
    token_valid_days: int
    policy_file: Path | None
    plan_interval: float
    poll_interval: float
    sweep_interval: float
    send_claim_timeout: float
    log_level: str
    extra: dict[str, str] = field(default_factory=dict)
    authserv_id: str = ""
    proxy_hops: int = 0
    attachment_dir: Path = Path("var/attachments")
    attachment_max_bytes: int = 26214400
    imap_review_folder: str = "focalbot-review"
    imap_bounces_folder: str = "focalbot-bounces"
    beat_lease_seconds: float = 30.0
    mailbox_lease_seconds: float = 120.0
    send_retry_seconds: float = 60.0
    audit_key_file: Path = Path("var/audit_key")
    audit_key: bytes = field(default=b"", repr=False)
    audit_checkpoint_dir: Path = Path("var/checkpoints")
    audit_checkpoint_to: str = ""
    smtp_starttls: str = "auto"
    imap_starttls: str = "auto"
    mail_ca_file: Path | None = None
    mail_auth: str = "password"
    oauth: OAuthClient | None = None
    environment: str = "development"
    log_format: str = "text"

    @property
    def reply_local(self) -> str:
        return self.reply_address.split("@", 1)[0]

    @property
    def mail_domain(self) -> str:
        return self.reply_address.rsplit("@", 1)[1]


def _server_url(name: str, value: str, schemes: dict[str, int]) -> ServerURL | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(
            f"{name}: scheme must be one of {allowed}, got {value.split(':', 1)[0]!r}"
        )
    if not parts.hostname:
        raise ConfigError(f"{name}: no host in the URL")
    try:
        port = parts.port or schemes[parts.scheme]
    except ValueError as exc:
        raise ConfigError(f"{name}: bad port ({exc})") from None
    return ServerURL(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        path=unquote(parts.path.lstrip("/")),
    )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name}: one of {', '.join(allowed)}, got {value!r}")
    return value


def _ca_file(value: str) -> Path | None:
    if not value:
        return None
    path = Path(value)
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise ConfigError(f"MAIL_CA_FILE: no file at {path}") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConfigError(f"MAIL_CA_FILE: {path} is not a PEM certificate file ({exc})") from None
    return path


def _oauth(
    raw: dict[str, str], env: dict[str, str], auth: str, urls: list[ServerURL | None]
) -> OAuthClient | None:
    if auth != "xoauth2":
        return None
    # the secrets as given, untouched by the {var} expansion of the other settings
    secret, refresh = env.get("OAUTH_CLIENT_SECRET", ""), env.get("OAUTH_REFRESH_TOKEN", "")
    token_url = raw["OAUTH_TOKEN_URL"].strip()
    if not token_url.startswith("https://"):
        raise ConfigError("OAUTH_TOKEN_URL: MAIL_AUTH=xoauth2 needs the https:// token endpoint")
    if not raw["OAUTH_CLIENT_ID"].strip():
        raise ConfigError("OAUTH_CLIENT_ID: MAIL_AUTH=xoauth2 needs the client id")
    if not refresh and not secret:
        raise ConfigError(
            "OAUTH_CLIENT_SECRET: the client-credentials flow (no OAUTH_REFRESH_TOKEN) needs it"
        )
    for url in urls:
        if url is not None and not url.username:
            name = "SMTP_URL" if url.scheme.startswith("smtp") else "IMAP_URL"
            raise ConfigError(f"{name}: MAIL_AUTH=xoauth2 needs the mailbox's user name in it")
    return OAuthClient(
        token_url=token_url,
        client_id=raw["OAUTH_CLIENT_ID"].strip(),
        client_secret=secret,
        refresh_token=refresh,
        scope=" ".join(raw["OAUTH_SCOPE"].split()),
    )


def mail_tls_problems(settings: Settings) -> list[str]:
    """Each mail connection that TLS does not protect, named in one line (empty: all do).

    smtps:// and imaps:// are TLS from the first byte; smtp:// and imap:// are protected only
    with STARTTLS required (``auto`` falls back to plain text when a server, or someone in the
    middle, does not offer it); local folders are no connection to protect.
    """
    out = []
    smtp, imap = settings.smtp, settings.imap
    if smtp is None:
        out.append(f"SMTP_URL: unset (mail is written to {settings.local_outbox}); use smtps://")
    elif smtp.scheme == "smtp" and settings.smtp_starttls != "required":
        out.append(
            f"SMTP_URL: mail is sent without TLS ({smtp.redacted()} with SMTP_STARTTLS="
            f"{settings.smtp_starttls}); use smtps:// or SMTP_STARTTLS=required"
        )
    if imap is None:
        out.append(f"IMAP_URL: unset (mail is read from {settings.local_maildir}); use imaps://")
    elif imap.scheme == "imap" and settings.imap_starttls != "required":
        out.append(
            f"IMAP_URL: mail is read without TLS ({imap.redacted()} with IMAP_STARTTLS="
            f"{settings.imap_starttls}); use imaps:// or IMAP_STARTTLS=required"
        )
    return out


def _number(name: str, value: str, *, minimum: float = 0) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum:g}, got {value!r}")
    return number


def _address(name: str, value: str) -> str:
    from email.utils import getaddresses, parseaddr

    addr = parseaddr(value)[1]
    if any(c in value for c in "\r\n"):
        raise ConfigError(f"{name}: must be on one line")
    if len(getaddresses([value])) != 1:  # it goes whole in Reply-To: one address, not a list
        raise ConfigError(f"{name}: must be one address, got {value!r}")
    try:
        validate_email(addr, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ConfigError(f"{name}: not an email address ({exc})") from None
    return value


def _secret_key(var_dir: Path, value: str) -> str:
    if value:
        if len(value) < 16:
            raise ConfigError("SECRET_KEY: use at least 16 characters")
        return value
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


AUDIT_KEY_MIN_BYTES = 16


def _audit_key(path: Path) -> bytes:
    """The audit key in ``path``, made there (32 random bytes, mode 0600) when missing.

    A new key is written to a file of its own and linked into place, so that a process
    starting at the same moment reads either no file or the whole key, never a part.
    """
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
            try:
                os.link(fresh, path)
            except FileExistsError:  # another process made it first: use theirs
                pass
        finally:
            fresh.unlink()
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"AUDIT_KEY_FILE: cannot read {path} ({exc.strerror})") from None
    if len(key) < AUDIT_KEY_MIN_BYTES:
        raise ConfigError(
            f"AUDIT_KEY_FILE: {path} holds {len(key)} bytes, the key needs at least "
            f"{AUDIT_KEY_MIN_BYTES}"
        )
    return key


def _raw(env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """The folder FOCALBOT_VAR names, and every setting's value with ``{var}`` filled in."""
    raw = {name: env.get(name, "") or default for name, default, _ in SETTINGS}
    var_dir = Path(raw["FOCALBOT_VAR"])
    if not var_dir.is_absolute():
        var_dir = (Path.cwd() / var_dir).resolve()
    return var_dir, {k: v.replace("{var}", str(var_dir)) for k, v in raw.items()}


def load_audit_key(env: dict[str, str] | None = None) -> bytes:
    """The audit key alone, from the environment (as ``load`` reads it)."""
    _var_dir, raw = _raw(dict(os.environ if env is None else env))
    return _audit_key(Path(raw["AUDIT_KEY_FILE"]))


def load(env: dict[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad one."""
    env = dict(os.environ if env is None else env)
    var_dir, raw = _raw(env)

    db = raw["DATABASE_URL"]
    if db.startswith("postgres://"):
        db = "postgresql+psycopg://" + db[len("postgres://") :]
    elif db.startswith("postgresql://"):
        db = "postgresql+psycopg://" + db[len("postgresql://") :]
    if not db.startswith(("sqlite://", "postgresql+psycopg://")):
        raise ConfigError("DATABASE_URL: use sqlite:///PATH or postgresql://user@host/db")
    broker = raw["CELERY_BROKER_URL"]
    if not broker.startswith(
        ("redis://", "rediss://", "sqla+sqlite://", "sqla+postgresql", "memory://")
    ):
        raise ConfigError("CELERY_BROKER_URL: use redis://host:6379/0 or sqla+sqlite:///PATH")

    public_url = raw["PUBLIC_URL"].rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_URL: must start with http:// or https://")
    reply = _address("REPLY_ADDRESS", raw["REPLY_ADDRESS"])
    if "+" in reply.split("@")[0]:
        raise ConfigError("REPLY_ADDRESS: must not contain '+', the token is added after it")
    level = raw["LOG_LEVEL"].upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("LOG_LEVEL: one of DEBUG, INFO, WARNING, ERROR")
    checkpoint_to = raw["AUDIT_CHECKPOINT_TO"].strip()
    if checkpoint_to:
        _address("AUDIT_CHECKPOINT_TO", checkpoint_to)

    smtp = _server_url("SMTP_URL", raw["SMTP_URL"], {"smtp": 25, "smtps": 465})
    imap = _server_url("IMAP_URL", raw["IMAP_URL"], {"imap": 143, "imaps": 993})
    mail_auth = _choice("MAIL_AUTH", raw["MAIL_AUTH"], MAIL_AUTHS)
    environment = raw["FOCALBOT_ENV"].strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError("FOCALBOT_ENV: development or production")
    log_format = log_format_of(env)

    return Settings(
        var_dir=var_dir,
        database_url=db,
        broker_url=broker,
        smtp=smtp,
        smtp_timeout=_number("SMTP_TIMEOUT", raw["SMTP_TIMEOUT"], minimum=1),
        imap=imap,
        imap_timeout=_number("IMAP_TIMEOUT", raw["IMAP_TIMEOUT"], minimum=1),
        imap_processed_folder=raw["IMAP_PROCESSED_FOLDER"],
        imap_review_folder=raw["IMAP_REVIEW_FOLDER"],
        imap_bounces_folder=raw["IMAP_BOUNCES_FOLDER"],
        local_outbox=Path(raw["LOCAL_OUTBOX"]),
        local_maildir=Path(raw["LOCAL_MAILDIR"]),
        reply_address=reply,
        mail_from=_address("MAIL_FROM", raw["MAIL_FROM"]),
        public_url=public_url,
        secret_key=_secret_key(var_dir, env.get("SECRET_KEY", "")),
        secretariat_name=raw["SECRETARIAT_NAME"],
        policy_file=Path(raw["POLICY_FILE"]) if raw["POLICY_FILE"] else None,
        token_valid_days=int(_number("TOKEN_VALID_DAYS", raw["TOKEN_VALID_DAYS"], minimum=1)),
        plan_interval=_number("PLAN_INTERVAL", raw["PLAN_INTERVAL"], minimum=1),
        poll_interval=_number("POLL_INTERVAL", raw["POLL_INTERVAL"], minimum=1),
        sweep_interval=_number("SWEEP_INTERVAL", raw["SWEEP_INTERVAL"], minimum=1),
        beat_lease_seconds=_number("BEAT_LEASE_SECONDS", raw["BEAT_LEASE_SECONDS"], minimum=3),
        mailbox_lease_seconds=_number(
            "MAILBOX_LEASE_SECONDS", raw["MAILBOX_LEASE_SECONDS"], minimum=10
        ),
        send_claim_timeout=_number("SEND_CLAIM_TIMEOUT", raw["SEND_CLAIM_TIMEOUT"], minimum=1),
        send_retry_seconds=_number("SEND_RETRY_SECONDS", raw["SEND_RETRY_SECONDS"], minimum=1),
        log_level=level,
        authserv_id=raw["AUTHSERV_ID"].strip().lower(),
        proxy_hops=int(_number("PROXY_HOPS", raw["PROXY_HOPS"], minimum=0)),
        attachment_dir=Path(raw["ATTACHMENT_DIR"]),
        attachment_max_bytes=int(
            _number("ATTACHMENT_MAX_BYTES", raw["ATTACHMENT_MAX_BYTES"], minimum=0)
        ),
        audit_key_file=Path(raw["AUDIT_KEY_FILE"]),
        audit_key=_audit_key(Path(raw["AUDIT_KEY_FILE"])),
        audit_checkpoint_dir=Path(raw["AUDIT_CHECKPOINT_DIR"]),
        audit_checkpoint_to=checkpoint_to,
        smtp_starttls=_choice("SMTP_STARTTLS", raw["SMTP_STARTTLS"], STARTTLS_MODES),
        imap_starttls=_choice("IMAP_STARTTLS", raw["IMAP_STARTTLS"], STARTTLS_MODES),
        mail_ca_file=_ca_file(raw["MAIL_CA_FILE"]),
        mail_auth=mail_auth,
        oauth=_oauth(raw, env, mail_auth, [smtp, imap]),
        environment=environment,
        log_format=log_format,
    )


ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")


def log_format_of(env: Mapping[str, str]) -> str:
    """LOG_FORMAT as set, else ``json`` in production and ``text`` in development.

    Read from the environment alone, so that gunicorn's logger class can use it before the
    application (and its settings) exist.
    """
    value = env.get("LOG_FORMAT", "").strip().lower()
    if not value:
        production = env.get("FOCALBOT_ENV", "").strip().lower() == "production"
        return "json" if production else "text"
    if value not in LOG_FORMATS:
        raise ConfigError("LOG_FORMAT: text or json")
    return value


# Secret keys that appear in examples and templates: never a production key.
KNOWN_SECRET_KEYS = frozenset(
    {
        "change-me",
        "changeme",
        "change-this",
        "secret",
        "secret-key",
        "secretkey",
        "dev",
        "development",
        "test",
        "password",
        "insecure",
    }
)
PRODUCTION_KEY_LENGTH = 32


def audit_key_explicit(env: Mapping[str, str]) -> bool:
    """Whether AUDIT_KEY_FILE is set in the environment (rather than the key generated into
    FOCALBOT_VAR by default)."""
    return bool(env.get("AUDIT_KEY_FILE", "").strip())


def _secret_key_problems(env: Mapping[str, str]) -> list[str]:
    key = env.get("SECRET_KEY", "").strip()
    if not key:
        return ["SECRET_KEY: unset (a key generated into FOCALBOT_VAR is for development only)"]
    problems = []
    if len(key) < PRODUCTION_KEY_LENGTH:
        problems.append(f"SECRET_KEY: use at least {PRODUCTION_KEY_LENGTH} characters")
    lowered = key.lower()
    if lowered in KNOWN_SECRET_KEYS or "change-me" in lowered or "changeme" in lowered:
        problems.append("SECRET_KEY: a value from an example; use a long random string")
    elif len(set(key)) < 8:
        problems.append("SECRET_KEY: too few different characters; use a long random string")
    return problems


def production_problems(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """Why production mode refuses to start, one line each; empty in development.

    ``env`` is the environment the settings came from: what was set explicitly matters (a
    generated secret key or audit key is for development only).
    """
    if settings.environment != "production":
        return []
    problems = _secret_key_problems(env)
    if not audit_key_explicit(env):
        problems.append(
            "AUDIT_KEY_FILE: unset (the key generated into FOCALBOT_VAR is for development only);"
            " point it at a key file kept apart from the database"
        )
    return problems + mail_tls_problems(settings)


def refuse_unsafe_production(settings: Settings, env: Mapping[str, str]) -> None:
    """Raise ConfigError naming every production problem, one per line."""
    problems = production_problems(settings, env)
    if problems:
        raise ConfigError(
            "production mode (FOCALBOT_ENV=production) refuses to start:\n" + "\n".join(problems)
        )
