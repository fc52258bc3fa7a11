"""Secrets files: refused when others can read them, and never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config.secrets import load_secrets
from appliance.errors import ConfigError


def _secrets(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_secrets_private_file_is_read(tmp_path: Path) -> None:
    assert load_secrets(_secrets(tmp_path, 'pin = "1234"\n', 0o600)).pin == "1234"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_secrets_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = _secrets(tmp_path, 'pin = "1234"\n', mode)
    with pytest.raises(ConfigError) as info:
        load_secrets(path)
    assert f"fix it with: chmod 600 {path}" in str(info.value)
    assert "1234" not in str(info.value)


def test_secrets_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such secrets file"):
        load_secrets(tmp_path / "absent.toml")


def test_secrets_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = _secrets(tmp_path, 'pin = "1234"\nhost_pin = "1"\n', 0o600)
    with pytest.raises(ConfigError, match="host_pin: unknown key"):
        load_secrets(path)


def test_secrets_repr_hides_values(tmp_path: Path) -> None:
    secrets = load_secrets(_secrets(tmp_path, 'pin = "1234"\nproxy_password = "hunter2"\n', 0o600))
    assert "1234" not in repr(secrets) and "hunter2" not in repr(secrets)
