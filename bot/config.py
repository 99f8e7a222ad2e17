"""Settings, read once from environment variables and checked at start-up.

Every setting focalbot reads is listed in ``SETTINGS`` below (the README's
configuration table is generated from the same list). A bad value raises
``ConfigError`` with a message naming the variable, before anything starts.
"""

from __future__ import annotations

import os
import secrets
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
    )
