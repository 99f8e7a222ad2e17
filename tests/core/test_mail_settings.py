"""The mail settings (TLS, STARTTLS, OAuth) and the pure decisions about tokens and TLS."""

import base64

import pytest

from bot import mailauth
from bot.config import ConfigError, mail_tls_problems
from bot.mailconn import MailSecurityError, use_starttls
from tests.conftest import make_settings

OAUTH = {
    "MAIL_AUTH": "xoauth2",
    "OAUTH_TOKEN_URL": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
    "OAUTH_CLIENT_ID": "client-id",
    "OAUTH_CLIENT_SECRET": "client-secret-value",
    "OAUTH_SCOPE": "https://outlook.office365.com/.default",
}


def test_the_xoauth2_string_is_the_sasl_initial_response():
    raw = mailauth.xoauth2_string("bot@example.org", "tok123")
    assert raw == "user=bot@example.org\x01auth=Bearer tok123\x01\x01"
    assert base64.b64decode(mailauth.xoauth2_base64("bot@example.org", "tok123")).decode() == raw


def test_a_token_is_refreshed_when_missing_or_near_its_expiry():
    token = mailauth.Token("t", expires_at=1000.0)
    assert mailauth.needs_refresh(None, 0.0)
    assert not mailauth.needs_refresh(token, 1000.0 - mailauth.MARGIN - 1)
    assert mailauth.needs_refresh(token, 1000.0 - mailauth.MARGIN)
    assert mailauth.needs_refresh(token, 2000.0)
    assert "secret-tok" not in repr(mailauth.Token("secret-tok", 1.0))


def test_expiry_comes_from_expires_in_or_an_hour():
    assert mailauth.expiry({"expires_in": 3599}, 100.0) == 3699.0
    assert mailauth.expiry({}, 100.0) == 100.0 + mailauth.DEFAULT_LIFETIME
    assert mailauth.expiry({"expires_in": "junk"}, 0.0) == mailauth.DEFAULT_LIFETIME


def test_starttls_decision():
    assert use_starttls("auto", True, "x", "S") and not use_starttls("auto", False, "x", "S")
    assert not use_starttls("off", True, "x", "S")
    assert use_starttls("required", True, "x", "S")
    with pytest.raises(MailSecurityError, match="S=required"):
        use_starttls("required", False, "smtp://host:25", "S")


def test_mail_tls_problems_names_each_unprotected_connection(tmp_path):
    local = mail_tls_problems(make_settings(tmp_path))
    assert len(local) == 2 and "SMTP_URL: unset" in local[0] and "IMAP_URL: unset" in local[1]
    plain = make_settings(
        tmp_path, SMTP_URL="smtp://u:secret-pw@mx:587", IMAP_URL="imap://u:secret-pw@mx/INBOX"
    )
    problems = mail_tls_problems(plain)
    assert [p.split(":")[0] for p in problems] == ["SMTP_URL", "IMAP_URL"]
    assert "SMTP_STARTTLS=auto" in problems[0] and "secret-pw" not in " ".join(problems)
    safe = make_settings(
        tmp_path,
        SMTP_URL="smtp://u:pw@mx:587",
        SMTP_STARTTLS="required",
        IMAP_URL="imaps://u:pw@mx/INBOX",
    )
    assert mail_tls_problems(safe) == []
    half = make_settings(
        tmp_path, SMTP_URL="smtps://u:pw@mx", IMAP_URL="imap://u:pw@mx", IMAP_STARTTLS="off"
    )
    assert mail_tls_problems(half) == [
        "IMAP_URL: mail is read without TLS (imap://u:***@mx:143 with IMAP_STARTTLS=off); "
        "use imaps:// or IMAP_STARTTLS=required"
    ]


def test_the_mail_settings_are_checked(tmp_path, test_ca):
    s = make_settings(tmp_path, MAIL_CA_FILE=str(test_ca.ca_file), SMTP_STARTTLS="Required")
    assert s.mail_ca_file == test_ca.ca_file and s.smtp_starttls == "required"
    assert s.imap_starttls == "auto" and s.mail_auth == "password" and s.oauth is None
    with pytest.raises(ConfigError, match="SMTP_STARTTLS"):
        make_settings(tmp_path, SMTP_STARTTLS="sometimes")
    with pytest.raises(ConfigError, match="MAIL_CA_FILE: no file"):
        make_settings(tmp_path, MAIL_CA_FILE=str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConfigError, match="MAIL_CA_FILE: .* is not a PEM"):
        make_settings(tmp_path, MAIL_CA_FILE=str(junk))


def test_the_oauth_settings_are_checked_and_the_secret_is_not_shown(tmp_path):
    s = make_settings(tmp_path, SMTP_URL="smtp://bot@example.org@smtp.office365.com:587", **OAUTH)
    assert s.oauth is not None and s.oauth.flow == "client_credentials"
    assert "client-secret-value" not in repr(s)
    refresh = make_settings(
        tmp_path, **{**OAUTH, "OAUTH_REFRESH_TOKEN": "rt-value", "OAUTH_CLIENT_SECRET": ""}
    )
    assert refresh.oauth.flow == "refresh_token" and "rt-value" not in repr(refresh)
    with pytest.raises(ConfigError, match="OAUTH_TOKEN_URL"):
        make_settings(tmp_path, **{**OAUTH, "OAUTH_TOKEN_URL": "http://idp/token"})
    with pytest.raises(ConfigError, match="OAUTH_CLIENT_ID"):
        make_settings(tmp_path, **{**OAUTH, "OAUTH_CLIENT_ID": ""})
    with pytest.raises(ConfigError, match="OAUTH_CLIENT_SECRET"):
        make_settings(tmp_path, **{**OAUTH, "OAUTH_CLIENT_SECRET": ""})
    with pytest.raises(ConfigError, match="IMAP_URL: MAIL_AUTH=xoauth2 needs"):
        make_settings(tmp_path, IMAP_URL="imaps://outlook.office365.com/INBOX", **OAUTH)
    with pytest.raises(ConfigError, match="MAIL_AUTH"):
        make_settings(tmp_path, MAIL_AUTH="kerberos")
