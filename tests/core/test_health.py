"""/healthz says the process is up; /readyz names each thing it depends on with its state."""

from __future__ import annotations

from bot.app import create_app
from tests.conftest import make_settings
from tests.servers import free_port


def _app(tmp_path, settings, **env):
    return create_app(make_settings(tmp_path, DATABASE_URL=settings.database_url, **env))


def test_healthz_answers_while_the_process_is_up(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_readyz_on_the_embedded_defaults(tmp_path, settings):
    (tmp_path / "var" / "maildir" / "new").mkdir(parents=True, exist_ok=True)
    resp = _app(tmp_path, settings).test_client().get("/readyz")
    checks = resp.json["checks"]
    assert set(checks) == {"database", "broker", "smtp", "imap"}
    assert resp.status_code == 200 and resp.json["status"] == "ok", checks


def test_readyz_names_what_fails_and_never_a_password(tmp_path, settings, smtp_server, dovecot):
    dead = free_port()
    app = _app(
        tmp_path,
        settings,
        SMTP_URL=f"smtp://{smtp_server.host}:{smtp_server.port}",
        IMAP_URL=f"imap://{dovecot.user}:{dovecot.password}@127.0.0.1:{dead}",
    )
    resp = app.test_client().get("/readyz")
    checks = resp.json["checks"]
    assert resp.status_code == 503 and resp.json["status"] == "failing"
    assert checks["smtp"]["ok"] and checks["database"]["ok"]
    assert not checks["imap"]["ok"]
    assert dovecot.password not in resp.get_data(as_text=True)
    good = _app(
        tmp_path,
        settings,
        SMTP_URL=f"smtp://{smtp_server.host}:{smtp_server.port}",
        IMAP_URL=f"imap://{dovecot.user}:{dovecot.password}@{dovecot.host}:{dovecot.port}",
    )
    checks = good.test_client().get("/readyz").json["checks"]
    assert checks["imap"]["ok"], checks
