import pytest

from bot.config import ConfigError, load
from tests.conftest import make_settings


def env(tmp_path, **kw):
    base = {"FOCALBOT_VAR": str(tmp_path), "SECRET_KEY": "x" * 20}
    base.update(kw)
    return base


def test_embedded_defaults(tmp_path):
    s = load(env(tmp_path))
    assert s.database_url == f"sqlite:///{tmp_path}/focalbot.sqlite"
    assert s.broker_url.startswith("sqla+sqlite:///")
    assert s.smtp is None and s.imap is None
    assert s.local_outbox == tmp_path / "outbox"


def test_server_urls(tmp_path):
    s = load(
        env(
            tmp_path,
            SMTP_URL="smtps://bot:p%40ss@mail.example.org",
            IMAP_URL="imap://bot:pw@127.0.0.1:1143/Replies",
            DATABASE_URL="postgresql://u@db/focalbot",
        )
    )
    assert (s.smtp.host, s.smtp.port, s.smtp.password, s.smtp.tls) == (
        "mail.example.org",
        465,
        "p@ss",
        True,
    )
    assert (s.imap.port, s.imap.path) == (1143, "Replies")
    assert s.database_url == "postgresql+psycopg://u@db/focalbot"
    assert "pw" not in s.imap.redacted()


@pytest.mark.parametrize(
    "name, value, needle",
    [
        ("SMTP_URL", "http://mail", "SMTP_URL: scheme"),
        ("IMAP_URL", "imap://:1/", "IMAP_URL: no host"),
        ("SMTP_URL", "smtp://host:notaport", "SMTP_URL: bad port"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("PUBLIC_URL", "bot.example.org", "PUBLIC_URL"),
        ("REPLY_ADDRESS", "not an address", "REPLY_ADDRESS"),
        ("REPLY_ADDRESS", "replies+x@example.org", "REPLY_ADDRESS"),
        ("MAIL_FROM", "a@b.org\r\nBcc: x@y.org", "MAIL_FROM"),
        ("SMTP_TIMEOUT", "soon", "SMTP_TIMEOUT"),
        ("SECRET_KEY", "short", "SECRET_KEY"),
        ("CELERY_BROKER_URL", "amqp://x", "CELERY_BROKER_URL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value, needle):
    with pytest.raises(ConfigError, match=needle):
        load(env(tmp_path, **{name: value}))


def test_a_generated_secret_key_is_kept(tmp_path):
    e = {"FOCALBOT_VAR": str(tmp_path)}
    assert load(e).secret_key == load(e).secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_settings_repr_holds_no_password_or_key(tmp_path):
    s = make_settings(
        tmp_path,
        DATABASE_URL="postgresql://focalbot:db-pw-9x@db.example.org/focalbot",
        CELERY_BROKER_URL="redis://:redis-pw-9x@redis.example.org:6379/0",
        SMTP_URL="smtps://bot:smtp-pw-9x@smtp.example.org",
        IMAP_URL="imaps://bot:imap-pw-9x@imap.example.org/INBOX",
        SECRET_KEY="secret-key-9x-0123456789abcdefghijkl",
    )
    shown = repr(s)
    for secret in ("db-pw-9x", "redis-pw-9x", "smtp-pw-9x", "imap-pw-9x", "secret-key-9x"):
        assert secret not in shown
    assert "smtp.example.org" in shown and "imap.example.org" in shown
