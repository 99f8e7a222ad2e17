"""Polling Dovecot over verified TLS (imaps://, STARTTLS) and with XOAUTH2 tokens.

The servers are real: a Dovecot with a certificate from a CA made for the session, and a
Dovecot whose ``oauth2`` passdb asks the test provider's introspection endpoint about each
token (tests/oauth.py), which accepts only tokens its own token endpoint issued.
"""

import logging

import pytest
from sqlalchemy import select

from bot import db
from bot.inbound.poll import PollError, poll
from bot.model import Message, Problem
from tests.conftest import make_settings

from .factories import france_with_request, reply

PROCESSED = "focalbot-processed"


def _settings(settings, **env):
    return make_settings(
        settings.var_dir.parent, DATABASE_URL=settings.database_url, IMAP_TIMEOUT="10", **env
    )


def _recorded() -> int:
    with db.session() as s:
        return len(list(s.scalars(select(Message.id).where(Message.direction == "in"))))


def _problem() -> Problem | None:
    with db.session() as s:
        row = s.scalar(select(Problem).where(Problem.key == "mailbox:poll"))
        if row is not None:
            s.expunge(row)
        return row


def test_imaps_with_the_private_ca_reads_a_reply(settings, app, dovecot_tls, test_ca):
    fr = france_with_request()
    dovecot_tls.append(reply(token=fr["token"]))
    box = dovecot_tls
    url = f"imaps://{box.user}:{box.password}@localhost:{box.imaps_port}/INBOX"
    result = poll(_settings(settings, IMAP_URL=url, MAIL_CA_FILE=str(test_ca.ca_file)))
    assert (result.fetched, result.recorded) == (1, 1)
    assert len(dovecot_tls.list_folder(PROCESSED)) == 1


def test_starttls_required_with_the_private_ca_reads_a_reply(settings, app, dovecot_tls, test_ca):
    dovecot_tls.append(reply(token=france_with_request()["token"]))
    box = dovecot_tls
    result = poll(
        _settings(
            settings,
            IMAP_URL=f"imap://{box.user}:{box.password}@127.0.0.1:{box.port}/INBOX",
            IMAP_STARTTLS="required",
            MAIL_CA_FILE=str(test_ca.ca_file),
        )
    )
    assert (result.fetched, result.recorded) == (1, 1)


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_without_the_ca_the_certificate_is_refused_and_named(
    settings, app, dovecot_tls, scheme, caplog
):
    caplog.set_level(logging.DEBUG)
    dovecot_tls.append(reply())
    box = dovecot_tls
    port = box.imaps_port if scheme == "imaps" else box.port
    s = _settings(settings, IMAP_URL=f"{scheme}://{box.user}:{box.password}@127.0.0.1:{port}/")
    with pytest.raises(PollError) as caught:
        poll(s)
    message = str(caught.value)
    assert "certificate" in message and "could not be verified" in message
    assert "MAIL_CA_FILE" in message and box.password not in message
    problem = _problem()
    assert problem is not None and problem.resolved_at is None
    assert "certificate" in problem.message and box.password not in problem.message
    assert box.password not in caplog.text
    assert _recorded() == 0 and len(box.list_folder("INBOX")) == 1


def test_a_certificate_for_another_host_name_is_refused(settings, app, dovecot_tls, test_ca):
    """The test certificate names localhost and 127.0.0.1; 127.0.0.2 reaches the same server
    under a name the certificate does not carry."""
    box = dovecot_tls
    s = _settings(
        settings,
        IMAP_URL=f"imaps://{box.user}:{box.password}@127.0.0.2:{box.imaps_port}/",
        MAIL_CA_FILE=str(test_ca.ca_file),
    )
    with pytest.raises(PollError, match="could not be verified"):
        poll(s)


def test_starttls_required_against_a_server_without_it_sends_no_password(
    settings, app, dovecot
):
    s = _settings(settings, IMAP_URL=dovecot.url, IMAP_STARTTLS="required")
    with pytest.raises(PollError, match="does not offer STARTTLS") as caught:
        poll(s)
    assert dovecot.password not in str(caught.value)
    assert "IMAP_STARTTLS=required" in _problem().message


def test_the_folders_are_made_at_the_start_of_a_poll(settings, app, dovecot):
    """An empty inbox still gets its three folders, before any message needs one."""
    client = dovecot.client()
    try:
        assert not client.folder_exists(PROCESSED)
    finally:
        client.logout()
    s = _settings(
        settings,
        IMAP_URL=dovecot.url,
        IMAP_REVIEW_FOLDER="Review/focalbot",
        IMAP_BOUNCES_FOLDER="bounced",
    )
    result = poll(s)
    assert result.fetched == 0
    client = dovecot.client()
    try:
        names = {f[2] for f in client.list_folders()}
    finally:
        client.logout()
    assert {PROCESSED, "Review/focalbot", "bounced"} <= names
    poll(s)  # present already: nothing to make, no error


