"""The audit key: made once outside the database, read by every process, checked."""

from __future__ import annotations

import pytest

from bot import config as configuration
from tests.conftest import make_settings


def test_the_key_is_made_once_with_mode_0600_and_then_read(tmp_path):
    first = make_settings(tmp_path)
    path = tmp_path / "var" / "audit_key"
    assert first.audit_key_file == path
    assert len(first.audit_key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert make_settings(tmp_path).audit_key == first.audit_key
    assert configuration.load_audit_key({"FOCALBOT_VAR": str(tmp_path / "var")}) == (
        first.audit_key
    )
    assert [p.name for p in path.parent.iterdir() if "audit_key" in p.name] == ["audit_key"]


def test_the_key_file_can_be_anywhere(tmp_path):
    path = tmp_path / "secrets" / "focalbot.key"
    path.parent.mkdir()
    path.write_bytes(b"an audit key of the administrator's own making\n")
    settings = make_settings(tmp_path, AUDIT_KEY_FILE=str(path))
    assert settings.audit_key == path.read_bytes()
    assert "own making" not in repr(settings)  # the key is left out of the settings' repr


def test_a_short_or_unreadable_key_stops_start_up(tmp_path):
    short = tmp_path / "short.key"
    short.write_bytes(b"too short")
    with pytest.raises(configuration.ConfigError, match="AUDIT_KEY_FILE: .* holds 9 bytes"):
        make_settings(tmp_path, AUDIT_KEY_FILE=str(short))
    with pytest.raises(configuration.ConfigError, match="AUDIT_KEY_FILE: cannot read"):
        make_settings(tmp_path, AUDIT_KEY_FILE=str(tmp_path))  # a folder


def test_the_checkpoint_address_is_checked(tmp_path):
    with pytest.raises(configuration.ConfigError, match="AUDIT_CHECKPOINT_TO: not an email"):
        make_settings(tmp_path, AUDIT_CHECKPOINT_TO="archive at example")
    settings = make_settings(tmp_path, AUDIT_CHECKPOINT_TO="archive@example.org")
    assert settings.audit_checkpoint_to == "archive@example.org"
    assert settings.audit_checkpoint_dir == tmp_path / "var" / "checkpoints"
