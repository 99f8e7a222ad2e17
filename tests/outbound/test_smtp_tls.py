"""Sending over verified TLS (STARTTLS, smtps://) and with XOAUTH2, against aiosmtpd.

The TLS is real (aiosmtpd with a certificate from the session's test CA). aiosmtpd has no
XOAUTH2 mechanism, so its handler checks the token against the test OAuth provider
(tests/servers.py, _OAuthHandler): a fake of the provider's token check only.
"""

import logging

import pytest
from sqlalchemy import select

from bot import db
from bot.model import Problem
from bot.outbound.senders import PROBLEM_KEY, TemporaryFailure, sender_for
from tests.conftest import make_settings

RAW = b"From: a@example.org\r\nTo: b@example.org\r\nMessage-ID: <m1@example.org>\r\n\r\nhello\r\n"


def _settings(settings, **env):
    return make_settings(settings.var_dir.parent, DATABASE_URL=settings.database_url, **env)


def _send(s) -> str:
    sender = sender_for(s)
    with sender.batch():
        return sender.send("bounces@example.org", ["b@example.org"], RAW)


def _problem() -> Problem | None:
    with db.session() as s:
        row = s.scalar(select(Problem).where(Problem.key == PROBLEM_KEY))
        if row is not None:
            s.expunge(row)
        return row


@pytest.fixture
def tls_smtp(smtp_server, test_ca):
    """The SMTP server again, now offering STARTTLS with the test CA's certificate."""
    smtp_server.stop()
    smtp_server.starttls = test_ca.server_context()
    smtp_server.start()
    return smtp_server


@pytest.fixture
def smtps(smtp_server, test_ca):
    smtp_server.stop()
    smtp_server.implicit_tls = test_ca.server_context()
    smtp_server.start()
    return smtp_server


def test_starttls_required_with_the_private_ca_delivers(settings, app, tls_smtp, test_ca):
    s = _settings(
        settings,
        SMTP_URL=tls_smtp.url,
        SMTP_STARTTLS="required",
        MAIL_CA_FILE=str(test_ca.ca_file),
    )
    assert _send(s).startswith("250")
    assert len(tls_smtp.messages) == 1


def test_implicit_tls_with_the_private_ca_delivers(settings, app, smtps, test_ca):
    s = _settings(settings, SMTP_URL=smtps.url, MAIL_CA_FILE=str(test_ca.ca_file))
    assert s.smtp.scheme == "smtps"
    assert _send(s).startswith("250")
    assert len(smtps.messages) == 1


@pytest.mark.parametrize("fixture", ["tls_smtp", "smtps"])
def test_an_unknown_ca_is_refused_as_a_temporary_failure_and_a_problem(
    settings, app, request, fixture, test_ca
):
    server = request.getfixturevalue(fixture)
    url = server.url.replace("://", "://bot:pw-smtp-secret@")
    with pytest.raises(TemporaryFailure) as caught:
        _send(_settings(settings, SMTP_URL=url))
    assert "could not be verified" in str(caught.value) and "MAIL_CA_FILE" in str(caught.value)
    assert "pw-smtp-secret" not in str(caught.value)
    assert server.messages == []
    problem = _problem()
    assert problem.resolved_at is None and "certificate" in problem.message
    # with the CA the next send goes through and the problem is solved
    assert _send(_settings(settings, SMTP_URL=server.url, MAIL_CA_FILE=str(test_ca.ca_file)))
    assert _problem().resolved_at is not None


def test_starttls_required_against_a_server_without_it_is_temporary(settings, app, smtp_server):
    s = _settings(
        settings, SMTP_URL=smtp_server.url.replace("://", "://bot:pw-smtp-secret@"),
        SMTP_STARTTLS="required",
    )
    with pytest.raises(TemporaryFailure, match="does not offer STARTTLS") as caught:
        _send(s)
    assert "pw-smtp-secret" not in str(caught.value)
    assert smtp_server.messages == []
    assert "SMTP_STARTTLS=required" in _problem().message


def test_starttls_off_sends_in_plain_text_even_when_offered(settings, app, tls_smtp):
    """No CA is given: had STARTTLS been used, the certificate would have been refused."""
    assert _send(_settings(settings, SMTP_URL=tls_smtp.url, SMTP_STARTTLS="off"))
    assert len(tls_smtp.messages) == 1


@pytest.fixture
def oauth_smtp(tls_smtp, oauth):
    tls_smtp.stop()
    tls_smtp.check_token = oauth.is_valid
    tls_smtp.start()
    return tls_smtp


def _oauth_settings(settings, server, oauth, test_ca, **extra):
    return _settings(
        settings,
        SMTP_URL=server.url.replace("://", "://bot@secretariat.example.org@"),
        SMTP_STARTTLS="required",
        MAIL_CA_FILE=str(test_ca.ca_file),
        **oauth.env(**extra),
    )


