"""Secrets never appear in logs: the run's log file is checked at its end (tests/secretlog.py,
hooked in tests/conftest.py); these tests check that the check works, and the places a
secret is most likely to slip out: a mail server refusing the log-in of a URL that holds
the password, and a page that fails with a session cookie or a form link in the request."""

from __future__ import annotations

import logging
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from bot import audit, db, links, service
from bot.inbound.poll import PollError
from bot.model import AuditEvent, Message, Problem
from tests import factories, secretlog
from tests.conftest import make_settings
from tests.forms.helpers import PASSWORD, Client, make_web_app
from tests.security.conftest import logged_in
from tests.servers import free_port

pytestmark = pytest.mark.usefixtures("fixed_clock")


# -- the run's log and its check -----------------------------------------------------


def test_every_record_of_the_run_reaches_the_test_log():
    path = secretlog.log_path()
    assert path is not None, "tests/conftest.py did not start the test log"
    marker = f"log-check-{uuid.uuid4().hex}"
    logging.getLogger("bot.anything").info("%s", marker)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert marker in path.read_text(encoding="utf-8")


def test_the_secrets_the_tests_use_are_watched(tmp_path, settings, session, users, opened):
    _req, _contact, raw = opened
    watched = secretlog.watched()
    assert settings.secret_key in watched  # bot.config.load
    assert PASSWORD in watched  # bot.auth.set_password
    assert raw in watched  # bot.links.new_raw
    from bot import apikeys

    _row, key = apikeys.create(session, users["admin"], label="t", actor="test")
    assert key in secretlog.watched()
    loaded = make_settings(tmp_path, SMTP_URL="smtp://u:smtp-pass-1234@h:25")
    assert loaded.smtp is not None and "smtp-pass-1234" in secretlog.watched()


def test_a_secret_in_the_log_text_is_found_whatever_surrounds_it():
    token = "Ab3dE5gH7jK9mN1pQ"
    text = (
        "INFO werkzeug: GET /f/[token] 200\n"
        f"ERROR focalbot: Exception on /f/{token}/review [GET]\n"
        "WARNING bot: login for smtp://u:***@h:25 failed with pw=horse battery staple!\n"
    )
    found = secretlog.leaks(text, {token, "horse battery staple", "not-in-the-text", "ab3de5g"})
    assert set(found) == {token, "horse battery staple"}
    assert found[token].startswith("ERROR focalbot")
    assert secretlog.leaks("GET /f/[token] 200", {token}) == {}
    assert secretlog.mask(token) == "Ab3…(17 characters)" and token not in secretlog.mask(token)


def test_short_values_are_not_watched():
    before = secretlog.watched()
    secretlog.register("wrong", "x", "", None, 12345678)
    assert secretlog.watched() == before


# -- a mail server refusing the log-in ----------------------------------------------


class _Refusing:
    """An SMTP server that offers AUTH and refuses every user name and password."""

    def __call__(self, _server, _session, _envelope, _mechanism, data):
        assert isinstance(data, LoginPassword)
        return AuthResult(success=False, handled=False)


class _Sink:
    async def handle_DATA(self, _server, _session, _envelope):
        return "250 OK"


