"""Settings, read once from environment variables and checked at start-up.

Every setting focalbot reads is listed in ``SETTINGS`` below (the README's
configuration table is generated from the same list). A bad value raises
``ConfigError`` with a message naming the variable, before anything starts.
"""

from __future__ import annotations

import os
import secrets
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
    password: str | None
    path: str

    @property
    def tls(self) -> bool:
        return self.scheme.endswith("s")

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        path = f"/{self.path}" if self.path else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}{path}"


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
        "smtp://user:password@host:port (STARTTLS when offered) or smtps:// for implicit "
        "TLS; unset writes .eml files to LOCAL_OUTBOX.",
    ),
    ("SMTP_TIMEOUT", "30", "Seconds before an SMTP connection or command gives up."),
    (
        "IMAP_URL",
        "",
        "imap://user:password@host:port/FOLDER or imaps://; unset reads the Maildir LOCAL_MAILDIR.",
    ),
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
]


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    broker_url: str
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
    secret_key: str
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


def _number(name: str, value: str, *, minimum: float = 0) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum:g}, got {value!r}")
    return number


def _address(name: str, value: str) -> str:
    from email.utils import parseaddr

    addr = parseaddr(value)[1]
    if any(c in value for c in "\r\n"):
        raise ConfigError(f"{name}: must be on one line")
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


def load(env: dict[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad one."""
    env = dict(os.environ if env is None else env)
    raw = {name: env.get(name, "") or default for name, default, _ in SETTINGS}
    var_dir = Path(raw["FOCALBOT_VAR"])
    if not var_dir.is_absolute():
        var_dir = (Path.cwd() / var_dir).resolve()
    raw = {k: v.replace("{var}", str(var_dir)) for k, v in raw.items()}

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
    environment = raw["FOCALBOT_ENV"].strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError("FOCALBOT_ENV: development or production")
    log_format = log_format_of(env)

    return Settings(
        var_dir=var_dir,
        database_url=db,
        broker_url=broker,
        smtp=_server_url("SMTP_URL", raw["SMTP_URL"], {"smtp": 25, "smtps": 465}),
        smtp_timeout=_number("SMTP_TIMEOUT", raw["SMTP_TIMEOUT"], minimum=1),
        imap=_server_url("IMAP_URL", raw["IMAP_URL"], {"imap": 143, "imaps": 993}),
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
        send_claim_timeout=_number("SEND_CLAIM_TIMEOUT", raw["SEND_CLAIM_TIMEOUT"], minimum=1),
        log_level=level,
        authserv_id=raw["AUTHSERV_ID"].strip().lower(),
        proxy_hops=int(_number("PROXY_HOPS", raw["PROXY_HOPS"], minimum=0)),
        attachment_dir=Path(raw["ATTACHMENT_DIR"]),
        attachment_max_bytes=int(
            _number("ATTACHMENT_MAX_BYTES", raw["ATTACHMENT_MAX_BYTES"], minimum=0)
        ),
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


def mail_tls_problems(settings: Settings) -> list[str]:
    """Mail that would travel without TLS: one line for each of SMTP and IMAP."""
    problems = []
    if settings.smtp is None:
        problems.append("SMTP_URL: unset (mail is written to a local folder); use smtps://")
    elif not settings.smtp.tls:
        problems.append("SMTP_URL: mail is sent without TLS; use smtps://")
    if settings.imap is None:
        problems.append("IMAP_URL: unset (mail is read from a local folder); use imaps://")
    elif not settings.imap.tls:
        problems.append("IMAP_URL: mail is read without TLS; use imaps://")
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