def _no_secrets(oauth, *texts):
    for secret in oauth.secrets():
        for text in texts:
            assert secret not in text


def test_xoauth2_sends_with_a_token_and_refreshes_a_revoked_one(
    settings, app, oauth_smtp, oauth, test_ca, caplog
):
    caplog.set_level(logging.DEBUG)
    s = _oauth_settings(settings, oauth_smtp, oauth, test_ca)
    assert _send(s).startswith("250")
    assert oauth_smtp.logins == ["bot@secretariat.example.org"]
    assert oauth.issued == ["client_credentials"]
    _send(s)  # a new connection, the cached token
    assert oauth.issued == ["client_credentials"]
    oauth.revoke_all()
    _send(s)  # refused once, fetched again, sent
    assert oauth.issued == ["client_credentials", "client_credentials"]
    assert len(oauth_smtp.messages) == 3
    _no_secrets(oauth, caplog.text)


def test_xoauth2_with_the_refresh_token_flow(settings, app, oauth_smtp, oauth, test_ca):
    s = _oauth_settings(
        settings, oauth_smtp, oauth, test_ca, OAUTH_REFRESH_TOKEN=oauth.refresh_token
    )
    assert _send(s).startswith("250") and oauth.issued == ["refresh_token"]


def test_a_token_refused_twice_is_a_temporary_failure_without_secrets(
    settings, app, oauth_smtp, oauth, test_ca, caplog
):
    caplog.set_level(logging.DEBUG)
    oauth.refuse_all = True
    s = _oauth_settings(settings, oauth_smtp, oauth, test_ca)
    with pytest.raises(TemporaryFailure, match="refused the log-in") as caught:
        _send(s)
    assert len(oauth.issued) == 2 and oauth_smtp.messages == []
    _no_secrets(oauth, str(caught.value), caplog.text, _problem().message)


def test_a_bad_refresh_token_names_the_endpoint_and_the_oauth_error_only(
    settings, app, oauth_smtp, oauth, test_ca, caplog
):
    caplog.set_level(logging.DEBUG)
    s = _oauth_settings(settings, oauth_smtp, oauth, test_ca, OAUTH_REFRESH_TOKEN="rt-stale-one")
    with pytest.raises(TemporaryFailure) as caught:
        _send(s)
    message = str(caught.value)
    assert oauth.token_url in message and "invalid_grant" in message
    assert "rt-stale-one" not in message and "rt-stale-one" not in caplog.text
    _no_secrets(oauth, message, caplog.text)


def test_readyz_proves_the_tls_and_token_path(settings, app, oauth_smtp, oauth, test_ca):
    from bot.app import create_app

    good = _oauth_settings(settings, oauth_smtp, oauth, test_ca)
    checks = create_app(good).test_client().get("/readyz").json["checks"]
    assert checks["smtp"]["ok"] and checks["smtp"]["detail"].startswith("logged in at smtp://")
    env = {"SMTP_URL": oauth_smtp.url, "SMTP_STARTTLS": "required"}
    checks = create_app(_settings(settings, **env)).test_client().get("/readyz").json["checks"]
    assert not checks["smtp"]["ok"] and "CERTIFICATE_VERIFY_FAILED" in checks["smtp"]["detail"]


def test_a_letter_waits_while_starttls_is_missing_and_goes_once_it_is_there(
    tmp_path, settings, smtp_server, test_ca, fixed_clock
):
    """Through the planner and the outbox: SMTP_STARTTLS=required against a server without
    STARTTLS leaves the letter to retry (audited), with the Problem on the desk; once the
    server offers STARTTLS, the same Message-ID goes out and the Problem is solved."""
    from datetime import timedelta

    from bot import audit, service
    from bot.app import create_app
    from bot.model import Message, utcnow
    from tests import factories

    env = {"SMTP_STARTTLS": "required", "MAIL_CA_FILE": str(test_ca.ca_file)}
    s = make_settings(
        tmp_path, DATABASE_URL=settings.database_url, SMTP_URL=smtp_server.url, **env
    )
    with create_app(s).app_context():
        with db.session() as ss:
            factories.focal_point(ss, "FR")
            factories.request(ss, "FR")
        assert service.tick(s).retried == 1 and smtp_server.messages == []
        with db.session() as ss:
            row = ss.scalars(select(Message)).one()
            assert row.delivery == "retry" and "does not offer STARTTLS" in row.error
            mid = row.message_id
            assert audit.verify(ss).ok
        assert "SMTP_STARTTLS=required" in _problem().message
        smtp_server.stop()
        smtp_server.starttls = test_ca.server_context()
        smtp_server.start()
        later = service.send_due(s, now=utcnow() + timedelta(minutes=5))
        assert [r.outcome for r in later] == ["sent"]
        assert _problem().resolved_at is not None
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [mid]