@pytest.fixture
def auth_smtp():
    port = free_port()
    controller = Controller(
        _Sink(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_Refusing(),
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    yield port
    controller.stop()


def _queued(app, settings_) -> int:
    with app.app_context():
        with db.session() as s:
            factories.focal_point(s, "FR")
            factories.request(s, "FR")
        result = service.tick(settings_)
    assert len(result.plan.queued) == 1
    with db.session() as s:
        return s.scalars(select(Message.id)).one()


def _everything_written(session) -> str:
    """The problem, error and audit columns a failure writes, as one text."""
    session.expire_all()
    parts = [str(m.error) + str(m.smtp_response) for m in session.scalars(select(Message))]
    parts += [str(audit.data_of(e)) for e in session.scalars(select(AuditEvent))]
    parts += [str(p.message) for p in session.scalars(select(Problem))]
    return "\n".join(parts)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("server", ["refuses the log-in", "offers no log-in"])
def test_a_failing_smtp_login_logs_and_records_no_password(
    tmp_path, settings, session, caplog, auth_smtp, smtp_server, server
):
    from bot.app import create_app

    password = f"smtp-pw-{uuid.uuid4().hex[:12]}"
    port = auth_smtp if server == "refuses the log-in" else smtp_server.port
    url = f"smtp://focalbot:{password}@127.0.0.1:{port}"
    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, SMTP_URL=url)
    app = create_app(s)
    caplog.set_level(logging.DEBUG)
    _queued(app, s)
    written = _everything_written(session)
    assert {m.delivery for m in session.scalars(select(Message))} <= {"retry", "failed"}
    assert "SMTP" in written or "smtp://" in written  # the failure is written down
    assert password not in caplog.text and password not in written
    assert url not in caplog.text and url not in written
    if server == "offers no log-in":  # the error names the server by its redacted URL
        assert f"smtp://focalbot:***@127.0.0.1:{port}" in written
    assert smtp_server.messages == []


def test_a_failing_imap_login_logs_and_reports_the_redacted_url(
    tmp_path, settings, session, caplog, dovecot
):
    password = f"imap-pw-{uuid.uuid4().hex[:12]}"
    secretlog.register(password)
    url = f"imap://{dovecot.user}:{password}@{dovecot.host}:{dovecot.port}/INBOX"
    s = make_settings(tmp_path, DATABASE_URL=settings.database_url, IMAP_URL=url)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PollError) as raised:
        service.poll(s)
    said = str(raised.value)
    written = _everything_written(session)
    assert "refused the login" in said and dovecot.user in said
    assert password not in said + written + caplog.text
    assert dovecot.password not in said + written + caplog.text
    redacted = f"imap://{dovecot.user}:***@{dovecot.host}:{dovecot.port}/INBOX"
    assert s.imap is not None and s.imap.redacted() == redacted
    assert url not in caplog.text


# -- a page that fails --------------------------------------------------------------


def _failing_app(settings):
    """The app as in production for errors: an exception becomes the 500 page and a log line
    (TESTING would let it through to the test)."""
    from bot.app import create_app

    return create_app(settings, TESTING=False, WTF_CSRF_ENABLED=False)


def _boom(*_args, **_kwargs):
    """A fault no real component produces on demand: the page's own code fails."""
    raise RuntimeError("the page failed")


def test_a_500_on_a_form_page_shows_and_logs_no_link_code(
    settings, session, opened, monkeypatch, caplog
):
    _req, _contact, raw = opened
    app = _failing_app(settings)
    monkeypatch.setattr("forms.flow.show", _boom)
    client = Client(app, session)
    with caplog.at_level(logging.INFO):
        resp = client.get(f"/f/{raw}?lang=en")
    assert resp.status_code == 500
    page = resp.get_data(as_text=True)
    assert "Something went wrong" in page
    assert raw not in page
    assert "RuntimeError" in caplog.text  # the failure is logged, with its traceback
    assert raw not in caplog.text, caplog.text[-2000:]
    assert links.digest(raw) not in caplog.text


def test_a_500_on_the_desk_shows_and_logs_no_session_cookie(
    settings, session, users, monkeypatch, caplog
):
    app = _failing_app(settings)
    desk = logged_in(app, session, users["officer"])
    cookie = desk.client.get_cookie("session")
    assert cookie is not None
    monkeypatch.setattr("bot.desk.views.render_template", _boom)
    with caplog.at_level(logging.INFO):
        resp = desk.get("/desk/")
    assert resp.status_code == 500
    assert "RuntimeError" in caplog.text
    page = resp.get_data(as_text=True)
    for value in (cookie.value, settings.secret_key, PASSWORD):
        assert value not in page and value not in caplog.text


def test_a_wrong_password_is_not_logged(settings, session, users, caplog):
    app = make_web_app(settings, csrf=False)
    client = Client(app, session)
    wrong = "Tr0ub4dor&3-not-the-password"
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/desk/login", data={"email": users["officer"], "password": wrong})
    assert resp.status_code == 200
    assert wrong in secretlog.watched()  # bot.auth.check_password noted it
    assert wrong not in caplog.text
    assert wrong not in _everything_written(session)