def _oauth_url(box) -> str:
    return f"imap://{box.user}@127.0.0.1:{box.port}/INBOX"  # no password: the token logs in


def _assert_no_secrets(oauth, *texts):
    for secret in oauth.secrets():
        for text in texts:
            assert secret not in text


def test_xoauth2_client_credentials_poll_reads_a_reply(
    settings, app, dovecot_oauth, oauth, caplog
):
    caplog.set_level(logging.DEBUG)
    dovecot_oauth.append(reply(token=france_with_request()["token"]))
    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **oauth.env())
    result = poll(s)
    assert (result.fetched, result.recorded) == (1, 1)
    assert oauth.issued == ["client_credentials"]
    assert oauth.introspected and oauth.introspected[-1] is True  # Dovecot asked the provider
    poll(s)  # the cached token serves the next poll
    assert oauth.issued == ["client_credentials"]
    _assert_no_secrets(oauth, caplog.text)


def test_xoauth2_refresh_token_flow(settings, app, dovecot_oauth, oauth, caplog):
    caplog.set_level(logging.DEBUG)
    dovecot_oauth.append(reply(token=france_with_request()["token"]))
    env = oauth.env(OAUTH_REFRESH_TOKEN=oauth.refresh_token, OAUTH_SCOPE="https://mail.google.com/")
    result = poll(_settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **env))
    assert result.recorded == 1 and oauth.issued == ["refresh_token"]
    _assert_no_secrets(oauth, caplog.text)


def test_a_revoked_token_is_refreshed_and_the_poll_succeeds(
    settings, app, dovecot_oauth, oauth, caplog
):
    caplog.set_level(logging.DEBUG)
    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **oauth.env())
    poll(s)
    oauth.revoke_all()  # the cached token is no longer good at the server
    dovecot_oauth.append(reply(token=france_with_request()["token"]))
    result = poll(s)
    assert result.recorded == 1
    assert oauth.issued == ["client_credentials", "client_credentials"]
    assert False in oauth.introspected  # the old token was shown, refused, then replaced
    _assert_no_secrets(oauth, caplog.text)


def test_an_expiring_token_is_fetched_again_before_it_is_shown(
    settings, app, dovecot_oauth, oauth
):
    oauth.lifetime = 30  # within the refresh margin: never worth showing twice
    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **oauth.env())
    poll(s)
    poll(s)
    assert oauth.issued == ["client_credentials", "client_credentials"]
    assert False not in oauth.introspected  # no log-in was tried with a stale token


def test_a_refused_token_is_a_clear_poll_error(settings, app, dovecot_oauth, oauth, caplog):
    caplog.set_level(logging.DEBUG)
    oauth.refuse_all = True
    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **oauth.env())
    with pytest.raises(PollError) as caught:
        poll(s)
    message = str(caught.value)
    assert "refused the XOAUTH2 log-in" in message and dovecot_oauth.user in message
    assert len(oauth.issued) == 2  # one retry with a fresh token, then the error
    _assert_no_secrets(oauth, message, caplog.text, _problem().message)


def test_a_token_endpoint_that_refuses_the_client_is_named(
    settings, app, dovecot_oauth, oauth, caplog
):
    caplog.set_level(logging.DEBUG)
    env = oauth.env(OAUTH_CLIENT_SECRET="wrong-secret-value")
    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **env)
    with pytest.raises(PollError) as caught:
        poll(s)
    message = str(caught.value)
    assert oauth.token_url in message and "invalid_client" in message
    assert "wrong-secret-value" not in message and "wrong-secret-value" not in caplog.text
    _assert_no_secrets(oauth, message, caplog.text)


def test_readyz_logs_in_to_imap_with_the_token(settings, app, dovecot_oauth, oauth):
    from bot.app import create_app

    s = _settings(settings, IMAP_URL=_oauth_url(dovecot_oauth), **oauth.env())
    checks = create_app(s).test_client().get("/readyz").json["checks"]
    assert checks["imap"]["ok"], checks
    assert oauth.issued == ["client_credentials"]
    oauth.refuse_all = True
    resp = create_app(s).test_client().get("/readyz")
    assert resp.status_code == 503 and not resp.json["checks"]["imap"]["ok"]
    _assert_no_secrets(oauth, resp.get_data(as_text=True))
